// Package kernels holds the numerical hot loops of gollm: matrix products
// against weights stored as F32, F16 or BF16, and the small vector helpers
// the model needs. Fast paths (AVX-512 or AVX2+FMA assembly) are chosen at
// run time from CPU features; every fast path has a portable Go version it
// is tested against, and the build tag purego selects that version alone.
package kernels

// MatMulF32 computes out[m×n] = x[m×k] · wᵀ where w is [n×k] row-major
// (the layout of an HF Linear weight: one row per output feature).
// Results do not depend on the thread count.
func MatMulF32(out, x []float32, m, k int, w []float32, n int) {
	matmul(out, x, m, k, wmat{k: k, f32: w[:n*k]}, n)
}

// MatMulBF16 is MatMulF32 with w stored as bfloat16 bit patterns.
func MatMulBF16(out, x []float32, m, k int, w []uint16, n int) {
	matmul(out, x, m, k, wmat{k: k, u16: w[:n*k], bf16: true}, n)
}

// MatMulF16 is MatMulF32 with w stored as IEEE half-precision bit patterns.
func MatMulF16(out, x []float32, m, k int, w []uint16, n int) {
	matmul(out, x, m, k, wmat{k: k, u16: w[:n*k]}, n)
}

// matmul picks the streaming (decode) or the packed (prefill) product.
func matmul(out, x []float32, m, k int, w wmat, n int) {
	out, x = out[:m*n], x[:m*k]
	switch {
	case m == 0 || n == 0:
	case k == 0:
		clear(out)
	case m <= gemvMaxRows:
		gemv(out, x, m, k, w, n)
	default:
		gemm(out, x, m, k, w, n)
	}
}

// Dot returns the inner product of a and b (len(b) >= len(a)).
func Dot(a, b []float32) float32 {
	var s [1]float32
	active.gemvF32(a, b[:len(a)], s[:])
	return s[0]
}

// BF16ToF32 widens bfloat16 bit patterns to float32 (exact).
func BF16ToF32(dst []float32, src []uint16) { active.cvtBF16(dst, src) }
