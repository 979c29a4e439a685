package attention

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/weights"
)

// decodeParams are the parameters of one query row at the end of nk keys.
func decodeParams(nk int) Params { return Params{Scale: 0.3, Causal: true, Offset: nk - 1} }

// runDecoder calls d on in (f32 cache) and returns out and lse.
func runDecoder(d *HyperDecoder, in inputs) (out, lse []float32) {
	out = make([]float32, in.s.Heads*in.s.Dim)
	lse = make([]float32, in.s.Heads)
	d.Attend(out, lse, in.q, cacheOf(in, weights.F32), in.s.Heads, decodeParams(in.s.NK))
	return out, lse
}

// TestHyperDecodeExactWhenCovered: below min-seq, or when the window and
// the neighbourhood hold every key, the decoder is exact attention, on f32
// and 16-bit caches.
func TestHyperDecodeExactWhenCovered(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	cases := []struct {
		name       string
		cfg        HyperConfig
		heads, kvh int
		n, dim     int
	}{
		{"below min-seq", HyperConfig{Block: 4, Samples: 4, Projs: 3, MinSeq: 1000}, 4, 2, 700, 32},
		{"block ≥ cache", HyperConfig{Block: 512, Samples: 8, Projs: 7, MinSeq: 1}, 3, 1, 300, 48},
		{"neighbourhood holds the rest", HyperConfig{Block: 64, Samples: 32, Projs: 5, MinSeq: 16, Sink: 3}, 4, 2, 120, 32},
		{"inverse gray, sink", HyperConfig{Block: 100, Samples: 16, Projs: 6, MinSeq: 16, Sink: 7, Order: OrderInverseGray}, 8, 2, 200, 16},
	}
	for _, c := range cases {
		s := Shape{Heads: c.heads, KVHeads: c.kvh, NQ: 1, NK: c.n, Dim: c.dim, KVStride: c.n + 3}
		in := randInputs(rng, s)
		want, wantLSE := in.run(Reference{}, decodeParams(c.n))
		out, lse := runDecoder(NewHyper(c.cfg, 2, 5).NewDecoder(c.kvh, c.dim, 0), in)
		checkClose(t, c.name, out, lse, want, wantLSE, 1e-5)
		for _, dtype := range []weights.DType{weights.F16, weights.BF16} {
			want, wantLSE := rounded(in, dtype).run(Reference{}, decodeParams(c.n))
			out := make([]float32, c.heads*c.dim)
			lse := make([]float32, c.heads)
			NewHyper(c.cfg, 2, 5).NewDecoder(c.kvh, c.dim, 0).Attend(out, lse, in.q, cacheOf(in, dtype), c.heads, decodeParams(c.n))
			checkClose(t, fmt.Sprintf("%s, %s cache", c.name, dtype), out, lse, want, wantLSE, 1e-5)
		}
	}
}

// refHash is the bucket sort key of x under l, with float64 products.
func refHash(l *lsh, x []float32) uint16 {
	var b uint32
	for i := 0; i < l.projs; i++ {
		var p float64
		for c, v := range x {
			p += float64(v) * float64(l.pt[c*lshCols+i])
		}
		if p > 0 {
			b |= 1 << i
		}
	}
	return uint16(l.order.sortKey(b))
}

// refHyperDecode is the decoder written out plainly: sort the keys between
// the sink and the window by bucket, take the block around the middle of
// the query's bucket, draw the samples as the decoder does, and attend in
// float64 with weights 1 (sink, window, neighbourhood) and R/Samples (the
// samples outside the neighbourhood).
func refHyperDecode(in inputs, cfg HyperConfig, window int, seed uint64, layer int) (out, lse []float32) {
	s, d, n := in.s, in.s.Dim, in.s.NK
	l := newLSH(cfg.Projs, d, cfg.Order, seed, layer)
	sink := min(cfg.Sink, n)
	win := max(sink, n-window)
	r := win - sink
	m := cfg.Samples
	if r <= cfg.Block {
		m = 0
	}
	rng := decodeRNG(seed, layer)
	samples := make([]int, s.Heads*m)
	for i := range samples {
		samples[i] = sink + rng.IntN(r)
	}
	out, lse = make([]float32, s.Heads*d), make([]float32, s.Heads)
	g := s.Heads / s.KVHeads
	for h := 0; h < s.Heads; h++ {
		base := (h / g) * s.kvStride() * d
		key := func(j int) uint16 { return refHash(l, in.k[base+j*d:][:d]) }
		var sorted []int
		for j := sink; j < win; j++ {
			sorted = append(sorted, j)
		}
		slices.SortStableFunc(sorted, func(a, b int) int { return int(key(a)) - int(key(b)) })
		q := in.q[h*d:][:d]
		kq := refHash(l, q)
		first, count := 0, 0
		for i, j := range sorted {
			if key(j) < kq {
				first = i + 1
			} else if key(j) == kq {
				count++
			}
		}
		size := min(cfg.Block, r)
		lo := min(max(first+count/2-size/2, 0), r-size)
		weight := map[int]float64{}
		for j := 0; j < sink; j++ {
			weight[j] = 1
		}
		for j := win; j < n; j++ {
			weight[j] = 1
		}
		for _, j := range sorted[lo : lo+size] {
			weight[j] = 1
		}
		near := map[int]bool{}
		for _, j := range sorted[lo : lo+size] {
			near[j] = true
		}
		for _, j := range samples[h*m : (h+1)*m] {
			if !near[j] {
				weight[j] += float64(r) / float64(m)
			}
		}
		score := func(j int) float64 {
			var x float64
			for c := range q {
				x += float64(q[c]) * float64(in.k[base+j*d+c])
			}
			return x * 0.3
		}
		mx := math.Inf(-1)
		for j := range weight {
			mx = math.Max(mx, score(j))
		}
		var sum float64
		acc := make([]float64, d)
		for j, w := range weight {
			e := w * math.Exp(score(j)-mx)
			sum += e
			for c := range acc {
				acc[c] += e * float64(in.v[base+j*d+c])
			}
		}
		for c := range acc {
			out[h*d+c] = float32(acc[c] / sum)
		}
		lse[h] = float32(mx + math.Log(sum))
	}
	return out, lse
}

