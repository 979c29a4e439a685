package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTileMulAdd checks c += a·b against a float64 reference on random
// shapes around the 4×16 block, with leading dimensions wider than the
// operands and c starting as garbage.
func TestTileMulAdd(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 22))
		shapes := [][3]int{{1, 1, 1}, {4, 1, 16}, {4, 64, 64}, {64, 72, 64}, {5, 3, 17}, {3, 9, 15}}
		for range 20 {
			shapes = append(shapes, [3]int{1 + r.IntN(70), 1 + r.IntN(130), 1 + r.IntN(70)})
		}
		for _, s := range shapes {
			m, k, n := s[0], s[1], s[2]
			ldc, lda, ldb := n+r.IntN(5), k+r.IntN(5), n+r.IntN(5)
			a, b, c := randF32(r, m*lda), randF32(r, k*ldb), randF32(r, m*ldc)
			a[r.IntN(len(a))] = 0 // the portable loop skips zeros
			want, tol := make([]float64, len(c)), make([]float64, len(c))
			for i := range m {
				for j := range n {
					e := i*ldc + j
					want[e], tol[e] = float64(c[e]), math.Abs(float64(c[e]))
					for p := range k {
						v := float64(a[i*lda+p]) * float64(b[p*ldb+j])
						want[e] += v
						tol[e] += math.Abs(v)
					}
					tol[e] = float64(k+2)*0x1p-24*tol[e] + 1e-30
				}
			}
			before := append([]float32(nil), c...)
			TileMulAdd(c, ldc, a, lda, b, ldb, m, k, n)
			for e, v := range c {
				i, j := e/ldc, e%ldc
				if i >= m || j >= n {
					if v != before[e] {
						t.Fatalf("m=%d k=%d n=%d: c[%d,%d] outside the product changed", m, k, n, i, j)
					}
					continue
				}
				if d := math.Abs(float64(v) - want[e]); !(d <= tol[e]) {
					t.Fatalf("m=%d k=%d n=%d: c[%d,%d] = %g, want %g (±%g)", m, k, n, i, j, v, want[e], tol[e])
				}
			}
		}
	})
}

// TestExpSub checks the exp against math.Exp on random arguments over the
// whole float32 range of exp, large negative ones and −Inf, on lengths
// around the 8-lane block, and the returned sum.
func TestExpSub(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(23, 24))
		for _, n := range []int{1, 7, 8, 9, 64, 1001} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.Float64()*(88.3+120) - 120) // −120 … 88.3
			}
			x[r.IntN(n)] = float32(math.Inf(-1))
			x[r.IntN(n)] = -87
			const m = 1.5
			y := append([]float32(nil), x...)
			sum := ExpSub(y, m)
			var want float64
			for i, v := range x {
				e := math.Exp(float64(v - m))
				want += float64(y[i])
				// Below −87 a result (< 2⁻¹²⁵) may be flushed to 0.
				if d := math.Abs(float64(y[i]) - e); !(d <= 0x1p-23*e || v-m < -87 && d < 0x1p-125) {
					t.Fatalf("n=%d: exp(%g) = %g, want %g (rel %.2g)", n, v-m, y[i], e, d/e)
				}
			}
			if d := math.Abs(float64(sum) - want); !(d <= float64(n)*0x1p-24*want) {
				t.Fatalf("n=%d: sum %g, want %g", n, sum, want)
			}
		}
	})
}
