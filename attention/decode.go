package attention

import (
	"math"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
)

// decodeRows is the most query rows per KV head (query heads of a GQA group
// times NQ) that Flash hands to attendDecode instead of its tiles: with so
// few rows the tiles would mostly hold padding, and every key block would be
// transposed for a handful of dot products.
const decodeRows = 8

// decodeChunk is how many keys one task of the value sum covers.
const decodeChunk = 256

// attendDecode serves decoding against a cache. For each KV head the
// scores of all its query rows are one skinny product with the keys (each
// key read from memory once, shared by the GQA group), then each row's
// softmax is taken whole, and the values are summed with the probabilities
// in fixed key chunks spread over the threads and reduced in chunk order,
// so the result does not depend on the thread count.
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
// needs, over rows [0, n) of the head starting at element base.
type kvSource interface {
	scores(dst, q []float32, rows, d, base, n int)
	weightedSum(out, p []float32, base, d, lo, hi int)
}

type kvF32 struct{ k, v []float32 }

func (c kvF32) scores(dst, q []float32, rows, d, base, n int) {
	kernels.MatMulF32(dst, q, rows, d, c.k[base:base+n*d], n)
}

func (c kvF32) weightedSum(out, p []float32, base, d, lo, hi int) {
	kernels.WeightedSum(out, p, c.v[base+lo*d:base+hi*d])
}

type kv16 struct {
	k, v []uint16
	bf16 bool
}

func (c kv16) scores(dst, q []float32, rows, d, base, n int) {
	if c.bf16 {
		kernels.MatMulBF16(dst, q, rows, d, c.k[base:base+n*d], n)
	} else {
		kernels.MatMulF16(dst, q, rows, d, c.k[base:base+n*d], n)
	}
}

func (c kv16) weightedSum(out, p []float32, base, d, lo, hi int) {
	if c.bf16 {
		kernels.WeightedSumBF16(out, p, c.v[base+lo*d:base+hi*d])
	} else {
		kernels.WeightedSumF16(out, p, c.v[base+lo*d:base+hi*d])
	}
}

func decode(out, lse, q []float32, kv kvSource, s Shape, p Params) {
	d, g := s.Dim, s.Heads/s.KVHeads
	rows := g * s.NQ
	qg := make([]float32, rows*d)
	scores := make([]float32, rows*s.NK)
	limit := make([]int, rows)
	mx := make([]float32, rows)
	sum := make([]float32, rows)
	chunks := (s.NK + decodeChunk - 1) / decodeChunk
	part := make([]float32, chunks*rows*d)
	for kvh := 0; kvh < s.KVHeads; kvh++ {
		// Row r is query row r%NQ of head kvh·g + r/NQ.
		for r := 0; r < rows; r++ {
			src := q[((kvh*g+r/s.NQ)*s.NQ+r%s.NQ)*d:][:d]
			for c, x := range src {
				qg[r*d+c] = x * p.Scale
			}
			limit[r] = s.NK
			if p.Causal {
				limit[r] = max(0, min(s.NK, p.Offset+r%s.NQ+1))
			}
		}
		base := kvh * s.kvStride() * d
		if s.NK > 0 {
			kv.scores(scores, qg, rows, d, base, s.NK)
		}
		for r := 0; r < rows; r++ {
			row := scores[r*s.NK : r*s.NK+limit[r]]
			mx[r], sum[r] = float32(math.Inf(-1)), 0
			if len(row) > 0 {
				mx[r] = kernels.Max(row)
				sum[r] = expSub(row, mx[r])
			}
		}
		clear(part)
		parallel.For(chunks, 1, func(lo, hi int) {
			for c := lo; c < hi; c++ {
				j0 := c * decodeChunk
				for r := 0; r < rows; r++ {
					j1 := min(j0+decodeChunk, limit[r])
					if j1 > j0 {
						kv.weightedSum(part[(c*rows+r)*d:][:d], scores[r*s.NK+j0:r*s.NK+j1], base, d, j0, j1)
					}
				}
			}
		})
		for r := 0; r < rows; r++ {
			dst := out[((kvh*g+r/s.NQ)*s.NQ+r%s.NQ)*d:][:d]
			clear(dst)
			for c := 0; c < chunks; c++ {
				kernels.Add(dst, part[(c*rows+r)*d:][:d])
			}
			if sum[r] > 0 {
				inv := 1 / sum[r]
				for c := range dst {
					dst[c] *= inv
				}
			}
			if lse != nil {
				l := float32(math.Inf(-1))
				if sum[r] > 0 {
					l = mx[r] + float32(math.Log(float64(sum[r])))
				}
				lse[(kvh*g+r/s.NQ)*s.NQ+r%s.NQ] = l
			}
		}
	}
}
