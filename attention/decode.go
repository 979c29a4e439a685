package attention

import (
	"math"
	"sync"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
)

// decodeRows is the most query rows per KV head (query heads of a GQA group
// times NQ) that Flash hands to attendDecode instead of its tiles: with so
// few rows the tiles would mostly hold padding, and every key block would be
// transposed for a handful of dot products.
const decodeRows = 8

// decodeChunkBytes is how many bytes of keys of one KV head a decoding
// task covers (at least 256 keys): its scores and value sums each read the
// chunk as four streams of a quarter (kernels.DotRows, kernels.WeightedSum),
// and 128 KiB keeps those streams long while a 16k cache still makes 16–32
// tasks per KV head. On the dev VM (d = 64) 256 and 512 f16 keys were
// slower than 1024, and 256 or 1024 f32 keys no faster than 512.
const decodeChunkBytes = 128 << 10

// decodeChunk returns the keys per decoding task for head size d and
// elemBytes bytes per cached element.
func decodeChunk(d, elemBytes int) int {
	return max(256, decodeChunkBytes/(d*elemBytes))
}

// attendDecode serves decoding against an f32 cache; see decode.
func attendDecode(out, lse, q, k, v []float32, s Shape, p Params) {
	decode(out, lse, q, kvF32{k, v}, s, p)
}

// Decode16 is decoding attention against a 16-bit KV cache: k and v hold
// half-precision bits (bf16 false) or bfloat16 bits (bf16 true) in the
// layout of Shape. It serves every kernel: Exact, Flash and Hyper all
// attend exactly to the cache when a few query rows decode against it.
// It is correct for any number of query rows and efficient for up to
// DecodeRows per KV head.
func Decode16(out, lse, q []float32, k, v []uint16, bf16 bool, s Shape, p Params) {
	decode(out, lse, q, kv16{k, v, bf16}, s, p)
}

// DecodeRows is the most query rows per KV head (query heads of a GQA
// group times NQ) the decoding path takes.
const DecodeRows = decodeRows

// kvSource is a KV cache in some storage type: the two products decoding
// needs from element base — the scores of the m query rows q against n =
// len(dst)/m keys, and one row's value sum over the len(p) rows (d =
// len(out)) — and the bytes of one cached element.
type kvSource interface {
	scores(dst, q []float32, m, base int)
	weightedSum(out, p []float32, base int)
	elemBytes() int
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

type kvF32 struct{ k, v []float32 }

func (kvF32) elemBytes() int { return 4 }

func (c kvF32) scores(dst, q []float32, m, base int) {
	kernels.DotRows(dst, q, m, c.k[base:])
}

func (c kvF32) weightedSum(out, p []float32, base int) {
	kernels.WeightedSum(out, p, c.v[base:base+len(p)*len(out)])
}

type kv16 struct {
	k, v []uint16
	bf16 bool
}

func (kv16) elemBytes() int { return 2 }

func (c kv16) scores(dst, q []float32, m, base int) {
	if c.bf16 {
		kernels.DotRowsBF16(dst, q, m, c.k[base:])
	} else {
		kernels.DotRowsF16(dst, q, m, c.k[base:])
	}
}

func (c kv16) weightedSum(out, p []float32, base int) {
	v := c.v[base : base+len(p)*len(out)]
	if c.bf16 {
		kernels.WeightedSumBF16(out, p, v)
	} else {
		kernels.WeightedSumF16(out, p, v)
	}
}

// decode is the split-KV decoding path. One parallel pass covers (KV head,
// decodeChunk keys) tasks; each scores its keys for all the query rows of
// the head's GQA group (each key read once), takes the chunk's own max and
// exp-sum per row and sums its values with the unnormalised probabilities.
// The partial results are then merged by LSE in chunk order, so the result
// does not depend on the thread count.
func decode(out, lse, q []float32, kv kvSource, s Shape, p Params) {
	if s.NQ == 0 || s.Heads == 0 {
		return // no query rows: nothing to write
	}
	d, g := s.Dim, s.Heads/s.KVHeads
	rows := g * s.NQ
	chunk := decodeChunk(d, kv.elemBytes())
	chunks := (s.NK + chunk - 1) / chunk
	// Row r of KV head kvh is query row r%NQ of head kvh·g + r/NQ, at
	// index at(kvh, r) of q, out and lse; limit(r) is how many keys it may
	// see, seen how many any row sees (the last query row's), and qg holds
	// the scaled rows of every KV head.
	at := func(kvh, r int) int { return (kvh*g+r/s.NQ)*s.NQ + r%s.NQ }
	limit := func(r int) int {
		if p.Causal {
			return max(0, min(s.NK, p.Offset+r%s.NQ+1))
		}
		return s.NK
	}
	seen := limit(s.NQ - 1)
	tmp := callScratch.Get().(*decodeTemp)
	defer callScratch.Put(tmp)
	qg := grow(&tmp.qg, s.KVHeads*rows*d)
	for kvh := range s.KVHeads {
		for r := range rows {
			src := q[at(kvh, r)*d:][:d]
			dst := qg[(kvh*rows+r)*d:][:d]
			for c, x := range src {
				dst[c] = x * p.Scale
			}
		}
	}
	// Task t = kvh·chunks + c covers keys [c·chunk, …) of KV head kvh
	// for all rows: scores, the chunk's own max and exp-sum, and the
	// unnormalised value sum, merged below in chunk order.
	part := grow(&tmp.part, s.KVHeads*chunks*rows*d)
	clear(part)
	cmax := grow(&tmp.cmax, s.KVHeads*chunks*rows)
	csum := grow(&tmp.csum, s.KVHeads*chunks*rows)
	parallel.For(s.KVHeads*chunks, 1, func(lo, hi int) {
		tmp := taskScratch.Get().(*decodeTemp)
		defer taskScratch.Put(tmp)
		scores := grow(&tmp.scores, rows*chunk)
		for t := lo; t < hi; t++ {
			kvh, c := t/chunks, t%chunks
			j0 := c * chunk
			n := min(j0+chunk, seen) - j0
			base := kvh*s.kvStride()*d + j0*d
			if n > 0 {
				kv.scores(scores[:rows*n], qg[kvh*rows*d:][:rows*d], rows, base)
			}
			for r := range rows {
				i := t*rows + r
				cmax[i], csum[i] = float32(math.Inf(-1)), 0
				m := min(n, limit(r)-j0)
				if m <= 0 {
					continue
				}
				row := scores[r*n : r*n+m]
				cmax[i] = kernels.Max(row)
				csum[i] = kernels.ExpSub(row, cmax[i])
				kv.weightedSum(part[i*d:][:d], row, base)
			}
		}
	})
	for kvh := range s.KVHeads {
		for r := range rows {
			i0 := at(kvh, r)
			dst := out[i0*d:][:d]
			clear(dst)
			mx := float32(math.Inf(-1))
			for c := range chunks {
				mx = max(mx, cmax[(kvh*chunks+c)*rows+r])
			}
			var sum float32
			if !math.IsInf(float64(mx), -1) {
				for c := range chunks {
					i := (kvh*chunks+c)*rows + r
					if csum[i] == 0 {
						continue
					}
					w := float32(math.Exp(float64(cmax[i] - mx)))
					sum += w * csum[i]
					kernels.Axpy(dst, w, part[i*d:][:d])
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