// TestHyperDecodeReference: the decoder against refHyperDecode on random
// shapes where the sink, window, neighbourhood and samples all matter.
func TestHyperDecodeReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	cfgs := []HyperConfig{
		{Block: 16, Samples: 24, Projs: 4, MinSeq: 32, Sink: 2},
		{Block: 32, Samples: 8, Projs: 6, MinSeq: 32, Order: OrderInverseGray},
		{Block: 7, Samples: 0, Projs: 3, MinSeq: 32, Sink: 5},
		{Block: 16, Samples: 64, Projs: 7, MinSeq: 32},
	}
	for i := 0; i < 12; i++ {
		cfg := cfgs[i%len(cfgs)]
		kvh := 1 + rng.IntN(3)
		s := Shape{Heads: kvh * (1 + rng.IntN(3)), KVHeads: kvh, NQ: 1, NK: 40 + rng.IntN(400), Dim: 8 + 8*rng.IntN(4)}
		s.KVStride = s.NK + rng.IntN(5)
		in := randInputs(rng, s)
		seed := rng.Uint64()
		window := []int{0, 1, 50}[i%3] // 0: Block
		want, wantLSE := refHyperDecode(in, cfg, cmp.Or(window, cfg.Block), seed, 3)
		out, lse := runDecoder(NewHyper(cfg, 3, seed).NewDecoder(kvh, s.Dim, window), in)
		checkClose(t, fmt.Sprintf("%+v %s", s, cfg), out, lse, want, wantLSE, 1e-5)
	}
}

// TestHyperDecodeIncrementalIndex: a decoder stepped one key at a time
// holds the same index as one that indexed the whole cache at once.
func TestHyperDecodeIncrementalIndex(t *testing.T) {
	cfg := HyperConfig{Block: 8, Samples: 8, Projs: 5, MinSeq: 20, Sink: 1}
	const n, kvh = 300, 2
	s := Shape{Heads: 4, KVHeads: kvh, NQ: 1, NK: n, Dim: 16}
	in := randInputs(rand.New(rand.NewPCG(25, 26)), s)
	stepped := NewHyper(cfg, 1, 9).NewDecoder(kvh, s.Dim, 0)
	c := NewKVCache(weights.F32, kvh, s.Dim, n)
	for nk := 1; nk <= n; nk++ {
		appendRows(c, in, nk-1, nk)
		stepped.Attend(make([]float32, s.Heads*s.Dim), nil, in.q, c, s.Heads, decodeParams(nk))
	}
	whole := NewHyper(cfg, 1, 9).NewDecoder(kvh, s.Dim, 0)
	runDecoder(whole, in)
	if stepped.Indexed() != n-cfg.Block || whole.Indexed() != n-cfg.Block {
		t.Fatalf("indexed up to %d and %d, want %d", stepped.Indexed(), whole.Indexed(), n-cfg.Block)
	}
	for h := range stepped.kv {
		a, b := stepped.kv[h], whole.kv[h]
		if !slices.Equal(a.key[cfg.Sink:], b.key[cfg.Sink:]) {
			t.Errorf("KV head %d: bucket keys differ", h)
		}
		for k := range a.lists {
			if !slices.Equal(a.lists[k], b.lists[k]) {
				t.Errorf("KV head %d bucket %d: %v stepped, %v at once", h, k, a.lists[k], b.lists[k])
			}
		}
	}
}

