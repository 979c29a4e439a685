package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
)

// The JAX release's test vectors (see the design note): 2 heads, 3 rows,
// d = 4, value width 2 (padded here to 4 with zero columns), scale 0.5.
func vectorInputs() inputs {
	s := Shape{Heads: 2, KVHeads: 2, NQ: 3, NK: 3, Dim: 4}
	in := inputs{s: s, q: make([]float32, 24), k: make([]float32, 24), v: make([]float32, 24)}
	for i := range 24 {
		in.q[i] = float32(i)
		in.k[i] = float32(i-24) / 24
	}
	for r := range 6 {
		in.v[r*4] = float32(2 * r)
		in.v[r*4+1] = float32(2*r + 1)
	}
	return in
}

func TestVectors(t *testing.T) {
	in := vectorInputs()
	p := Params{Scale: 0.5}
	wantLSE := []float64{-1.02806, -6.37155, -11.33202, -2.69716, -3.53873, -4.37423}
	wantOut := [][2]float64{{2.64031, 3.64031}, {3.64401, 4.64401}, {3.91245, 4.91245}}
	wantCausal := []float64{-2.70833, -8.22668, -11.33202, -11.70833, -9.37208, -4.37423}
	for _, kern := range []Kernel{Reference{}, Flash{}} {
		out, lse := in.run(kern, p)
		for i, w := range wantLSE {
			if math.Abs(float64(lse[i])-w) > 1e-4 {
				t.Errorf("%s lse[%d] = %.5f, want %.5f", kern.Name(), i, lse[i], w)
			}
		}
		for r, w := range wantOut {
			for c := range 2 {
				if math.Abs(float64(out[r*4+c])-w[c]) > 1e-4 {
					t.Errorf("%s out[%d][%d] = %.5f, want %.5f", kern.Name(), r, c, out[r*4+c], w[c])
				}
			}
		}
		_, lse = in.run(kern, Params{Scale: 0.5, Causal: true})
		for i, w := range wantCausal {
			if math.Abs(float64(lse[i])-w) > 1e-4 {
				t.Errorf("%s causal lse[%d] = %.5f, want %.5f", kern.Name(), i, lse[i], w)
			}
		}
	}
}

// TestFlashMatchesExact is the property test: random shapes (GQA, MQA,
// offsets, ragged tiles, decode), causal and not.
func TestFlashMatchesExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 60 {
		kv := []int{1, 2, 4}[rng.IntN(3)]
		s := Shape{KVHeads: kv, Heads: kv * (1 + rng.IntN(3)), Dim: []int{4, 16, 64, 72}[rng.IntN(4)]}
		s.NK = 1 + rng.IntN(300)
		p := Params{Scale: float32(1 / math.Sqrt(float64(s.Dim))), Causal: rng.IntN(2) == 0}
		switch rng.IntN(3) {
		case 0: // prefill
			s.NQ = s.NK
		case 1: // chunked prefill or decode against a cache
			s.NQ = 1 + rng.IntN(s.NK)
			p.Offset = s.NK - s.NQ
		default:
			s.NQ = 1 + rng.IntN(200)
		}
		if rng.IntN(2) == 0 {
			s.KVStride = s.NK + rng.IntN(20)
		}
		in := randInputs(rng, s)
		want, wantLSE := in.run(Reference{}, p)
		out, lse := in.run(Flash{}, p)
		checkClose(t, fmt.Sprintf("trial %d %+v %+v", trial, s, p), out, lse, want, wantLSE, 1e-5)
	}
}

// TestFlashSplitKV covers decode over a long cache, where keys are split
// across threads and merged, and checks thread count does not matter.
func TestFlashSplitKV(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := Shape{Heads: 4, KVHeads: 2, NQ: 1, NK: 5000, Dim: 64, KVStride: 6000}
	in := randInputs(rng, s)
	p := Params{Scale: 0.125, Causal: true, Offset: 4999}
	want, wantLSE := in.run(Reference{}, p)
	defer parallel.SetThreads(parallel.Threads())
	for _, th := range []int{1, 2, 3} {
		parallel.SetThreads(th)
		out, lse := in.run(Flash{}, p)
		checkClose(t, fmt.Sprintf("threads %d", th), out, lse, want, wantLSE, 1e-5)
	}
}

