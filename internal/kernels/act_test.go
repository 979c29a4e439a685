package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSiLUMul checks the (vectorised) SwiGLU activation against float64,
// including inputs far enough out to hit the exp clamps.
func TestSiLUMul(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, n := range []int{1, 8, 13, 1000} {
			gate, up := make([]float32, n), randF32(r, n)
			for i := range gate {
				gate[i] = float32((r.Float64()*2 - 1) * []float64{3, 20, 120}[i%3])
			}
			want := make([]float64, n)
			for i, g := range gate {
				want[i] = float64(g) / (1 + math.Exp(-float64(g))) * float64(up[i])
			}
			SiLUMul(gate, up)
			for i, v := range gate {
				if d := math.Abs(float64(v) - want[i]); d > 1e-6*math.Abs(want[i])+1e-30 {
					t.Fatalf("n=%d: silu·up [%d] = %g, want %g", n, i, v, want[i])
				}
			}
		}
	})
}

// TestGELUTanh checks the tanh-approximated GELU against float64 over a
// range that reaches both saturated ends.
func TestGELUTanh(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		x := make([]float32, 1003)
		for i := range x {
			x[i] = float32(i-501) / 25 // −20 … 20
		}
		want := make([]float64, len(x))
		for i, v := range x {
			u := float64(v)
			// 0.5·u·(1 + tanh z) without the cancellation where tanh z ≈ −1
			want[i] = u / (1 + math.Exp(-2*0.7978845608028654*(u+0.044715*u*u*u)))
		}
		GELUTanh(x)
		for i, v := range x {
			// float32 rounding of the exp argument a costs ~|a|·2⁻²⁴ relative
			u := float64(i-501) / 25
			a := math.Abs(2 * 0.7978845608028654 * (u + 0.044715*u*u*u))
			if d := math.Abs(float64(v) - want[i]); d > (1e-6+a*2e-7)*math.Abs(want[i])+1e-30 {
				t.Fatalf("GELUTanh(%g) = %g, want %g", float64(i-501)/25, v, want[i])
			}
		}
	})
}

// TestLogSumExp checks LogSumExp against float64 on logits-like rows and
// its edge cases.
func TestLogSumExp(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		for _, n := range []int{1, 7, 8, 50257} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64()*4 - 2)
			}
			x[n/2] = 25 // a dominant logit; others far below it reach the clamp
			mx := 25.0
			var s float64
			for _, v := range x {
				s += math.Exp(float64(v) - mx)
			}
			want := mx + math.Log(s)
			if got := LogSumExp(x); math.Abs(got-want) > 1e-6*math.Abs(want) {
				t.Fatalf("n=%d: LogSumExp = %.9g, want %.9g", n, got, want)
			}
		}
		if got := LogSumExp(nil); !math.IsInf(got, -1) {
			t.Fatalf("LogSumExp(nil) = %g, want -Inf", got)
		}
		inf := float32(math.Inf(1))
		if got := LogSumExp([]float32{1, inf, 2}); !math.IsInf(got, 1) {
			t.Fatalf("LogSumExp with +Inf = %g, want +Inf", got)
		}
	})
}

func BenchmarkSiLUMul(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	src, u := randF32(r, 768*64), randF32(r, 768*64)
	g := make([]float32, len(src))
	for b.Loop() {
		copy(g, src) // repeated in-place application would drift into denormals
		SiLUMul(g, u)
	}
	b.ReportMetric(float64(len(g))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
}

func BenchmarkLogSumExp(b *testing.B) {
	x := randF32(rand.New(rand.NewPCG(1, 1)), 50257)
	for b.Loop() {
		LogSumExp(x)
	}
	b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
}
