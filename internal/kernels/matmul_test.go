package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/quant"
	"github.com/x448/float16"
)

// forEachImpl runs f once per implementation this CPU supports, the
// portable fallback included, restoring the chosen one afterwards.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	for _, im := range supportedImpls() {
		prev := useImpl(im)
		t.Run(im.name, f)
		useImpl(prev)
	}
}

func randF32(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// refMatMul is the float64 reference of out = x·wᵀ, with the bound on
// float32 rounding error of any summation order for each element.
func refMatMul(x []float32, m, k int, w []float32, n int) (ref, tol []float64) {
	ref, tol = make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, a float64
			for p := 0; p < k; p++ {
				v := float64(x[i*k+p]) * float64(w[j*k+p])
				s += v
				a += math.Abs(v)
			}
			ref[i*n+j] = s
			tol[i*n+j] = float64(k+2)*0x1p-24*a + 1e-30
		}
	}
	return ref, tol
}

type dtypeCase struct {
	name string
	// round maps random weights to the stored type and back (the values
	// the reference sees) and returns the product function under test.
	prep func(w []float32) ([]float32, func(out, x []float32, m, k int, n int))
}

var dtypeCases = []dtypeCase{
	{"f32", func(w []float32) ([]float32, func([]float32, []float32, int, int, int)) {
		return w, func(out, x []float32, m, k, n int) { MatMulF32(out, x, m, k, w, n) }
	}},
	{"bf16", func(w []float32) ([]float32, func([]float32, []float32, int, int, int)) {
		bits := make([]uint16, len(w))
		back := make([]float32, len(w))
		for i, v := range w {
			bits[i] = uint16(math.Float32bits(v) >> 16)
			back[i] = math.Float32frombits(uint32(bits[i]) << 16)
		}
		return back, func(out, x []float32, m, k, n int) { MatMulBF16(out, x, m, k, bits, n) }
	}},
	{"f16", func(w []float32) ([]float32, func([]float32, []float32, int, int, int)) {
		bits := make([]uint16, len(w))
		back := make([]float32, len(w))
		for i, v := range w {
			h := float16.Fromfloat32(v)
			bits[i], back[i] = h.Bits(), h.Float32()
		}
		return back, func(out, x []float32, m, k, n int) { MatMulF16(out, x, m, k, bits, n) }
	}},
}

// TestMatMulRandomShapes checks every dtype and implementation against the
// float64 reference on random shapes that are not multiples of any tile,
// including the decode (m ≤ 3) path and multi-block depths.
func TestMatMulRandomShapes(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		shapes := [][3]int{{1, 1, 1}, {1, 37, 5}, {2, 300, 19}, {3, 9, 70}, {4, 17, 33}, {7, 513, 41}, {13, 64, 16}, {50, 700, 67}, {5, 9, 4133}}
		for range 6 {
			shapes = append(shapes, [3]int{1 + r.IntN(80), 1 + r.IntN(600), 1 + r.IntN(90)})
		}
		for _, dc := range dtypeCases {
			for _, s := range shapes {
				m, k, n := s[0], s[1], s[2]
				x, w := randF32(r, m*k), randF32(r, n*k)
				wv, f := dc.prep(w)
				ref, tol := refMatMul(x, m, k, wv, n)
				out := randF32(r, m*n) // garbage the product must overwrite
				f(out, x, m, k, n)
				for i, v := range out {
					if d := math.Abs(float64(v) - ref[i]); !(d <= tol[i]) {
						t.Fatalf("%s m=%d k=%d n=%d: out[%d,%d] = %g, want %g (±%g)", dc.name, m, k, n, i/n, i%n, v, ref[i], tol[i])
					}
				}
			}
		}
	})
}

// TestMatMulThreadInvariant checks results are bit-identical for 1 and
// several threads, on both the GEMM and GEMV paths.
func TestMatMulThreadInvariant(t *testing.T) {
	defer parallel.SetThreads(0)
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, s := range [][3]int{{1, 300, 257}, {97, 520, 300}} {
			m, k, n := s[0], s[1], s[2]
			x, w := randF32(r, m*k), randF32(r, n*k)
			var outs [][]float32
			for _, th := range []int{1, 3, 8} {
				parallel.SetThreads(th)
				out := make([]float32, m*n)
				MatMulF32(out, x, m, k, w, n)
				outs = append(outs, out)
			}
			for i := range outs[0] {
				for _, o := range outs[1:] {
					if math.Float32bits(o[i]) != math.Float32bits(outs[0][i]) {
						t.Fatalf("m=%d: element %d differs across thread counts: %g vs %g", m, i, o[i], outs[0][i])
					}
				}
			}
		}
	})
}

// TestMatMulEmpty checks degenerate shapes: k = 0 gives zeros.
func TestMatMulEmpty(t *testing.T) {
	out := []float32{1, 2, 3, 4, 5, 6}
	MatMulF32(out, nil, 2, 0, nil, 3)
	for i, v := range out {
		if v != 0 {
			t.Fatalf("k=0: out[%d] = %g, want 0", i, v)
		}
	}
	MatMulF32(nil, nil, 0, 4, make([]float32, 8), 2)
}

// TestImpls checks the portable fallback is among the implementations
// tests run (so CI covers it on every machine) and that every block size
// is a multiple of its tile.
func TestImpls(t *testing.T) {
	ims := supportedImpls()
	if ims[0] != goImpl {
		t.Fatalf("supportedImpls()[0] = %s, want go", ims[0].name)
	}
	for _, im := range []*impl{goImpl, active} {
		if im.mc%im.mr != 0 || im.nc%im.nr != 0 || im.kc%8 != 0 {
			t.Errorf("%s: blocks mc %d nc %d kc %d not multiples of the %d×%d tile", im.name, im.mc, im.nc, im.kc, im.mr, im.nr)
		}
	}
	t.Logf("backend in use: %s; tested: %d implementations", Backend(), len(ims))
}

