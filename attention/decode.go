package attention

import (
	"math"
	"sync"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
)

// decodeRows is the most query rows per KV head (query heads of a GQA group
// times NQ) that Flash hands to attendDecode instead of its tiles (and
// KVCache.Attend reads from a cache that is not F32 unwidened): with so
// few rows the tiles would mostly hold padding, and every key block would be
// transposed for a handful of dot products.
const decodeRows = 8

// decodeChunkBytes is how many bytes of keys of one KV head a decoding
// task covers (at least 256 keys): its scores and value sums each read the
// chunk as four streams of a quarter (kernels.DotRows, kernels.WeightedSum),
// and 128 KiB keeps those streams long while a 16k cache still makes 16–32
// tasks per KV head. Smaller and larger chunks were measured and were not
// faster (docs/benchmarks.md, "Tried and did not help").
const decodeChunkBytes = 128 << 10

// attendDecode serves decoding against an f32 cache; see decode.
func attendDecode(out, lse, q, k, v []float32, s Shape, p Params) {
	decode(out, lse, q, kvF32{k, v}, s, p)
}

// decodeTemp is reusable scratch of the decoding path: per call (qg, part,
// cmax, csum) or per task (scores).
type decodeTemp struct {
	qg, part, cmax, csum, scores []float32
}

var (
	callScratch = sync.Pool{New: func() any { return new(decodeTemp) }}
	taskScratch = sync.Pool{New: func() any { return new(decodeTemp) }}
)

// grow returns (*buf)[:n], reallocating when it is too short.
func grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

// decodeTasks returns how decoding splits nk keys of head size d stored
// in elemBytes bytes per element: chunk keys per task (decodeChunkBytes of
// keys, at least 256), chunks tasks per KV head.
func decodeTasks(nk, d, elemBytes int) (chunk, chunks int) {
	chunk = max(256, decodeChunkBytes/(d*elemBytes))
	return chunk, (nk + chunk - 1) / chunk
}

// decode is the split-KV decoding path. One parallel pass covers (KV head,
// chunk of keys) tasks (decodeTasks); each scores its keys for all the query rows of
// the head's GQA group (each key read once), takes the chunk's own max and
// exp-sum per row and sums its values with the unnormalised probabilities.
// The partial results are then merged by LSE in chunk order, so the result
// does not depend on the thread count.
func decode(out, lse, q []float32, kv kvStore, s Shape, p Params) {
	if s.NQ == 0 || s.Heads == 0 {
		return // no query rows: nothing to write
	}
	tmp := callScratch.Get().(*decodeTemp)
	defer callScratch.Put(tmp)
	g := decodeGroups{s: s, p: p}
	g.chunk, g.chunks = decodeTasks(s.NK, s.Dim, kv.elemBytes())
	g.scaleQueries(grow(&tmp.qg, s.KVHeads*g.rows()*s.Dim), q)
	n := s.KVHeads * g.chunks * g.rows()
	g.part, g.cmax, g.csum = grow(&tmp.part, n*s.Dim), grow(&tmp.cmax, n), grow(&tmp.csum, n)
	clear(g.part)
	g.chunkPass(kv)
	g.merge(out, lse)
}

// decodeGroups is one decoding call seen per KV head: the rows() query rows
// of its GQA group (row r is query row r%NQ of head kvh·Heads/KVHeads +
// r/NQ), its keys split into chunks tasks of chunk keys, and the tasks'
// partial results (task t = kvh·chunks + c, its row r at index t·rows() +
// r): the unnormalised value sums part, and the chunk's max score cmax and
// exp-sum csum.
type decodeGroups struct {
	s                Shape
	p                Params
	chunk, chunks    int
	qg               []float32 // the scaled query rows, [KVHeads][rows()][Dim]
	part, cmax, csum []float32
}

// rows is the query rows per KV head.
func (g *decodeGroups) rows() int { return g.s.Heads / g.s.KVHeads * g.s.NQ }

// at is the index in q, out and lse of row r of KV head kvh.
func (g *decodeGroups) at(kvh, r int) int {
	per := g.s.Heads / g.s.KVHeads
	return (kvh*per+r/g.s.NQ)*g.s.NQ + r%g.s.NQ
}

// limit is how many keys row r may see.
func (g *decodeGroups) limit(r int) int {
	if g.p.Causal {
		return max(0, min(g.s.NK, g.p.Offset+r%g.s.NQ+1))
	}
	return g.s.NK
}

// scaleQueries fills qg with the rows of q times the scale, grouped by KV
// head.
func (g *decodeGroups) scaleQueries(qg, q []float32) {
	d, rows := g.s.Dim, g.rows()
	for kvh := range g.s.KVHeads {
		for r := range rows {
			src := q[g.at(kvh, r)*d:][:d]
			dst := qg[(kvh*rows+r)*d:][:d]
			for c, x := range src {
				dst[c] = x * g.p.Scale
			}
		}
	}
	g.qg = qg
}

// chunkPass runs the tasks in parallel: each scores its chunk's keys for
// all the rows of its KV head and keeps, per row, the chunk's max and
// exp-sum and the unnormalised value sum.
func (g *decodeGroups) chunkPass(kv kvStore) {
	d, rows := g.s.Dim, g.rows()
	seen := g.limit(g.s.NQ - 1) // the keys any row sees (the last query row's)
	parallel.For(g.s.KVHeads*g.chunks, 1, func(lo, hi int) {
		tmp := taskScratch.Get().(*decodeTemp)
		defer taskScratch.Put(tmp)
		scores := grow(&tmp.scores, rows*g.chunk)
		for t := lo; t < hi; t++ {
			kvh, c := t/g.chunks, t%g.chunks
			j0 := c * g.chunk
			n := min(j0+g.chunk, seen) - j0
			base := kvh*g.s.kvStride()*d + j0*d
			if n > 0 {
				kv.scores(scores[:rows*n], g.qg[kvh*rows*d:][:rows*d], rows, base)
			}
			for r := range rows {
				i := t*rows + r
				g.cmax[i], g.csum[i] = float32(math.Inf(-1)), 0
				m := min(n, g.limit(r)-j0)
				if m <= 0 {
					continue
				}
				row := scores[r*n : r*n+m]
				g.cmax[i] = kernels.Max(row)
				g.csum[i] = kernels.ExpSub(row, g.cmax[i])
				kv.weightedSum(g.part[i*d:][:d], row, base)
			}
		}
	})
}

// merge folds each row's chunks by LSE, in chunk order, into out and lse.
func (g *decodeGroups) merge(out, lse []float32) {
	d, rows := g.s.Dim, g.rows()
	for kvh := range g.s.KVHeads {
		for r := range rows {
			i0 := g.at(kvh, r)
			dst := out[i0*d:][:d]
			clear(dst)
			mx := float32(math.Inf(-1))
			for c := range g.chunks {
				mx = max(mx, g.cmax[(kvh*g.chunks+c)*rows+r])
			}
			var sum float32
			if !math.IsInf(float64(mx), -1) {
				for c := range g.chunks {
					i := (kvh*g.chunks+c)*rows + r
					if g.csum[i] == 0 {
						continue
					}
					w := float32(math.Exp(float64(g.cmax[i] - mx)))
					sum += w * g.csum[i]
					kernels.Axpy(dst, w, g.part[i*d:][:d])
				}
			}
			if sum > 0 {
				inv := 1 / sum
				for c := range dst {
					dst[c] *= inv
				}
			}
			if lse != nil {
				l := float32(math.Inf(-1))
				if sum > 0 {
					l = mx + float32(math.Log(float64(sum)))
				}
				lse[i0] = l
			}
		}
	}
}
