package attention

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/weights"
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

// cacheOf returns a KVCache of type dtype and capacity in.s.kvStride()
// holding in's NK keys and values.
func cacheOf(in inputs, dtype weights.DType) *KVCache {
	c := NewKVCache(dtype, in.s.KVHeads, in.s.Dim, in.s.kvStride())
	appendRows(c, in, 0, in.s.NK)
	return c
}

// appendRows appends the keys and values of in's positions [lo, hi) to c.
func appendRows(c *KVCache, in inputs, lo, hi int) {
	s, d := in.s, in.s.Dim
	k, v := make([]float32, (hi-lo)*s.KVHeads*d), make([]float32, (hi-lo)*s.KVHeads*d)
	for j := lo; j < hi; j++ { // [KVHeads][stride][Dim] → [positions][KVHeads][Dim]
		for h := range s.KVHeads {
			dst, src := ((j-lo)*s.KVHeads+h)*d, (h*s.kvStride()+j)*d
			copy(k[dst:dst+d], in.k[src:src+d])
			copy(v[dst:dst+d], in.v[src:src+d])
		}
	}
	c.Append(k, v)
}

// rounded returns in with its keys and values rounded to dtype (F16 or
// BF16) and widened back: what a cache of that type holds, as float32.
func rounded(in inputs, dtype weights.DType) inputs {
	narrow, widen := kernels.F32ToF16, kernels.F16ToF32
	if dtype == weights.BF16 {
		narrow, widen = kernels.F32ToBF16, kernels.BF16ToF32
	}
	out := in
	out.k, out.v = make([]float32, len(in.k)), make([]float32, len(in.v))
	for _, x := range [][2][]float32{{in.k, out.k}, {in.v, out.v}} {
		bits := make([]uint16, len(x[0]))
		narrow(bits, x[0])
		widen(x[1], bits)
	}
	return out
}

// attendCache runs kern on in through a cache of type dtype and returns
// out and lse.
func attendCache(in inputs, dtype weights.DType, kern Kernel, p Params) (out, lse []float32) {
	out = make([]float32, in.s.Heads*in.s.NQ*in.s.Dim)
	lse = make([]float32, in.s.Heads*in.s.NQ)
	cacheOf(in, dtype).Attend(kern, out, lse, in.q, in.s.Heads, p, &KVScratch{})
	return out, lse
}
