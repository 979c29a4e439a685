package attention

import (
	"math"
	"math/rand/v2"
	"testing"
)

// inputs holds random q, k, v for a shape, k and v with spare cache rows.
type inputs struct {
	s       Shape
	q, k, v []float32
}

func randInputs(rng *rand.Rand, s Shape) inputs {
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	return inputs{s: s, q: fill(s.Heads * s.NQ * s.Dim), k: fill(s.KVHeads * s.kvStride() * s.Dim), v: fill(s.KVHeads * s.kvStride() * s.Dim)}
}

// run calls kernel on in and returns out and lse.
func (in inputs) run(kern Kernel, p Params) (out, lse []float32) {
	out = make([]float32, in.s.Heads*in.s.NQ*in.s.Dim)
	lse = make([]float32, in.s.Heads*in.s.NQ)
	kern.Attend(out, lse, in.q, in.k, in.v, in.s, p)
	return out, lse
}

// maxAbsDiff is max |a − b|, treating equal infinities as equal.
func maxAbsDiff(a, b []float32) float64 {
	var m float64
	for i := range b {
		if a[i] == b[i] {
			continue
		}
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

func checkClose(t *testing.T, what string, out, lse, wantOut, wantLSE []float32, tol float64) {
	t.Helper()
	if e := RelErr(out, wantOut); !(e <= tol) {
		t.Errorf("%s: out relative error %.3g > %.3g", what, e, tol)
	}
	if e := maxAbsDiff(lse, wantLSE); !(e <= tol*10) {
		t.Errorf("%s: lse max abs diff %.3g > %.3g", what, e, tol*10)
	}
}