// TestFlashSplitTiles reaches Flash's split of the keys of query tiles
// (too few tiles to occupy the threads, more rows per KV head than the
// decoding path takes, at least two ranges of minSplitKeys keys) — the
// flashSplits counter proves each call took it — and checks it against the
// float64 reference at 1, 2 and 3 threads, causal or not.
func TestFlashSplitTiles(t *testing.T) {
	defer parallel.SetThreads(parallel.Threads())
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range []Shape{
		{Heads: 2, KVHeads: 1, NQ: 20, NK: 3000, Dim: 64, KVStride: 3010},
		{Heads: 3, KVHeads: 3, NQ: 9, NK: 1500, Dim: 16},
	} {
		in := randInputs(rng, s)
		for _, p := range []Params{{Scale: 0.125, Causal: true, Offset: s.NK - s.NQ}, {Scale: 0.2}} {
			want, wantLSE := in.run(Reference{}, p)
			for _, th := range []int{1, 2, 3} {
				parallel.SetThreads(th)
				before := flashSplits.Load()
				out, lse := in.run(Flash{}, p)
				what := fmt.Sprintf("%+v %+v, %d threads", s, p, th)
				if flashSplits.Load() == before {
					t.Fatalf("%s: Flash did not split the keys", what)
				}
				checkClose(t, what, out, lse, want, wantLSE, 1e-5)
			}
		}
	}
}

func TestMergeLSE(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	s := Shape{Heads: 1, KVHeads: 1, NQ: 7, NK: 90, Dim: 8}
	in := randInputs(rng, s)
	// Make the two halves' LSEs far apart (tens of nats) to catch saturation.
	for i := range 45 * 8 {
		in.k[i] *= 30
	}
	p := Params{Scale: 1}
	want, wantLSE := in.run(Reference{}, p)
	half := s
	half.NK = 45
	a, la := in.run(Reference{}, p)
	Reference{}.Attend(a, la, in.q, in.k, in.v, half, p)
	b, lb := in.run(Reference{}, p)
	Reference{}.Attend(b, lb, in.q, in.k[45*8:], in.v[45*8:], half, p)
	MergeLSE(a, la, b, lb, s.NQ, s.Dim)
	checkClose(t, "merge", a, la, want, wantLSE, 1e-5)
	// Merging an empty side (−Inf) is the identity.
	empty := make([]float32, 7)
	for i := range empty {
		empty[i] = float32(math.Inf(-1))
	}
	MergeLSE(b, lb, make([]float32, 56), empty, 7, 8)
	eo := make([]float32, 56)
	MergeLSE(eo, empty, b, lb, 7, 8)
	if maxAbsDiff(empty, lb) != 0 || maxAbsDiff(eo, b) != 0 {
		t.Errorf("merge into empty: lse %v, want %v", empty, lb)
	}
}

// TestFlashEveryBackend runs Flash on each kernel set this CPU supports,
// the portable Go one first, so the fallbacks other architectures use are
// checked on every machine.
func TestFlashEveryBackend(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	s := Shape{Heads: 2, KVHeads: 1, NQ: 150, NK: 150, Dim: 24}
	in := randInputs(rng, s)
	p := Params{Scale: 0.2, Causal: true}
	want, wantLSE := in.run(Reference{}, p)
	for _, name := range kernels.Backends() {
		prev, err := kernels.SetBackend(name)
		if err != nil {
			t.Fatal(err)
		}
		out, lse := in.run(Flash{}, p)
		kernels.SetBackend(prev)
		checkClose(t, name, out, lse, want, wantLSE, 1e-5)
	}
}
