package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gollm/gollm/internal/parallel"
)

// TestExactMatchesReference holds the GEMM-speed Exact kernel to the
// float64 oracle, with Flash's tolerance, on random shapes: GQA and MQA,
// causal or not, prefill, prefill after a cached prefix (an offset),
// queries beyond one block, spare cache rows, decode steps (the decoding
// path), and thread counts.
func TestExactMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	defer parallel.SetThreads(parallel.Threads())
	for trial := range 60 {
		parallel.SetThreads(1 + trial%3)
		kv := []int{1, 2, 4}[rng.IntN(3)]
		s := Shape{KVHeads: kv, Heads: kv * (1 + rng.IntN(3)), Dim: []int{4, 16, 64, 72}[rng.IntN(4)]}
		s.NK = 1 + rng.IntN(400)
		p := Params{Scale: float32(1 / math.Sqrt(float64(s.Dim))), Causal: rng.IntN(3) > 0}
		switch rng.IntN(3) {
		case 0:
			s.NQ = s.NK
		case 1:
			s.NQ = 1 + rng.IntN(s.NK)
			p.Offset = s.NK - s.NQ
		default:
			s.NQ = 1 + rng.IntN(300)
		}
		if rng.IntN(2) == 0 {
			s.KVStride = s.NK + rng.IntN(20)
		}
		in := randInputs(rng, s)
		want, wantLSE := in.run(Reference{}, p)
		out, lse := in.run(Exact{}, p)
		checkClose(t, fmt.Sprintf("trial %d %+v %+v", trial, s, p), out, lse, want, wantLSE, 1e-5)
	}
}

// TestExactFullyMasked covers causal rows that see no key (queries before
// the first key): their output is 0 and their lse −Inf, as the oracle's.
func TestExactFullyMasked(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := Shape{Heads: 2, KVHeads: 1, NQ: 40, NK: 30, Dim: 16}
	in := randInputs(rng, s)
	p := Params{Scale: 0.25, Causal: true, Offset: -20}
	want, wantLSE := in.run(Reference{}, p)
	out, lse := in.run(Exact{}, p)
	checkClose(t, "masked rows", out, lse, want, wantLSE, 1e-5)
}
