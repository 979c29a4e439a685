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
