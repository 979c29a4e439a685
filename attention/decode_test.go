package attention

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gollm/gollm/internal/kernels"
)

// TestDecode16 checks decoding against a 16-bit cache: equal to Exact on
// the same keys and values narrowed to f16 or bf16 and widened back.
func TestDecode16(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, s := range []Shape{
		{Heads: 4, KVHeads: 2, NQ: 1, NK: 2500, Dim: 64, KVStride: 2600}, // 3 tasks per head
		{Heads: 8, KVHeads: 1, NQ: 1, NK: 37, Dim: 32},
		{Heads: 2, KVHeads: 2, NQ: 3, NK: 2000, Dim: 72, KVStride: 2010}, // 3 tasks, causal rows
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

// TestDecode16NoRows checks that a call with no query rows writes nothing
// and does not fail.
func TestDecode16NoRows(t *testing.T) {
	s := Shape{Heads: 4, KVHeads: 2, NQ: 0, NK: 10, Dim: 8}
	k, v := make([]uint16, 2*10*8), make([]uint16, 2*10*8)
	Decode16(nil, nil, nil, k, v, false, s, Params{Scale: 1, Causal: true, Offset: 10})
}
