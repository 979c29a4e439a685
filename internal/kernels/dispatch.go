package kernels

import (
	"fmt"

	"github.com/gollm/gollm/quant"
)

// impl is one set of hot loops for a class of CPU. The GEMM driver packs
// operands for the micro-kernel's mr×nr tile; the dot and convert loops
// serve GEMV and the exported vector helpers.
type impl struct {
	name string
	// mr×nr is the micro-kernel's tile; mc, kc, nc the cache blocks
	// (rows of x, depth, weight rows) the driver packs.
	mr, nr, mc, kc, nc int
	// gemm computes the mr×nr tile c (row stride ldc) from packed panels
	// a ([kc][mr]) and b ([kc][nr]): c = a·b, or c += a·b when acc is set.
	gemm func(kc int, a, b, c []float32, ldc int, acc bool)
	// gemvF32, gemvBF16 and gemvF16 set out[r·ldo + j] = x[r] · w[j] for
	// the m rows of x (each k = len(x)/m long, k ≥ 1) and the n rows of w
	// (len(w) = n·k). xp is nil or, where pairX is set and 2 ≤ m ≤
	// gemvMaxRows, x laid out by pairRows, which the kernels then read
	// instead of laying x out themselves.
	gemvF32  func(x, xp []float32, m int, w []float32, n int, out []float32, ldo int)
	gemvBF16 func(x, xp []float32, m int, w []uint16, n int, out []float32, ldo int)
	gemvF16  func(x, xp []float32, m int, w []uint16, n int, out []float32, ldo int)
	// pairX marks gemv functions that take up to gemvMaxRows rows of x in
	// one pass over the weights, reading them in the pairs of pairRows;
	// others read each weight row once per pair of x's rows.
	pairX bool
	// qdots holds the dot products of a block-quantized weight row with
	// activation rows, for every type QuantMat accepts.
	qdots map[quant.Type]qkern
	// qgemm, when set, is a faster prefill product for some quantized
	// types (AMX tiles); it reports false for those it leaves to qdots.
	qgemm func(out, x []float32, m, k int, q *qmat, n int) bool
	// quantQ8_1 and quantQ8K quantize one row of x to act32 and act256
	// (quant_act.go), the same bytes on every implementation.
	quantQ8_1, quantQ8K func(y qrow, x []float32)
	// cvtBF16 and cvtF16 widen len(src) values into dst.
	cvtBF16 func(dst []float32, src []uint16)
	cvtF16  func(dst []float32, src []uint16)
	// transpose writes dst[p·ds + r] = src[r·ss + p] for r < rows and
	// p < cols (the core of operand packing).
	transpose func(dst []float32, ds int, src []float32, ss, rows, cols int)
	// siluMul computes gate[i] = silu(gate[i])·up[i].
	siluMul func(gate, up []float32)
	// geluTanh applies the tanh approximation of GELU in place.
	geluTanh func(x []float32)
	// sumExp returns Σ exp(x[i] − shift), accumulated at least per block
	// in float64.
	sumExp func(x []float32, shift float32) float64
	// expSub replaces x[i] by exp(x[i] − m) and returns their sum.
	expSub func(x []float32, m float32) float32
	// maxf returns the largest element (−Inf for an empty slice).
	maxf func(x []float32) float32
	// tileMulAdd computes c[m×n] += a[m×k] · b[k×n] (row-major, leading
	// dimensions ldc, lda, ldb; m, k, n > 0, bounds already checked).
	tileMulAdd func(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, k, n int)
	// axpy computes y[i] += a·x[i] over len(x).
	axpy func(y []float32, a float32, x []float32)
	// weightedSum computes out[c] += Σ_j p[j]·v[j·d+c] with d = len(out)
	// and j < len(p) (attention's probabilities times its value rows).
	weightedSum func(out, p, v []float32)
	// weightedSumF16 and weightedSumBF16 are weightedSum with v stored as
	// half-precision or bfloat16 bit patterns (a 16-bit KV cache).
	weightedSumF16  func(out, p []float32, v []uint16)
	weightedSumBF16 func(out, p []float32, v []uint16)
}

// active is the implementation every kernel uses, chosen at start-up from
// the CPU's features (see bestImpl).
var active = bestImpl()

// Backend names the micro-kernel set chosen for this CPU: "avx512",
// "avx2" or "go" (the portable fallback).
func Backend() string { return active.name }

// Backends names the micro-kernel sets this CPU can run, the portable "go"
// first.
func Backends() []string {
	var names []string
	for _, im := range supportedImpls() {
		names = append(names, im.name)
	}
	return names
}

// SetBackend makes the named set (one of Backends) the one every kernel
// uses and returns the previous name, so tests and benchmarks of other
// packages can compare sets. No kernel may run during the switch.
func SetBackend(name string) (prev string, err error) {
	for _, im := range supportedImpls() {
		if im.name == name {
			return useImpl(im).name, nil
		}
	}
	return active.name, fmt.Errorf("kernels: backend %q is not supported on this CPU (have %v)", name, Backends())
}

// useImpl switches the active implementation and returns the previous one
// (tests use it to force the portable fallback).
func useImpl(im *impl) *impl {
	prev := active
	active = im
	return prev
}
