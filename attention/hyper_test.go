package attention

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// TestHyperExactCases: Hyper must equal exact attention when n is below
// min_seq_len, and when one block holds every key and there are no samples
// (which also checks that pad keys of a short block are masked).
func TestHyperExactCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []struct {
		name string
		cfg  HyperConfig
		n    int
	}{
		{"below min-seq", HyperConfig{Block: 16, Samples: 64, Projs: 7, MinSeq: 1000}, 700},
		{"one block", HyperConfig{Block: 1024, Samples: 0, Projs: 7, MinSeq: 64}, 700},
		{"one block, sink", HyperConfig{Block: 1024, Samples: 0, Projs: 5, MinSeq: 64, Sink: 9, Order: OrderInverseGray}, 513},
	}
	for _, c := range cases {
		for _, causal := range []bool{false, true} {
			s := Shape{Heads: 4, KVHeads: 2, NQ: c.n, NK: c.n, Dim: 32, KVStride: c.n + 5}
			in := randInputs(rng, s)
			p := Params{Scale: 0.2, Causal: causal}
			want, wantLSE := in.run(Reference{}, p)
			out, lse := in.run(NewHyper(c.cfg, 0, 1), p)
			checkClose(t, fmt.Sprintf("%s causal=%v", c.name, causal), out, lse, want, wantLSE, 1e-5)
		}
	}
}

// TestHyperDecodeUsesFlash: a causal call with an offset is exact.
func TestHyperDecodeUsesFlash(t *testing.T) {
	s := Shape{Heads: 2, KVHeads: 1, NQ: 3, NK: 5000, Dim: 16}
	in := randInputs(rand.New(rand.NewPCG(9, 9)), s)
	p := Params{Scale: 0.25, Causal: true, Offset: 4997}
	want, wantLSE := in.run(Reference{}, p)
	out, lse := in.run(NewHyper(HyperConfig{Block: 8, Samples: 8, Projs: 3, MinSeq: 16}, 0, 1), p)
	checkClose(t, "decode", out, lse, want, wantLSE, 1e-5)
}

// hyperErr is Hyper's relative error against exact attention.
func hyperErr(in inputs, cfg HyperConfig, seed uint64, p Params) float64 {
	want, _ := in.run(Reference{}, p)
	out, _ := in.run(NewHyper(cfg, 3, seed), p)
	return RelErr(out, want)
}

func TestHyperErrorShrinksWithSamples(t *testing.T) {
	s := Shape{Heads: 2, KVHeads: 1, NQ: 1024, NK: 1024, Dim: 16}
	in := randInputs(rand.New(rand.NewPCG(10, 11)), s)
	for _, causal := range []bool{false, true} {
		p := Params{Scale: 0.25, Causal: causal}
		var errs []float64
		for _, m := range []int{8, 128, 8192} {
			var e float64
			for seed := range uint64(3) {
				e += hyperErr(in, HyperConfig{Block: 64, Samples: m, Projs: 4, MinSeq: 256}, seed, p) / 3
			}
			errs = append(errs, e)
		}
		t.Logf("causal=%v: relative error for 8, 128, 8192 samples: %.4f", causal, errs)
		if !(errs[1] < 0.8*errs[0] && errs[2] < 0.5*errs[1]) {
			t.Errorf("causal=%v: errors for 8, 128, 8192 samples %.4f, should shrink clearly", causal, errs)
		}
	}
}

func TestHyperDeterministic(t *testing.T) {
	s := Shape{Heads: 2, KVHeads: 2, NQ: 600, NK: 600, Dim: 16}
	in := randInputs(rand.New(rand.NewPCG(12, 13)), s)
	cfg := HyperConfig{Block: 32, Samples: 32, Projs: 5, MinSeq: 128}
	p := Params{Scale: 0.25, Causal: true}
	a, _ := in.run(NewHyper(cfg, 2, 42), p)
	b, _ := in.run(NewHyper(cfg, 2, 42), p)
	c, _ := in.run(NewHyper(cfg, 2, 43), p)
	if !slices.Equal(a, b) {
		t.Error("same seed and layer gave different outputs")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave identical outputs")
	}
}

