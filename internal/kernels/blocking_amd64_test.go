//go:build !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// tileGo is a portable micro-kernel for any mr×nr tile, so the GEMM driver
// can be run with the blocking of an implementation this CPU cannot run.
func tileGo(mr, nr int) func(kc int, a, b, c []float32, ldc int, acc bool) {
	return func(kc int, a, b, c []float32, ldc int, acc bool) {
		for i := 0; i < mr; i++ {
			for j := 0; j < nr; j++ {
				var s float32
				for p := 0; p < kc; p++ {
					s += a[p*mr+i] * b[p*nr+j]
				}
				if acc {
					s += c[i*ldc+j]
				}
				c[i*ldc+j] = s
			}
		}
	}
}

// TestBlockingOfEveryImpl runs the GEMM driver with the tile and block
// sizes of every implementation (AVX2 and AVX-512 included, whatever this
// CPU has) on shapes that leave partial panels and blocks, among them the
// 50257-wide output layer that once overran a packed buffer on AVX-512.
func TestBlockingOfEveryImpl(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	shapes := [][3]int{{9, 256, 50257}, {13, 768, 300}, {25, 130, 4099}}
	for _, im := range []*impl{goImpl, avx2Impl, avx512Impl} {
		sim := *goImpl
		sim.name, sim.mr, sim.nr, sim.mc, sim.kc, sim.nc = im.name, im.mr, im.nr, im.mc, im.kc, im.nc
		sim.gemm = tileGo(im.mr, im.nr)
		prev := useImpl(&sim)
		for _, s := range shapes {
			m, k, n := s[0], s[1], s[2]
			x, w := randF32(r, m*k), randF32(r, n*k)
			out := make([]float32, m*n)
			MatMulF32(out, x, m, k, w, n)
			for _, i := range []int{0, m*n/2 + 1, m*n - 1} {
				row, col := i/n, i%n
				var ref float64
				for p := 0; p < k; p++ {
					ref += float64(x[row*k+p]) * float64(w[col*k+p])
				}
				if d := math.Abs(float64(out[i]) - ref); d > 1e-3*(1+math.Abs(ref)) {
					t.Errorf("%s blocking, m=%d k=%d n=%d: out[%d,%d] = %g, want %g", im.name, m, k, n, row, col, out[i], ref)
				}
			}
		}
		useImpl(prev)
	}
}
