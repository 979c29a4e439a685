package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gollm/gollm/internal/kernels"
)

// TestDecode16 checks decoding against a 16-bit cache: equal to Exact on
// the same keys and values narrowed to f16 or bf16 and widened back.
func TestDecode16(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, s := range []Shape{
		{Heads: 4, KVHeads: 2, NQ: 1, NK: 1000, Dim: 64, KVStride: 1100},
		{Heads: 8, KVHeads: 1, NQ: 1, NK: 37, Dim: 32},
		{Heads: 2, KVHeads: 2, NQ: 3, NK: 300, Dim: 72, KVStride: 310},
	} {
		in := randInputs(rng, s)
		p := Params{Scale: 0.125, Causal: true, Offset: s.NK - s.NQ}
		for _, bf16 := range []bool{false, true} {
			narrow, widen := kernels.F32ToF16, kernels.F16ToF32
			if bf16 {
				narrow, widen = kernels.F32ToBF16, kernels.BF16ToF32
			}
			k16, v16 := make([]uint16, len(in.k)), make([]uint16, len(in.v))
			narrow(k16, in.k)
			narrow(v16, in.v)
			wide := inputs{s: s, q: in.q, k: make([]float32, len(in.k)), v: make([]float32, len(in.v))}
			widen(wide.k, k16)
			widen(wide.v, v16)
			wantOut, wantLSE := wide.run(Exact{}, p)
			out, lse := make([]float32, len(wantOut)), make([]float32, len(wantLSE))
			Decode16(out, lse, in.q, k16, v16, bf16, s, p)
			checkClose(t, fmt.Sprintf("%+v bf16=%v", s, bf16), out, lse, wantOut, wantLSE, 1e-5)
		}
	}
}

// TestScoreRows checks the decoding scores (dot8 groups and the scalar
// tail, or the matrix product for head sizes not a multiple of 8) against
// plain float64 dot products on random shapes.
func TestScoreRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	for _, d := range []int{8, 12, 16, 64, 72, 128} {
		for _, m := range []int{1, 2, 3, 8} {
			for _, n := range []int{1, 7, 8, 9, 40, 259} {
				q, k := make([]float32, m*d), make([]float32, n*d)
				for i := range q {
					q[i] = float32(rng.NormFloat64())
				}
				for i := range k {
					k[i] = float32(rng.NormFloat64())
				}
				got := make([]float32, m*n)
				scoreRows(got, q, m, d, k, n)
				for r := range m {
					for j := range n {
						var want, norm float64
						for c := range d {
							want += float64(q[r*d+c]) * float64(k[j*d+c])
							norm += math.Abs(float64(q[r*d+c]) * float64(k[j*d+c]))
						}
						if e := math.Abs(float64(got[r*n+j]) - want); e > 1e-5*norm {
							t.Fatalf("d=%d m=%d n=%d: score[%d][%d] = %g, want %g", d, m, n, r, j, got[r*n+j], want)
						}
					}
				}
			}
		}
	}
}