// TestBucketOrders checks the design note's count: sorted by the released
// key, 31 of 127 neighbouring buckets (7 projections) differ in more than
// one bit; sorted by the inverse Gray code, none does.
func TestBucketOrders(t *testing.T) {
	for _, c := range []struct {
		order BucketOrder
		want  int
	}{{OrderGray, 31}, {OrderInverseGray, 0}} {
		keys := make([]uint32, 128)
		for b := range keys {
			keys[b] = c.order.sortKey(uint32(b))
		}
		perm := countingSort(keys, 128)
		far := 0
		for i := 1; i < len(perm); i++ {
			if bits.OnesCount32(uint32(perm[i]^perm[i-1])) > 1 {
				far++
			}
		}
		if far != c.want {
			t.Errorf("%s: %d neighbouring pairs differ in more than one bit, want %d", c.order, far, c.want)
		}
	}
}

// TestNoQuadraticMemory: at n = 8192 an n×n float32 buffer would be 256 MiB;
// Flash and Hyper allocate O(n·d) per call, far below it.
func TestNoQuadraticMemory(t *testing.T) {
	const n = 8192
	s := Shape{Heads: 1, KVHeads: 1, NQ: n, NK: n, Dim: 16}
	in := randInputs(rand.New(rand.NewPCG(16, 17)), s)
	out := make([]float32, n*16)
	lse := make([]float32, n)
	for _, kern := range []Kernel{Flash{}, NewHyper(HyperConfig{Block: 256, Samples: 256, Projs: 7, MinSeq: 1024}, 0, 1)} {
		for _, causal := range []bool{false, true} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			kern.Attend(out, lse, in.q, in.k, in.v, s, Params{Scale: 0.25, Causal: causal})
			runtime.ReadMemStats(&after)
			if b := after.TotalAlloc - before.TotalAlloc; b > n*n*4/16 { // a sixteenth of one n×n buffer
				t.Errorf("%s causal=%v allocated %d bytes for n=%d", kern.Name(), causal, b, n)
			}
		}
	}
}

// TestHyperCausalSplit pins the causal recursion's rule: a call longer than
// MinSeq is split at half, the first half of the rows (a leaf at most
// MinSeq long) stays exact, and the off-diagonal block is approximated even
// though it has fewer than MinSeq queries.
func TestHyperCausalSplit(t *testing.T) {
	const n, d = 120, 16
	s := Shape{Heads: 1, KVHeads: 1, NQ: n, NK: n, Dim: d}
	in := randInputs(rand.New(rand.NewPCG(18, 19)), s)
	p := Params{Scale: 0.25, Causal: true}
	want, _ := in.run(Reference{}, p)
	got, _ := in.run(NewHyper(HyperConfig{Block: 8, Samples: 0, Projs: 4, MinSeq: 64}, 0, 1), p)
	if e := RelErr(got[:n/2*d], want[:n/2*d]); e > 1e-5 {
		t.Errorf("exact leaf: relative error %.2g", e)
	}
	if e := RelErr(got[n/2*d:], want[n/2*d:]); e < 1e-3 {
		t.Errorf("off-diagonal block of %d queries looks exact (relative error %.2g): it should be approximated", n/2, e)
	}
}

// TestHyperCenter checks --hyper-center where it should matter: keys that
// share a large common component all hash alike without it, so the sorted
// blocks are no better than chance; hashing k − μ finds each query's keys.
// Also centered's arithmetic.
func TestHyperCenter(t *testing.T) {
	if c := centered([]float32{1, 10, 3, 20}, 2, 2); c[0] != -1 || c[1] != -5 || c[2] != 1 || c[3] != 5 {
		t.Fatalf("centered: %v", c)
	}
	// Each query has its own key — itself plus a little noise — in a
	// shuffled order, and every key carries the same large offset.
	s := Shape{Heads: 1, KVHeads: 1, NQ: 2048, NK: 2048, Dim: 16}
	rng := rand.New(rand.NewPCG(12, 13))
	in := randInputs(rng, s)
	perm := rng.Perm(s.NK)
	for r, j := range perm {
		for c := range s.Dim {
			in.k[j*s.Dim+c] = 2*in.q[r*s.Dim+c] + 0.2*float32(rng.NormFloat64())
			if c < 4 {
				in.k[j*s.Dim+c] += 12
			}
		}
	}
	p := Params{Scale: 0.25}
	var plain, center float64
	for seed := range uint64(3) {
		cfg := HyperConfig{Block: 64, Samples: 64, Projs: 5, MinSeq: 256}
		plain += hyperErr(in, cfg, seed, p) / 3
		cfg.Center = true
		center += hyperErr(in, cfg, seed, p) / 3
	}
	t.Logf("relative error: plain %.4f, centered %.4f", plain, center)
	if !(center < 0.85*plain) {
		t.Errorf("centering the keys should cut the error clearly: plain %.4f, centered %.4f", plain, center)
	}
}

