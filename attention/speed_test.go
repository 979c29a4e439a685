package attention

import (
	"math/rand/v2"
	"testing"
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
func BenchmarkExact2048(b *testing.B)       { benchKernel(b, Exact{}, 2048, false) }

// benchDecode times one decoding step of a 4-head, 2-KV-head, d = 64 layer
// (gutenberg-llama-19m's shape) against a cache of nk keys, and reports the
// cache bytes read per second.
func benchDecode(b *testing.B, nk int, bits int) {
	s := Shape{Heads: 4, KVHeads: 2, NQ: 1, NK: nk, Dim: 64}
	in := randInputs(rand.New(rand.NewPCG(1, 1)), s)
	out := make([]float32, s.Heads*64)
	p := Params{Scale: 0.125, Causal: true, Offset: nk - 1}
	k16, v16 := make([]uint16, len(in.k)), make([]uint16, len(in.v))
	b.ResetTimer()
	for range b.N {
		if bits == 32 {
			Flash{}.Attend(out, nil, in.q, in.k, in.v, s, p)
		} else {
			Decode16(out, nil, in.q, k16, v16, false, s, p)
		}
	}
	bytes := float64(2*s.KVHeads*nk*64) * float64(bits/8)
	b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

func BenchmarkDecodeF32At16k(b *testing.B) { benchDecode(b, 16384, 32) }
func BenchmarkDecodeF16At16k(b *testing.B) { benchDecode(b, 16384, 16) }

func BenchmarkFlashCausal16k(b *testing.B) { benchKernel(b, Flash{}, 16384, true) }
func BenchmarkHyperCausal16k(b *testing.B) {
	benchKernel(b, NewHyper(DefaultHyperConfig(), 0, 1), 16384, true)
}