// TestSetBackend checks every listed backend can be selected by name and
// an unknown one is refused, leaving the active one in place.
func TestSetBackend(t *testing.T) {
	orig := Backend()
	for _, name := range Backends() {
		if _, err := SetBackend(name); err != nil || Backend() != name {
			t.Fatalf("SetBackend(%q): %v, backend %s", name, err, Backend())
		}
	}
	if _, err := SetBackend(orig); err != nil {
		t.Fatal(err)
	}
	if _, err := SetBackend("vax"); err == nil || Backend() != orig {
		t.Fatalf("SetBackend(vax): err %v, backend %s, want an error and %s", err, Backend(), orig)
	}
}

// TestMatMulEach checks a fused product of several matrices (mixed dtypes,
// odd shapes, decode and prefill row counts) equals the product of each
// matrix on its own, bit for bit, whatever the thread count.
func TestMatMulEach(t *testing.T) {
	defer parallel.SetThreads(0)
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, m := range []int{1, 3, 8, 9} {
			k := 1 + r.IntN(300)
			var ws []Mat
			for i, n := range []int{1 + r.IntN(200), 65, 1 + r.IntN(70)} {
				w := randF32(r, n*k)
				bits := make([]uint16, n*k)
				for j, v := range w {
					bits[j] = uint16(math.Float32bits(v) >> 16)
				}
				ws = append(ws, [...]Mat{F32Mat(w, n, k), BF16Mat(bits, n, k), F16Mat(bits, n, k)}[i])
			}
			x := randF32(r, m*k)
			for _, th := range []int{1, 3} {
				parallel.SetThreads(th)
				outs := make([][]float32, len(ws))
				for i, a := range ws {
					outs[i] = randF32(r, m*a.n)
				}
				MatMulEach(outs, x, m, ws)
				for i, a := range ws {
					want := make([]float32, m*a.n)
					a.MatMul(want, x, m)
					for e, v := range want {
						if math.Float32bits(outs[i][e]) != math.Float32bits(v) {
							t.Fatalf("m=%d k=%d threads %d: matrix %d element %d = %g, alone %g", m, k, th, i, e, outs[i][e], v)
						}
					}
				}
			}
		}
	})
}

// TestDotRows checks the serial GEMV decoding uses for its scores (f32,
// f16 and bf16 keys; one to three query rows, so pairs and a lone row;
// key counts with and without a remainder after the four streams) against
// the float64 reference, and that it reads only the first n rows of w.
func TestDotRows(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, k := range []int{8, 20, 64, 128} {
			for _, n := range []int{1, 3, 4, 9, 130} {
				for m := 1; m <= 3; m++ {
					x, w := randF32(r, m*k), randF32(r, (n+5)*k) // 5 rows past the end
					bits := make([]uint16, len(w))
					wide := make([]float32, len(w))
					for _, c := range []struct {
						name   string
						narrow func([]uint16, []float32)
						widen  func([]float32, []uint16)
						dot    func(out, x []float32, m int, w []uint16)
					}{
						{"f32", nil, nil, nil},
						{"f16", F32ToF16, F16ToF32, DotRowsF16},
						{"bf16", F32ToBF16, BF16ToF32, DotRowsBF16},
					} {
						out := randF32(r, m*n)
						ref, tol := refMatMul(x, m, k, w, n)
						if c.dot == nil {
							DotRows(out, x, m, w)
						} else {
							c.narrow(bits, w)
							c.widen(wide, bits)
							ref, tol = refMatMul(x, m, k, wide, n)
							c.dot(out, x, m, bits)
						}
						for i, v := range out {
							if d := math.Abs(float64(v) - ref[i]); !(d <= tol[i]) {
								t.Fatalf("%s k=%d n=%d m=%d: out[%d,%d] = %g, want %g (±%g)", c.name, k, n, m, i/n, i%n, v, ref[i], tol[i])
							}
						}
					}
				}
			}
		}
	})
}

// TestMatRows: a view of rows r0 … r0+n−1 multiplies as those rows of the
// whole matrix do, for float, 16-bit and block-quantized weights.
func TestMatRows(t *testing.T) {
	const rows, k, m, r0, n = 12, 64, 3, 5, 4
	r := rand.New(rand.NewPCG(7, 8))
	w, x := randF32(r, rows*k), randF32(r, m*k)
	u16 := make([]uint16, len(w))
	for i, v := range w {
		u16[i] = uint16(math.Float32bits(v) >> 16)
	}
	qd := make([]byte, 0, rows*68)
	for j := range rows {
		b := make([]byte, 68)
		if err := quant.QuantizeRow(quant.Q8_0, b, w[j*k:(j+1)*k]); err != nil {
			t.Fatal(err)
		}
		qd = append(qd, b...)
	}
	qm, err := QuantMat(quant.Q8_0, qd, rows, k)
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]Mat{"f32": F32Mat(w, rows, k), "bf16": BF16Mat(u16, rows, k), "q8_0": qm} {
		full, part := make([]float32, m*rows), make([]float32, m*n)
		a.MatMul(full, x, m)
		a.Rows(r0, n).MatMul(part, x, m)
		for i := range m {
			for j := range n {
				if part[i*n+j] != full[i*rows+r0+j] {
					t.Fatalf("%s: row %d of x, view row %d = %v, want %v", name, i, j, part[i*n+j], full[i*rows+r0+j])
				}
			}
		}
	}
}
