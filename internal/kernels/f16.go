package kernels

import "github.com/x448/float16"

// F16ToF32 widens IEEE half-precision bit patterns to float32 (exact).
func F16ToF32(dst []float32, src []uint16) {
	for i, v := range src {
		dst[i] = float16.Frombits(v).Float32()
	}
}
