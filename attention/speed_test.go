package attention

import (
	"math/rand/v2"
	"testing"

	"github.com/gollm/gollm/weights"
)

func benchKernel(b *testing.B, kern Kernel, n int, causal bool) {
	s := Shape{Heads: 1, KVHeads: 1, NQ: n, NK: n, Dim: 64}
	in := randInputs(rand.New(rand.NewPCG(1, 1)), s)
	out := make([]float32, n*64)
	lse := make([]float32, n)
	p := Params{Scale: 0.125, Causal: causal}
	b.ResetTimer()
	for range b.N {
		kern.Attend(out, lse, in.q, in.k, in.v, s, p)
	}
	flops := 4.0 * float64(n) * float64(n) * 64
	if causal {
		flops /= 2
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkFlash4096(b *testing.B)       { benchKernel(b, Flash{}, 4096, false) }
func BenchmarkFlashCausal4096(b *testing.B) { benchKernel(b, Flash{}, 4096, true) }
func BenchmarkExact2048(b *testing.B)       { benchKernel(b, Reference{}, 2048, false) }

// benchDecode times one decoding step of a model with 8 layers shaped like
// gutenberg-llama-19m's (4 heads, 2 KV heads, d = 64) against a cache of nk
// keys per layer — 8 separate caches, together larger than the L3 cache, as
// in a real model — and reports the cache bytes read per second.
func benchDecode(b *testing.B, nk int, bits int) {
	const layers = 8
	s := Shape{Heads: 4, KVHeads: 2, NQ: 1, NK: nk, Dim: 64}
	in := randInputs(rand.New(rand.NewPCG(1, 1)), s)
	out := make([]float32, s.Heads*64)
	p := Params{Scale: 0.125, Causal: true, Offset: nk - 1}
	dtype := weights.F32
	if bits == 16 {
		dtype = weights.F16
	}
	var caches [layers]*KVCache
	for l := range layers {
		caches[l] = cacheOf(in, dtype)
	}
	b.ResetTimer()
	for range b.N {
		for _, c := range caches {
			c.Attend(Flash{}, out, nil, in.q, s.Heads, p, nil)
		}
	}
	bytes := float64(layers*2*s.KVHeads*nk*64) * float64(bits/8)
	b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

func BenchmarkDecodeF32At16k(b *testing.B) { benchDecode(b, 16384, 32) }
func BenchmarkDecodeF16At16k(b *testing.B) { benchDecode(b, 16384, 16) }

func BenchmarkFlashCausal16k(b *testing.B) { benchKernel(b, Flash{}, 16384, true) }
func BenchmarkHyperCausal16k(b *testing.B) {
	benchKernel(b, NewHyper(DefaultHyperConfig(), 0, 1), 16384, true)
}
