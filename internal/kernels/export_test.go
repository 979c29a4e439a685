package kernels

// Dot returns the inner product of a and b (len(b) >= len(a)).
func Dot(a, b []float32) float32 {
	var s [1]float32
	if len(a) == 0 {
		return 0
	}
	active.gemvF32(a, nil, 1, b[:len(a)], 1, s[:], 1)
	return s[0]
}
