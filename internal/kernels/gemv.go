package kernels

import "github.com/gollm/gollm/internal/parallel"

// gemvMaxRows is the largest m handled by gemv rather than gemm: with so
// few rows of x, packing the weights would cost more than it saves.
const gemvMaxRows = 8

// gemvSerialWork is the number of multiply-adds below which a GEMV runs on
// the calling goroutine alone (a 256×256 projection in decode takes a few
// microseconds, about what handing half of it to a worker costs).
const gemvSerialWork = 1 << 17

// gemv computes out[m×n] = x[m×k] · wᵀ by streaming the weight rows, split
// across threads, past the m rows of x. Blocks of 64 weight rows stay in
// cache while each row of x visits them.
func gemv(out, x []float32, m, k int, w wmat, n int) {
	const block = 64
	grain := max(block, n/(8*parallel.Threads()))
	if n*k*m < gemvSerialWork {
		grain = n // too little to pay for waking a worker
	}
	parallel.For(n, grain, func(lo, hi int) {
		var tmp [block]float32
		for j := lo; j < hi; j += block {
			rows := min(block, hi-j)
			for i := 0; i < m; i++ {
				if m == 1 {
					w.gemv(x[:k], j, out[j:j+rows])
					continue
				}
				w.gemv(x[i*k:i*k+k], j, tmp[:rows])
				copy(out[i*n+j:], tmp[:rows])
			}
		}
	})
}
