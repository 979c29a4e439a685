package attention

import (
	"math"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
)

// Exact is standard attention, computed as PyTorch's eager path and
// transformers' "eager" attention do: for a block of exactBlock query rows
// of one head,
//
//	S = (scale·Q)·Kᵀ                 (the GEMM kernels; K's rows are the weight rows)
//	S[i][j] = −∞ for j > Offset+i    (causal)
//	E = exp(S − rowmax), l = Σ_j E   (float32)
//	O = (E·V) / l                    (the GEMM kernels, with Vᵀ as the weights)
//
// so the work is O(n²) at GEMM speed and the memory one block of scores,
// O(exactBlock·NK), plus one KV head's values transposed. Keys past a
// block's last visible position are left out of both products. Few query
// rows (a decoding step) go to the decoding path, as Flash's do. It is
// `--attn exact`; Reference is the float64 oracle it is tested against.
// Exact is stateless and safe for concurrent use.
type Exact struct{}

// exactBlock is the query rows of one score block.
const exactBlock = 128

// Name returns "exact".
func (Exact) Name() string { return "exact" }

// Attend computes attention; see Kernel and Shape for the layouts.
func (Exact) Attend(out, lse, q, k, v []float32, s Shape, p Params) {
	if s.NQ == 0 || s.Heads == 0 {
		return
	}
	if s.Heads/s.KVHeads*s.NQ <= decodeRows {
		attendDecode(out, lse, q, k, v, s, p)
		return
	}
	d, stride, group := s.Dim, s.kvStride(), s.Heads/s.KVHeads
	scores := make([]float32, min(exactBlock, s.NQ)*s.NK)
	qs := make([]float32, min(exactBlock, s.NQ)*d) // a block of queries times the scale
	sums := make([]float32, exactBlock)
	vt := make([]float32, d*s.NK) // Vᵀ of the keys a block sees: [Dim][visible keys]
	for kh := range s.KVHeads {
		kk, vv := k[kh*stride*d:][:s.NK*d], v[kh*stride*d:][:s.NK*d]
		for r0 := 0; r0 < s.NQ; r0 += exactBlock {
			rows := min(exactBlock, s.NQ-r0)
			nk := s.NK // keys any row of the block sees
			if p.Causal {
				nk = max(0, min(s.NK, p.Offset+r0+rows))
			}
			if nk > 0 {
				kernels.Transpose(vt, nk, vv, d, nk, d)
			}
			for h := kh * group; h < (kh+1)*group; h++ {
				qb := q[(h*s.NQ+r0)*d:][:rows*d]
				ob := out[(h*s.NQ+r0)*d:][:rows*d]
				var lb []float32
				if lse != nil {
					lb = lse[h*s.NQ+r0:][:rows]
				}
				for i, x := range qb {
					qs[i] = x * p.Scale
				}
				exactBlockAttend(ob, lb, qs[:rows*d], kk[:nk*d], vt[:d*nk], scores[:rows*nk], sums[:rows], rows, nk, d, r0, p)
			}
		}
	}
}

// exactBlockAttend is one block: rows queries qb (already scaled) against
// the nk keys kb and values vt (transposed) into ob and lb, with scores and
// sums as scratch.
func exactBlockAttend(ob, lb, qb, kb, vt, scores, sums []float32, rows, nk, d, r0 int, p Params) {
	if nk == 0 {
		clear(ob)
		for i := range lb {
			lb[i] = float32(math.Inf(-1))
		}
		return
	}
	kernels.MatMulF32(scores, qb, rows, d, kb, nk) // S = (scale·Q)·Kᵀ
	parallel.For(rows, 8, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := scores[i*nk:][:nk]
			n := nk // keys row i sees
			if p.Causal {
				n = max(0, min(nk, p.Offset+r0+i+1))
			}
			vis := row[:n]
			clear(row[n:]) // E = 0 past the causal edge
			sums[i] = 0
			if n == 0 {
				if lb != nil {
					lb[i] = float32(math.Inf(-1))
				}
				continue
			}
			m := kernels.Max(vis)
			sums[i] = kernels.ExpSub(vis, m) // vis[j] = exp(S[i][j] − m)
			if lb != nil {
				lb[i] = m + float32(math.Log(float64(sums[i])))
			}
		}
	})
	kernels.MatMulF32(ob, scores, rows, nk, vt, d) // O = E·V
	for i, l := range sums {
		if l > 0 {
			o := ob[i*d:][:d]
			inv := 1 / l
			for c := range o {
				o[c] *= inv // ÷ the row's sum
			}
		}
	}
}
