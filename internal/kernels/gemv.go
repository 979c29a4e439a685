package kernels

import "github.com/gollm/gollm/internal/parallel"

// gemvMaxRows is the largest m handled by gemv rather than gemm: with so
// few rows of x, packing the weights would cost more than it saves.
const gemvMaxRows = 3

// gemv computes out[m×n] = x[m×k] · wᵀ by streaming each weight row once
// past the m rows of x; the weight rows are split across threads.
func gemv(out, x []float32, m, k int, w wmat, n int) {
	grain := max(16, n/(8*parallel.Threads()))
	parallel.For(n, grain, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			for i := 0; i < m; i++ {
				out[i*n+j] = w.dot(x[i*k:i*k+k], j)
			}
		}
	})
}
