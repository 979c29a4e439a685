package llama2c

// rotateHalfRows returns a copy of the projection w [heads·headDim × in]
// whose rows are reordered within each head so that llama2.c's interleaved
// rotary pair (2i, 2i+1) lands at rows (i, i+headDim/2), where HF Llama's
// "rotate half" RoPE expects it. Applied to both the query and the key
// projection it leaves every attention score unchanged.
func rotateHalfRows(w []float32, heads, headDim, in int) []float32 {
	out := make([]float32, len(w))
	half := headDim / 2
	for h := 0; h < heads; h++ {
		base := h * headDim
		for i := 0; i < half; i++ {
			for p := 0; p < 2; p++ {
				src := (base + 2*i + p) * in
				dst := (base + p*half + i) * in
				copy(out[dst:dst+in], w[src:src+in])
			}
		}
	}
	return out
}
