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
		kh, vh := k[base:base+s.NK*d], v[base:base+s.NK*d]
		if s.NK > 0 {
			kernels.MatMulF32(scores, qg, rows, d, kh, s.NK)
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
						kernels.WeightedSum(part[(c*rows+r)*d:][:d], scores[r*s.NK+j0:r*s.NK+j1], vh[j0*d:j1*d])
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