// TestHyperWindow checks --hyper-window: a window as long as the sequence
// makes causal Hyper exact, and on attention that is local — each query
// matches the few keys just before it — the exact window cuts the error
// the sorted blocks leave.
func TestHyperWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	s := Shape{Heads: 2, KVHeads: 1, NQ: 600, NK: 600, Dim: 32}
	in := randInputs(rng, s)
	p := Params{Scale: 0.2, Causal: true}
	want, wantLSE := in.run(Reference{}, p)
	out, lse := in.run(NewHyper(HyperConfig{Block: 32, Samples: 0, Projs: 4, MinSeq: 64, Window: 600}, 0, 1), p)
	checkClose(t, "window covers every key", out, lse, want, wantLSE, 1e-5)

	// Local attention: key j is a random direction e_j, query i the sum of
	// e_{i−1} … e_{i−4}, scaled so those four keys dominate. Without the
	// window, the first queries of each causal leaf find their keys only if
	// they hash alike; with it, every query has them exactly.
	const n, d, near = 2048, 128, 4
	s = Shape{Heads: 1, KVHeads: 1, NQ: n, NK: n, Dim: d}
	in = randInputs(rng, s)
	unit := func(x []float32) {
		var ss float64
		for _, v := range x {
			ss += float64(v) * float64(v)
		}
		for c := range x {
			x[c] *= float32(4 / math.Sqrt(ss))
		}
	}
	for j := range n {
		unit(in.k[j*d : (j+1)*d])
	}
	for i := range n {
		q := in.q[i*d : (i+1)*d]
		clear(q)
		for t := 1; t <= near && i-t >= 0; t++ {
			for c := range q {
				q[c] += in.k[(i-t)*d+c]
			}
		}
	}
	p = Params{Scale: 6, Causal: true}
	var plain, window float64
	for seed := range uint64(3) {
		cfg := HyperConfig{Block: 64, Samples: 64, Projs: 5, MinSeq: 256}
		plain += hyperErr(in, cfg, seed, p) / 3
		cfg.Window = 16
		window += hyperErr(in, cfg, seed, p) / 3
	}
	t.Logf("relative error on local attention: plain %.4f, window 16 %.4f", plain, window)
	if !(window < 0.1*plain) {
		t.Errorf("an exact window should cut the error on local attention clearly: plain %.4f, window %.4f", plain, window)
	}
	if err := (HyperConfig{Block: 64, Samples: 1, Projs: 5, MinSeq: 256, Window: -1}).Validate(); err == nil {
		t.Error("a negative window should be refused")
	}
}

// TestHyperRestart: a call after Restart(u) equals the first call on stream
// u of a fresh kernel, whatever calls came before; without it the samples
// move on, and another stream draws others.
func TestHyperRestart(t *testing.T) {
	s := Shape{Heads: 2, KVHeads: 1, NQ: 512, NK: 512, Dim: 16}
	in := randInputs(rand.New(rand.NewPCG(21, 22)), s)
	cfg := HyperConfig{Block: 32, Samples: 32, Projs: 4, MinSeq: 64}
	p := Params{Scale: 0.25, Causal: true}
	fresh := func(stream uint64) []float32 {
		h := NewHyper(cfg, 2, 5)
		h.Restart(stream)
		out, _ := in.run(h, p)
		return out
	}
	h := NewHyper(cfg, 2, 5)
	first, _ := in.run(h, p)
	moved, _ := in.run(h, p)
	plan := NewPlan([]Kernel{Flash{}, h})
	plan.Restart(3)
	third, _ := in.run(h, p)
	switch {
	case !slices.Equal(first, fresh(0)):
		t.Error("stream 0 is not the generator NewHyper starts with")
	case slices.Equal(first, moved):
		t.Error("a second call drew the same samples: the generator did not move on")
	case !slices.Equal(third, fresh(3)):
		t.Error("after Plan.Restart(3) the call differs from a fresh kernel's on stream 3")
	case slices.Equal(third, first):
		t.Error("streams 0 and 3 drew the same samples")
	}
}
