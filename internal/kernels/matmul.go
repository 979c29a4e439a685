// Package kernels holds the numerical hot loops of gollm: matrix products
// against weights stored as F32, F16 or BF16, attention's tile products, and
// the small vector helpers the model and attention need. Fast paths (AVX-512 or AVX2+FMA assembly) are chosen at
// run time from CPU features; every fast path has a portable Go version it
// is tested against, and the build tag purego selects that version alone.
package kernels

// Mat is a read-only [n×k] weight matrix (the layout of an HF Linear
// weight: one row per output feature) in its stored element type.
type Mat struct {
	w wmat
	n int
}

// F32Mat views w as an [n×k] float32 matrix.
func F32Mat(w []float32, n, k int) Mat { return Mat{wmat{k: k, f32: w[:n*k]}, n} }

// BF16Mat views w as an [n×k] matrix of bfloat16 bit patterns.
func BF16Mat(w []uint16, n, k int) Mat { return Mat{wmat{k: k, u16: w[:n*k], bf16: true}, n} }

// F16Mat views w as an [n×k] matrix of IEEE half-precision bit patterns.
func F16Mat(w []uint16, n, k int) Mat { return Mat{wmat{k: k, u16: w[:n*k]}, n} }

// Rows returns the view of a's rows r0 … r0+n−1 (0 ≤ r0, r0+n ≤ a's rows):
// a fused projection cut into its parts without copying.
func (a Mat) Rows(r0, n int) Mat {
	w := a.w
	switch {
	case w.f32 != nil:
		w.f32 = w.f32[r0*w.k : (r0+n)*w.k]
	case w.u16 != nil:
		w.u16 = w.u16[r0*w.k : (r0+n)*w.k]
	case w.q != nil:
		q := *w.q
		q.data = q.data[r0*q.rowBytes : (r0+n)*q.rowBytes]
		w.q = &q
	}
	return Mat{w, n}
}

// MatMul computes out[m×n] = x[m×k] · aᵀ. Results do not depend on the
// thread count.
func (a Mat) MatMul(out, x []float32, m int) { matmul(out, x, m, a.w.k, a.w, a.n) }

// MatMulEach computes outs[i][m×n_i] = x[m×k] · ws[i]ᵀ for matrices of the
// same depth k (a layer's q, k and v projections, or its gate and up). When
// decoding, all their rows are streamed in one parallel region, so the
// threads meet once rather than once per matrix. Results equal those of
// MatMul on each matrix.
func MatMulEach(outs [][]float32, x []float32, m int, ws []Mat) {
	if m > gemvMaxRows {
		for i, a := range ws {
			a.MatMul(outs[i], x, m)
		}
		return
	}
	gemv(outs, x, m, ws)
}

// MatMulF32 computes out[m×n] = x[m×k] · wᵀ where w is [n×k] row-major
// (the layout of an HF Linear weight: one row per output feature).
// Results do not depend on the thread count.
func MatMulF32(out, x []float32, m, k int, w []float32, n int) {
	F32Mat(w, n, k).MatMul(out, x, m)
}

// MatMulBF16 is MatMulF32 with w stored as bfloat16 bit patterns.
func MatMulBF16(out, x []float32, m, k int, w []uint16, n int) {
	BF16Mat(w, n, k).MatMul(out, x, m)
}

// MatMulF16 is MatMulF32 with w stored as IEEE half-precision bit patterns.
func MatMulF16(out, x []float32, m, k int, w []uint16, n int) {
	F16Mat(w, n, k).MatMul(out, x, m)
}

// matmul picks the streaming (decode) or the packed (prefill) product.
func matmul(out, x []float32, m, k int, w wmat, n int) {
	out, x = out[:m*n], x[:m*k]
	switch {
	case m == 0 || n == 0:
	case k == 0:
		clear(out)
	case m <= gemvMaxRows:
		gemv([][]float32{out}, x, m, []Mat{{w, n}})
	case w.q != nil:
		qgemm(out, x, m, k, w.q, n)
	default:
		gemm(out, x, m, k, w, n)
	}
}

// BF16ToF32 widens bfloat16 bit patterns to float32 (exact).
func BF16ToF32(dst []float32, src []uint16) { active.cvtBF16(dst, src) }
