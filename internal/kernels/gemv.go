package kernels

import "github.com/gollm/gollm/internal/parallel"

// gemvMaxRows is the largest m handled by gemv rather than gemm: with so
// few rows of x, packing the weights would cost more than it saves.
const gemvMaxRows = 8

// gemvSerialWork is the number of multiply-adds below which a GEMV runs on
// the calling goroutine alone (a 256×256 projection in decode takes a few
// microseconds, about what handing half of it to a worker costs).
const gemvSerialWork = 1 << 17

// gemvBlock is the grain of the row split across threads, in rows.
const gemvBlock = 64

// gemvCacheBytes is how many bytes of weight rows (at least gemvBlock rows)
// stay in cache (L2) while each pair of x's rows visits them when x has
// more than two rows. With one or two rows every weight row is read once,
// and the kernel takes a thread's whole range in one call, so its four
// streams are as long as possible.
const gemvCacheBytes = 64 << 10

// gemv computes outs[i][m×n_i] = x[m×k] · ws[i]ᵀ (m ≤ gemvMaxRows, all ws
// of depth k = len(x)/m) by streaming the weight rows past the m rows of
// x. The rows of all the matrices, taken as one sequence, are split across
// threads; each output element is one dot product, so results do not
// depend on where the splits fall.
func gemv(outs [][]float32, x []float32, m int, ws []Mat) {
	if m == 0 || len(ws) == 0 {
		return
	}
	k := len(x) / m
	if k == 0 {
		for i, a := range ws {
			clear(outs[i][:m*a.n])
		}
		return
	}
	total := 0
	for _, a := range ws {
		total += a.n
	}
	grain := max(gemvBlock, total/(8*parallel.Threads()))
	if total*k*m < gemvSerialWork {
		grain = total // too little to pay for waking a worker
	}
	acts := quantActs(x, m, k, ws)
	defer releaseActs(acts)
	parallel.For(total, grain, func(lo, hi int) {
		base := 0
		for i, a := range ws {
			// rows [lo, hi) of the sequence that fall in matrix i
			j0, j1 := max(lo-base, 0), min(hi-base, a.n)
			base += a.n
			out := outs[i]
			block := j1 - j0
			if m > 2 {
				block = max(gemvBlock, gemvCacheBytes/a.w.rowBytes())
			}
			for j := j0; j < j1; j += block {
				a.w.gemv(x, &acts, m, j, min(block, j1-j), out[j:], a.n)
			}
		}
	})
}