// TestHyperDecodeDeterministic: the same output at 1, 2 and 3 threads and
// for the same seed; another seed gives another output; a 16-bit cache gives
// exactly what its widened f32 copy gives.
func TestHyperDecodeDeterministic(t *testing.T) {
	defer parallel.SetThreads(parallel.Threads())
	cfg := HyperConfig{Block: 32, Samples: 48, Projs: 6, MinSeq: 64, Sink: 4}
	s := Shape{Heads: 8, KVHeads: 2, NQ: 1, NK: 2000, Dim: 32, KVStride: 2001}
	in := randInputs(rand.New(rand.NewPCG(27, 28)), s)
	var first []float32
	for _, th := range []int{1, 2, 3} {
		parallel.SetThreads(th)
		out, _ := runDecoder(NewHyper(cfg, 0, 11).NewDecoder(2, s.Dim, 0), in)
		if first == nil {
			first = out
		} else if !slices.Equal(out, first) {
			t.Errorf("%d threads: output differs from 1 thread", th)
		}
	}
	if out, _ := runDecoder(NewHyper(cfg, 0, 12).NewDecoder(2, s.Dim, 0), in); slices.Equal(out, first) {
		t.Error("another seed gave the same output")
	}
	for _, dtype := range []weights.DType{weights.F16, weights.BF16} {
		want, _ := runDecoder(NewHyper(cfg, 0, 11).NewDecoder(2, s.Dim, 0), rounded(in, dtype))
		out := make([]float32, s.Heads*s.Dim)
		NewHyper(cfg, 0, 11).NewDecoder(2, s.Dim, 0).Attend(out, nil, in.q, cacheOf(in, dtype), s.Heads, decodeParams(s.NK))
		if !slices.Equal(out, want) {
			t.Errorf("%s cache differs from its widened f32 copy", dtype)
		}
	}
}

// TestHyperDecodeSamplesReduceError: over the keys the neighbourhood and
// window miss, more samples bring the output closer to exact attention.
func TestHyperDecodeSamplesReduceError(t *testing.T) {
	s := Shape{Heads: 2, KVHeads: 1, NQ: 1, NK: 3000, Dim: 16}
	in := randInputs(rand.New(rand.NewPCG(29, 30)), s)
	want, _ := in.run(Reference{}, decodeParams(s.NK))
	var errs []float64
	for _, m := range []int{0, 64, 4096} {
		var e float64
		for seed := uint64(0); seed < 3; seed++ {
			cfg := HyperConfig{Block: 16, Samples: m, Projs: 5, MinSeq: 64}
			out, _ := runDecoder(NewHyper(cfg, 0, seed).NewDecoder(1, s.Dim, 0), in)
			e += RelErr(out, want) / 3
		}
		errs = append(errs, e)
	}
	if !(errs[2] < errs[1] && errs[2] < errs[0]/2) {
		t.Errorf("relative error for 0, 64, 4096 samples: %.3g — want it to shrink", errs)
	}
}

// BenchmarkHyperDecode16 is one decode step of a layer shaped like
// gutenberg-llama-19m's (4 heads, 2 KV heads, dim 64) against a 64k f16
// cache, with the released settings and the CLI default window of 4096
// keys (the index is built before timing).
func BenchmarkHyperDecode16(b *testing.B) {
	const n = 65536
	s := Shape{Heads: 4, KVHeads: 2, NQ: 1, NK: n, Dim: 64}
	in := randInputs(rand.New(rand.NewPCG(1, 2)), s)
	c := cacheOf(in, weights.F16)
	d := NewHyper(DefaultHyperConfig(), 0, 1).NewDecoder(2, 64, 4096) // the CLI default window
	out := make([]float32, s.Heads*s.Dim)
	d.Attend(out, nil, in.q, c, s.Heads, decodeParams(n)) // indexes the cache
	b.ResetTimer()
	for range b.N {
		d.Attend(out, nil, in.q, c, s.Heads, decodeParams(n))
	}
}

// TestHyperDecodeIndexHash checks that the batched hashing of the first
// index build gives every key the bucket the per-row hash of a decode step
// gives it (the same GEMV dot, operands swapped), on odd sizes and dims.
func TestHyperDecodeIndexHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 31))
	for _, dim := range []int{16, 40, 64, 72} {
		s := Shape{Heads: 2, KVHeads: 2, NQ: 1, NK: 1531, Dim: dim}
		in := randInputs(rng, s)
		d := NewHyper(HyperConfig{Block: 16, Samples: 8, Projs: 7, MinSeq: 64}, 0, 3).NewDecoder(2, dim, 32)
		d.index(kvF32{in.k, in.v}, s, s.NK)
		for h := range 2 {
			for j := range s.NK {
				if want := d.hash(in.k[(h*s.NK+j)*dim:][:dim]); d.kv[h].key[j] != want {
					t.Fatalf("dim %d head %d key %d: indexed in bucket key %d, its own hash is %d", dim, h, j, d.kv[h].key[j], want)
				}
			}
		}
	}
}
