//go:build !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gollm/gollm/quant"
	"github.com/x448/float16"
)

// pairImpls returns the implementations whose GEMV takes all of x's rows
// in one pass (impl.pairX), skipping the test when there are none or the
// AVX2 one they must match is missing.
func pairImpls(t *testing.T) []*impl {
	var ims []*impl
	avx2 := false
	for _, im := range supportedImpls() {
		avx2 = avx2 || im == avx2Impl
		if im.pairX {
			ims = append(ims, im)
		}
	}
	if !avx2 || len(ims) == 0 {
		t.Skip("needs AVX2 and AVX-512BW")
	}
	return ims
}

// withImpl runs f on implementation im.
func withImpl(im *impl, f func()) {
	prev := useImpl(im)
	defer useImpl(prev)
	f()
}

// gemvMats returns w as an [n×k] matrix of each float type, with the
// values each holds (what the float64 reference multiplies).
func gemvMats(w []float32, n, k int) (mats []Mat, vals [][]float32) {
	bf, h := make([]uint16, len(w)), make([]uint16, len(w))
	bfv, hv := make([]float32, len(w)), make([]float32, len(w))
	for i, v := range w {
		bf[i] = uint16(math.Float32bits(v) >> 16)
		bfv[i] = math.Float32frombits(uint32(bf[i]) << 16)
		f := float16.Fromfloat32(v)
		h[i], hv[i] = f.Bits(), f.Float32()
	}
	return []Mat{F32Mat(w, n, k), BF16Mat(bf, n, k), F16Mat(h, n, k)}, [][]float32{w, bfv, hv}
}

var gemvTypes = []string{"f32", "bf16", "f16"}

// pairRef returns each row of x multiplied alone by a in the AVX2 two-row
// kernel's order (the row paired with a copy of itself): the bits every
// row must have on the one-pass kernels, however many rows share the call.
func pairRef(a Mat, x []float32, m, k int) []float32 {
	ref := make([]float32, m*a.n)
	two, out := make([]float32, 2*k), make([]float32, 2*a.n)
	withImpl(avx2Impl, func() {
		for r := range m {
			copy(two, x[r*k:(r+1)*k])
			copy(two[k:], x[r*k:(r+1)*k])
			a.MatMul(out, two, 2)
			copy(ref[r*a.n:], out[:a.n])
		}
	})
	return ref
}

// sameBits reports the first element where got and want differ bitwise.
func sameBits(got, want []float32) error {
	for i, v := range want {
		if math.Float32bits(got[i]) != math.Float32bits(v) {
			return fmt.Errorf("element %d = %g (%#x), want %g (%#x)", i, got[i], math.Float32bits(got[i]), v, math.Float32bits(v))
		}
	}
	return nil
}

