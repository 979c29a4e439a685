package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkMatMulF32(b *testing.B) {
	for _, s := range [][3]int{{1, 2048, 2048}, {512, 1024, 1024}, {1024, 256, 4096}} {
		m, k, n := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			x, w, out := randF32(r, m*k), randF32(r, n*k), make([]float32, m*n)
			for b.Loop() {
				MatMulF32(out, x, m, k, w, n)
			}
			b.ReportMetric(2*float64(m*k*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
