package attention

import (
	"math"
	"sync"

	"github.com/gollm/gollm/internal/kernels"
)

// Tile sizes of the online-softmax kernel: a tile holds tileQ query rows and
// walks the keys tileK at a time. tileQ is a multiple of 4 and tileK of 16
// (the block of kernels.TileMulAdd's fast path).
const (
	tileQ = 64
	tileK = 64
)

// noCausal is an end0 large enough that no key is ever masked.
const noCausal = math.MaxInt / 2

// tile is one worker's scratch for attending a block of up to tileQ query
// rows to any number of key ranges with a running (online) softmax. Its
// memory is O(tileQ·dim + tileK·dim), independent of the sequence length.
type tile struct {
	dim  int
	rows int       // valid query rows
	q    []float32 // [tileQ][dim] query rows times the scale, zero padded
	kt   []float32 // [dim][tileK] the current key block, transposed
	s    []float32 // [tileQ][tileK] scores, then probabilities
	acc  []float32 // [tileQ][dim] unnormalised output
	m, l []float32 // [tileQ] running max and running sum of exp(score − m)
}

var tilePool sync.Pool

// getTile returns a tile for head dimension dim from the pool.
func getTile(dim int) *tile {
	if t, ok := tilePool.Get().(*tile); ok && t.dim == dim {
		return t
	}
	return &tile{
		dim: dim,
		q:   make([]float32, tileQ*dim),
		kt:  make([]float32, dim*tileK),
		s:   make([]float32, tileQ*tileK),
		acc: make([]float32, tileQ*dim),
		m:   make([]float32, tileQ),
		l:   make([]float32, tileQ),
	}
}

func putTile(t *tile) { tilePool.Put(t) }

// start loads rows query rows (contiguous, row stride dim) scaled by scale
// and resets the running state.
func (t *tile) start(q []float32, rows int, scale float32) {
	d := t.dim
	t.rows = rows
	for i, x := range q[:rows*d] {
		t.q[i] = x * scale
	}
	clear(t.q[rows*d:])
	clear(t.acc)
	clear(t.l)
	for i := range t.m {
		t.m[i] = float32(math.Inf(-1))
	}
}

// rowsPadded is rows rounded up to a multiple of 4 (TileMulAdd's block rows).
func (t *tile) rowsPadded() int { return (t.rows + 3) &^ 3 }

// update folds keys [lo, hi) of k and v (row stride dim) into the running
// softmax. Query row i sees key j only when j < end0+i (causal masking in
// the keys' index space; pass noCausal for none).
func (t *tile) update(k, v []float32, lo, hi, end0 int) {
	hi = min(hi, end0+t.rows-1)
	for j0 := lo; j0 < hi; j0 += tileK {
		t.block(k, v, j0, min(tileK, hi-j0), end0)
	}
}

// block folds the nk ≤ tileK keys starting at j0.
func (t *tile) block(k, v []float32, j0, nk, end0 int) {
	d := t.dim
	rp := t.rowsPadded()
	kt := t.kt
	if nk < tileK {
		clear(kt)
	}
	kernels.Transpose(kt, tileK, k[j0*d:], d, nk, d)
	s := t.s[:rp*tileK]
	clear(s)
	kernels.TileMulAdd(s, tileK, t.q, d, kt, tileK, rp, d, tileK)
	// alpha[i] = exp(old max − new max) rescales row i's running sums; it
	// is exponentiated for all rows in one vector call (0 → 1: unchanged).
	var alpha, sum [tileQ]float32
	for i := 0; i < rp; i++ {
		row := s[i*tileK:][:tileK]
		valid := 0
		if i < t.rows {
			valid = max(0, min(nk, end0+i-j0))
		}
		clear(row[valid:])
		if valid == 0 {
			continue
		}
		mx := max(kernels.Max(row[:valid]), t.m[i])
		alpha[i] = t.m[i] - mx
		sum[i] = kernels.ExpSub(row[:valid], mx)
		t.m[i] = mx
	}
	kernels.ExpSub(alpha[:rp], 0)
	for i := 0; i < rp; i++ {
		a := alpha[i]
		t.l[i] = t.l[i]*a + sum[i]
		if a != 1 {
			for c := range t.acc[i*d:][:d] {
				t.acc[i*d+c] *= a
			}
		}
	}
	kernels.TileMulAdd(t.acc, d, s, tileK, v[j0*d:], d, rp, nk, d)
}

// finish writes the normalised rows to out (row stride dim) and their
// log-sum-exp to lse (nil to skip). A row that saw no key gets zeros and
// −Inf.
func (t *tile) finish(out, lse []float32) {
	d := t.dim
	for i := 0; i < t.rows; i++ {
		o := out[i*d:][:d]
		if t.l[i] == 0 {
			clear(o)
			if lse != nil {
				lse[i] = float32(math.Inf(-1))
			}
			continue
		}
		r := 1 / t.l[i]
		for c, x := range t.acc[i*d:][:d] {
			o[c] = x * r
		}
		if lse != nil {
			lse[i] = t.m[i] + float32(math.Log(float64(t.l[i])))
		}
	}
}

// attendDense computes non-causal attention of nq query rows (contiguous,
// stride d) to the key rows in ranges of k and v, tile by tile, writing out
// and lse (nil to skip). It is the dense building block of Hyper.
func attendDense(out, lse, q []float32, nq, d int, k, v []float32, scale float32, ranges ...[2]int) {
	t := getTile(d)
	defer putTile(t)
	for r0 := 0; r0 < nq; r0 += tileQ {
		rows := min(tileQ, nq-r0)
		t.start(q[r0*d:], rows, scale)
		for _, rg := range ranges {
			t.update(k, v, rg[0], rg[1], noCausal)
		}
		var l []float32
		if lse != nil {
			l = lse[r0:]
		}
		t.finish(out[r0*d:], l)
	}
}