// TestGEMVPairsBitIdentical checks the one-pass GEMV (avx512, amx) for
// every float type, 1 … 8 rows of x, depths with and without a k%8 tail
// (some under 8) and row counts with and without an n%4 remainder: each
// row's outputs are bit-identical to the AVX2 two-row kernel's, to the
// AVX2 backend's own for the rows it takes in pairs, and to the row
// multiplied alone (a sequence's logits do not depend on the others in
// its decode step), and within rounding of the float64 reference.
func TestGEMVPairsBitIdentical(t *testing.T) {
	ims := pairImpls(t)
	r := rand.New(rand.NewPCG(11, 12))
	for _, k := range []int{1, 3, 7, 8, 9, 16, 23, 64, 67, 259} {
		for _, n := range []int{1, 3, 5, 67, 300} {
			x := randF32(r, gemvMaxRows*k)
			mats, vals := gemvMats(randF32(r, n*k), n, k)
			for ti, a := range mats {
				ref := pairRef(a, x, gemvMaxRows, k)
				f64, tol := refMatMul(x, gemvMaxRows, k, vals[ti], n)
				for i, v := range ref {
					if d := math.Abs(float64(v) - f64[i]); !(d <= tol[i]) {
						t.Fatalf("%s k=%d n=%d: avx2 pair out[%d] = %g, want %g (±%g)", gemvTypes[ti], k, n, i, v, f64[i], tol[i])
					}
				}
				for m := 1; m <= gemvMaxRows; m++ {
					var avx2 []float32
					withImpl(avx2Impl, func() {
						avx2 = make([]float32, m*n)
						a.MatMul(avx2, x, m)
					})
					if err := sameBits(avx2, ref[:m&^1*n]); err != nil {
						t.Fatalf("%s m=%d k=%d n=%d: avx2 paired rows: %v", gemvTypes[ti], m, k, n, err)
					}
					for _, im := range ims {
						out := randF32(r, m*n) // garbage the product must overwrite
						withImpl(im, func() { a.MatMul(out, x, m) })
						if err := sameBits(out, ref[:m*n]); err != nil {
							t.Fatalf("%s %s m=%d k=%d n=%d: %v", im.name, gemvTypes[ti], m, k, n, err)
						}
					}
				}
				for _, im := range ims {
					for row := range gemvMaxRows {
						out := make([]float32, n)
						withImpl(im, func() { a.MatMul(out, x[row*k:(row+1)*k], 1) })
						if err := sameBits(out, ref[row*n:(row+1)*n]); err != nil {
							t.Fatalf("%s %s k=%d n=%d: row %d alone: %v", im.name, gemvTypes[ti], k, n, row, err)
						}
					}
				}
			}
		}
	}
}

// TestGEMVPairsEach checks the one-pass GEMV through MatMulEach (float
// matrices of every type with a quantized one, which ignores the paired
// layout) and DotRows (which lays x out itself, gemvMaxRows rows at a
// time), against the rows alone.
func TestGEMVPairsEach(t *testing.T) {
	ims := pairImpls(t)
	r := rand.New(rand.NewPCG(13, 14))
	const k = 96
	var ws []Mat
	for _, n := range []int{67, 300, 5} {
		mats, _ := gemvMats(randF32(r, n*k), n, k)
		ws = append(ws, mats...)
	}
	qn := 33
	rb, err := quant.Q8_0.RowBytes(k)
	if err != nil {
		t.Fatal(err)
	}
	qd := make([]byte, 0, qn*rb)
	for range qn {
		b := make([]byte, rb)
		if err := quant.QuantizeRow(quant.Q8_0, b, randF32(r, k)); err != nil {
			t.Fatal(err)
		}
		qd = append(qd, b...)
	}
	qm, err := QuantMat(quant.Q8_0, qd, qn, k)
	if err != nil {
		t.Fatal(err)
	}
	ws = append(ws, qm)
	for _, im := range ims {
		withImpl(im, func() {
			for m := 1; m <= gemvMaxRows; m++ {
				x := randF32(r, m*k)
				outs := make([][]float32, len(ws))
				for i, a := range ws {
					outs[i] = randF32(r, m*a.n)
				}
				MatMulEach(outs, x, m, ws)
				for i, a := range ws {
					for row := range m {
						want := make([]float32, a.n)
						a.MatMul(want, x[row*k:(row+1)*k], 1)
						if err := sameBits(outs[i][row*a.n:(row+1)*a.n], want); err != nil {
							t.Fatalf("%s m=%d matrix %d row %d: %v", im.name, m, i, row, err)
						}
					}
				}
			}
			for _, m := range []int{3, 9, 13, 16} {
				const n = 37
				x, w := randF32(r, m*k), randF32(r, n*k)
				out, one := make([]float32, m*n), make([]float32, n)
				DotRows(out, x, m, w)
				for row := range m {
					DotRows(one, x[row*k:(row+1)*k], 1, w)
					if err := sameBits(out[row*n:(row+1)*n], one); err != nil {
						t.Fatalf("%s DotRows m=%d row %d: %v", im.name, m, row, err)
					}
				}
			}
		})
	}
}
