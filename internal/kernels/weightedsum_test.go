package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestWeightedSum checks out += Σ p[j]·v[j] against a float64 reference on
// widths that exercise the 32- and 8-column blocks and the scalar tail.
func TestWeightedSum(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, d := range []int{1, 8, 12, 32, 40, 64, 72, 128} {
			for _, n := range []int{1, 3, 64, 257} {
				p, v := randF32(r, n), randF32(r, n*d)
				out := randF32(r, d)
				want := make([]float64, d)
				for c := range want {
					want[c] = float64(out[c])
					for j := 0; j < n; j++ {
						want[c] += float64(p[j]) * float64(v[j*d+c])
					}
				}
				WeightedSum(out, p, v)
				for c, w := range want {
					if math.Abs(float64(out[c])-w) > 1e-4*(1+math.Abs(w))*math.Sqrt(float64(n)) {
						t.Fatalf("d=%d n=%d: out[%d] = %g, want %g", d, n, c, out[c], w)
					}
				}
			}
		}
	})
}

// TestWeightedSum16 checks the half-precision and bfloat16 variants
// against WeightedSum on the widened values, and the narrowing
// conversions against float16 and round-to-nearest-even.
func TestWeightedSum16(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, d := range []int{8, 12, 64, 72} {
			n := 33
			p, v := randF32(r, n), randF32(r, n*d)
			for _, c := range []struct {
				name   string
				narrow func([]uint16, []float32)
				widen  func([]float32, []uint16)
				sum    func(out, p []float32, v []uint16)
			}{
				{"f16", F32ToF16, F16ToF32, WeightedSumF16},
				{"bf16", F32ToBF16, BF16ToF32, WeightedSumBF16},
			} {
				bits := make([]uint16, n*d)
				c.narrow(bits, v)
				wide := make([]float32, n*d)
				c.widen(wide, bits)
				for i := range v {
					if math.Abs(float64(wide[i]-v[i])) > 1e-2*math.Abs(float64(v[i]))+1e-4 {
						t.Fatalf("%s: %g narrowed and widened is %g", c.name, v[i], wide[i])
					}
				}
				want, got := make([]float32, d), make([]float32, d)
				WeightedSum(want, p, wide)
				c.sum(got, p, bits)
				for i := range want {
					if math.Abs(float64(got[i]-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("%s d=%d: out[%d] = %g, want %g", c.name, d, i, got[i], want[i])
					}
				}
			}
		}
	})
	// bfloat16 rounds to nearest, ties to even.
	var b [3]uint16
	F32ToBF16(b[:], []float32{math.Float32frombits(0x3f808000), math.Float32frombits(0x3f818000), math.Float32frombits(0x3f808001)})
	if b != [3]uint16{0x3f80, 0x3f82, 0x3f81} {
		t.Errorf("F32ToBF16 ties: got %#x", b)
	}
}
