// Package attention implements scaled dot-product attention behind one call
// shape, in four kernels: Exact (standard attention at GEMM speed, as
// PyTorch eager computes it), Flash (tiled, online softmax), Hyper
// (HyperAttention, Han et al., ICLR 2024) and Reference (the float64
// oracle the others are tested against), plus the per-layer Plan that says
// which kernel each layer of a model uses.
package attention

import (
	"math"

	"github.com/gollm/gollm/internal/parallel"
)

// Shape describes one attention call.
//
// Layouts (row-major float32):
//   - q and out: [Heads][NQ][Dim]
//   - k and v:   [KVHeads][KVStride][Dim]; only the first NK rows of each
//     head are read, so a KV cache with spare capacity can be passed as is.
//   - lse:       [Heads][NQ], the natural log of each row's softmax
//     denominator over the scaled scores (may be nil when not wanted).
//
// Query head h reads KV head h / (Heads / KVHeads) (GQA; MQA when KVHeads is 1).
type Shape struct {
	Heads, KVHeads int
	NQ, NK         int
	Dim            int
	KVStride       int // rows per KV head in k and v; 0 means NK
}

// Params are the per-call settings.
type Params struct {
	Scale  float32 // multiplies q·k; usually 1/sqrt(Dim)
	Causal bool    // query i (position Offset+i) sees keys 0..Offset+i only
	Offset int     // position of the first query relative to key 0
}

// Kernel is one attention algorithm. Implementations may keep per-layer
// state (HyperAttention's projections and random stream) and so are not
// safe for concurrent calls; they parallelise internally.
type Kernel interface {
	Attend(out, lse, q, k, v []float32, s Shape, p Params)
	Name() string
}

func (s Shape) kvStride() int {
	if s.KVStride > 0 {
		return s.KVStride
	}
	return s.NK
}

// Reference is the obviously-correct oracle: each query row's scores, an
// exact softmax in float64, and the weighted sum of values. Rows are
// independent, so they are spread over threads; nothing else is clever
// (a 16k-token prefill takes over an hour). Tests hold every kernel to it;
// `--attn reference` runs it.
type Reference struct{}

// Name returns "reference".
func (Reference) Name() string { return "reference" }

// Attend computes attention row by row.
func (Reference) Attend(out, lse, q, k, v []float32, s Shape, p Params) {
	group := s.Heads / s.KVHeads
	stride := s.kvStride()
	parallel.For(s.Heads*s.NQ, 16, func(lo, hi int) {
		scores := make([]float64, s.NK)
		for r := lo; r < hi; r++ {
			h, i := r/s.NQ, r%s.NQ
			kh := (h / group) * stride * s.Dim
			qr := q[r*s.Dim:][:s.Dim]
			n := s.NK
			if p.Causal {
				n = max(0, min(s.NK, p.Offset+i+1))
			}
			mx := math.Inf(-1)
			for j := 0; j < n; j++ {
				kr := k[kh+j*s.Dim:][:s.Dim]
				var d float64
				for c, x := range qr {
					d += float64(x) * float64(kr[c])
				}
				scores[j] = d * float64(p.Scale)
				mx = math.Max(mx, scores[j])
			}
			var sum float64
			for j := 0; j < n; j++ {
				scores[j] = math.Exp(scores[j] - mx)
				sum += scores[j]
			}
			o := out[r*s.Dim:][:s.Dim]
			for c := range o {
				var acc float64
				for j := 0; j < n; j++ {
					acc += scores[j] * float64(v[kh+j*s.Dim+c])
				}
				if n > 0 {
					o[c] = float32(acc / sum)
				} else {
					o[c] = 0
				}
			}
			if lse != nil {
				if n > 0 {
					lse[r] = float32(mx + math.Log(sum))
				} else {
					lse[r] = float32(math.Inf(-1))
				}
			}
		}
	})
}

// RelErr is ‖a − b‖ / ‖b‖ (Frobenius norms, float64 sums; ‖a − b‖ when b
// is zero): how far an approximate kernel's output a is from a reference b.
func RelErr(a, b []float32) float64 {
	var num, den float64
	for i := range b {
		d := float64(a[i]) - float64(b[i])
		num += d * d
		den += float64(b[i]) * float64(b[i])
	}
	if den == 0 {
		return math.Sqrt(num)
	}
	return math.Sqrt(num / den)
}
