package kernels

import (
	"sync"

	"github.com/gollm/gollm/internal/parallel"
)

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
// more than two rows. With one or two rows, or kernels that take all the
// rows in one pass (impl.pairX), every weight row is read once, and the
// kernel takes a thread's whole range in one call, so its four streams
// are as long as possible.
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
	xb := pairedX(x, m, k, ws)
	defer releasePairs(xb)
	xp := xb.vals()
	parallel.For(total, grain, func(lo, hi int) {
		base := 0
		for i, a := range ws {
			// rows [lo, hi) of the sequence that fall in matrix i
			j0, j1 := max(lo-base, 0), min(hi-base, a.n)
			base += a.n
			out := outs[i]
			block := j1 - j0
			if m > 2 && (xp == nil || a.w.q != nil) {
				block = max(gemvBlock, gemvCacheBytes/a.w.rowBytes())
			}
			for j := j0; j < j1; j += block {
				a.w.gemv(x, xp, &acts, m, j, min(block, j1-j), out[j:], a.n)
			}
		}
	})
}

// pairRows lays out x's m rows (each k long, 2 ≤ m ≤ gemvMaxRows) as the
// AVX-512 GEMV kernels read them, in dst (reallocated when short): for
// each step of 8 along the depth (k rounded down to a multiple of 8), the
// ⌈m/2⌉ pairs of rows in turn, each as 8 values of row 2p then 8 of row
// 2p+1, an odd m's last pair completed with zeros.
func pairRows(dst, x []float32, m, k int) []float32 {
	rows, k8 := (m+1)&^1, k&^7
	dst = grow(dst, rows*k8)
	i := 0
	for c := 0; c < k8; c += 8 {
		for r := range rows {
			d := (*[8]float32)(dst[i:])
			if r < m {
				*d = [8]float32(x[r*k+c:])
			} else {
				*d = [8]float32{}
			}
			i += 8
		}
	}
	return dst
}

// pairBuf is a pooled pairRows layout.
type pairBuf struct{ v []float32 }

var pairPool = sync.Pool{New: func() any { return new(pairBuf) }}

// getPairs returns x's m rows laid out by pairRows, to be released with
// releasePairs.
func getPairs(x []float32, m, k int) *pairBuf {
	b := pairPool.Get().(*pairBuf)
	b.v = pairRows(b.v, x, m, k)
	return b
}

// pairedX lays out x for the product of gemv when the active kernels read
// rows in pairs and one of ws is a float matrix (nil otherwise: one row,
// a depth under 8, or nothing but quantized weights).
func pairedX(x []float32, m, k int, ws []Mat) *pairBuf {
	if !active.pairX || m < 2 || k < 8 {
		return nil
	}
	for _, a := range ws {
		if a.w.q == nil {
			return getPairs(x, m, k)
		}
	}
	return nil
}

// vals returns the layout (nil for a nil b).
func (b *pairBuf) vals() []float32 {
	if b == nil {
		return nil
	}
	return b.v
}

func releasePairs(b *pairBuf) {
	if b != nil {
		pairPool.Put(b)
	}
}
