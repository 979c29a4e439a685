//go:build !purego

package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/quant"
)

// TestAMXBlocking checks the AMX product where its blocking shows: k wide
// enough that a chunk is 32 activation rows (so m = 77 is three chunks,
// the last short), partial panels (n = 37), one and two threads, against
// the VNNI tiles of the avx512 backend within the reference bound; and
// that an odd number of sub-blocks is left to those tiles.
func TestAMXBlocking(t *testing.T) {
	if amxImpl == nil {
		t.Skip("no AMX-INT8 here, or the kernel did not grant the tile state")
	}
	defer parallel.SetThreads(0)
	r := rand.New(rand.NewPCG(21, 22))
	for _, qt := range []quant.Type{quant.Q8_0, quant.Q4_K, quant.Q6_K} {
		const m, k, n = 77, 8192, 37
		a, err := QuantMat(qt, randQuantRows(r, qt, n, k, false), n, k)
		if err != nil {
			t.Fatal(err)
		}
		x := randF32(r, m*k)
		prev := useImpl(avx512Impl)
		want := make([]float32, m*n)
		a.MatMul(want, x, m)
		useImpl(amxImpl)
		var first []float32
		for _, th := range []int{1, 2} {
			parallel.SetThreads(th)
			got := make([]float32, m*n)
			a.MatMul(got, x, m)
			checkNear(t, qt, a, x, k, got, want)
			if first == nil {
				first = got
			} else {
				checkSame(t, 0, [][]float32{first, got})
			}
		}
		useImpl(prev)
	}
	odd, err := QuantMat(quant.Q8_0, randQuantRows(r, quant.Q8_0, 3, 96, false), 3, 96)
	if err != nil {
		t.Fatal(err)
	}
	if qgemmAMX(make([]float32, 9*3), make([]float32, 9*96), 9, 96, odd.w.q, 3) {
		t.Fatal("qgemmAMX took a Q8_0 matrix of three sub-blocks a row")
	}
}
