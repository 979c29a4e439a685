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
