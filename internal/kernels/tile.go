package kernels

// TileMulAdd computes c[m×n] += a[m×k] · b[k×n] for row-major operands with
// leading dimensions ldc, lda and ldb, on the calling goroutine. Unlike
// MatMul it packs nothing, so it suits products of a few dozen rows that
// are already laid out for it: attention's scores against a transposed key
// block and its probabilities against a value block. The fast path works
// in 4×16 blocks of c; other rows and columns take the portable loop.
func TileMulAdd(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, k, n int) {
	if m <= 0 || k <= 0 || n <= 0 {
		return
	}
	// Bounds are checked once here so the assembly can run unchecked.
	_ = c[(m-1)*ldc+n-1]
	_ = a[(m-1)*lda+k-1]
	_ = b[(k-1)*ldb+n-1]
	active.tileMulAdd(c, ldc, a, lda, b, ldb, m, k, n)
}
