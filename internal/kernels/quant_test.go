package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/quant"
)

// qTypes are the weight types QuantMat accepts, in the kernels' priority
// order.
var qTypes = []quant.Type{quant.Q8_0, quant.Q4_K, quant.Q6_K, quant.Q5_K, quant.Q4_0, quant.Q5_0, quant.Q4_1, quant.Q5_1}

// qHalves are the byte offsets of a block's half-precision scales.
var qHalves = map[quant.Type][]int{
	quant.Q4_0: {0}, quant.Q4_1: {0, 2}, quant.Q5_0: {0}, quant.Q5_1: {0, 2}, quant.Q8_0: {0},
	quant.Q4_K: {0, 2}, quant.Q5_K: {0, 2}, quant.Q6_K: {208},
}

// qQuants is the byte range of a block's quants (for Q4_K and Q5_K, the
// quants and the packed scales: all but the halves).
var qQuants = map[quant.Type][2]int{
	quant.Q4_0: {2, 18}, quant.Q4_1: {4, 20}, quant.Q5_0: {2, 22}, quant.Q5_1: {4, 24}, quant.Q8_0: {2, 34},
	quant.Q4_K: {16, 144}, quant.Q5_K: {16, 176}, quant.Q6_K: {0, 192},
}

// randQuantRows returns n rows of k weights of type t: quantized from
// random weights (with a few outliers), or, when raw, random block bytes
// with finite random halves.
func randQuantRows(r *rand.Rand, t quant.Type, n, k int, raw bool) []byte {
	rb, _ := t.RowBytes(k)
	data := make([]byte, n*rb)
	if !raw {
		for j := 0; j < n; j++ {
			w := randF32(r, k)
			for i := range w {
				if r.IntN(50) == 0 {
					w[i] *= 8
				}
			}
			if err := quant.QuantizeRow(t, data[j*rb:(j+1)*rb], w); err != nil {
				panic(err)
			}
		}
		return data
	}
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	bb := t.BlockBytes()
	for b := 0; b < len(data); b += bb {
		for _, off := range qHalves[t] {
			binary.LittleEndian.PutUint16(data[b+off:], quant.FP32ToFP16(float32(r.NormFloat64()*0.01)))
		}
	}
	return data
}

// refQuantDot is the float64 reference of a quantized weight row w (k
// weights) against x: the dequantized weights times x quantized and
// dequantized as its activation format, with the _1 types' offsets taken
// against the format's stored sums. It also returns a bound on the float32
// rounding of any evaluation in blocks.
func refQuantDot(t quant.Type, w []byte, x []float32) (ref, tol float64) {
	k := len(x)
	f := qformats[t]
	wd, off := make([]float32, k), make([]float32, k)
	if err := quant.DequantizeRow(t, wd, w); err != nil {
		panic(err)
	}
	zeroed := append([]byte(nil), w...)
	q := qQuants[t]
	for b := 0; b < len(w); b += f.bytes {
		clear(zeroed[b+q[0] : b+q[1]])
	}
	quant.DequantizeRow(t, off, zeroed)
	xq := quantizeRows(f.act, x, 1, k)
	defer putQrows(xq)
	xr := xq.row(0)
	xd := make([]float32, k)
	for i, v := range xr.qs {
		xd[i] = xr.d[i/f.act.blockLen()] * float32(v)
	}
	var a float64
	for i := range x {
		ref += float64(wd[i]) * float64(xd[i])
		a += math.Abs(float64(xd[i])) * (math.Abs(float64(wd[i])) + math.Abs(float64(off[i])))
	}
	if t == quant.Q4_1 || t == quant.Q5_1 {
		for b := range xr.d {
			var sum float64
			for _, v := range xd[32*b : 32*b+32] {
				sum += float64(v)
			}
			m := float64(half(w[b*f.bytes+2:]))
			ref += m * (float64(xr.s[b]) - sum)
			a += math.Abs(m * float64(xr.s[b]))
		}
	}
	return ref, float64(k/f.elems+8)*0x1p-24*a + 1e-30
}

// TestQuantMatMul checks every type, implementation and path against the
// reference on shapes around the GEMV/GEMM switch and odd row counts.
func TestQuantMatMul(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, qt := range qTypes {
			be := qt.BlockElems()
			for _, m := range []int{1, 2, 3, gemvMaxRows, gemvMaxRows + 1, 37, 128} {
				k, n := be*(1+r.IntN(4)), 1+2*r.IntN(20)
				data := randQuantRows(r, qt, n, k, m%2 == 0)
				a, err := QuantMat(qt, data, n, k)
				if err != nil {
					t.Fatal(err)
				}
				x := randF32(r, m*k)
				out := randF32(r, m*n)
				a.MatMul(out, x, m)
				rb, _ := qt.RowBytes(k)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						ref, tol := refQuantDot(qt, data[j*rb:(j+1)*rb], x[i*k:(i+1)*k])
						if v := out[i*n+j]; !(math.Abs(float64(v)-ref) <= tol) {
							t.Fatalf("%v m=%d k=%d n=%d: out[%d,%d] = %g, want %g (±%g)", qt, m, k, n, i, j, v, ref, tol)
						}
					}
				}
			}
		}
	})
}

// TestQuantBlockDot checks single blocks, quantized and raw: the integer
// block sums scaled once must be the float64 dot of the dequantized block
// within float32 rounding.
func TestQuantBlockDot(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, qt := range qTypes {
			k := qt.BlockElems()
			for trial := range 200 {
				w := randQuantRows(r, qt, 1, k, trial%2 == 1)
				x := randF32(r, k)
				xq := quantizeRows(qformats[qt].act, x, 1, k)
				got := active.qdots[qt].dot(w, xq.row(0))
				putQrows(xq)
				ref, tol := refQuantDot(qt, w, x)
				if !(math.Abs(float64(got)-ref) <= tol) {
					t.Fatalf("%v trial %d: dot %g, want %g (±%g)", qt, trial, got, ref, tol)
				}
			}
		}
	})
}

// TestQuantPathsAgree checks the prefill product equals the decode product
// row by row exactly (within the reference's float32 bound where the
// backend has its own prefill product, as amx has), and both do not depend
// on the thread count; and that MatMulEach over mixed types equals MatMul
// on each.
func TestQuantPathsAgree(t *testing.T) {
	defer parallel.SetThreads(0)
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		const m, k, n = 41, 512, 301 // n·k ≥ gemvSerialWork: decode splits too
		x := randF32(r, m*k)
		var ws []Mat
		for _, qt := range qTypes {
			a, err := QuantMat(qt, randQuantRows(r, qt, n, k, false), n, k)
			if err != nil {
				t.Fatal(err)
			}
			ws = append(ws, a)
		}
		ws = append(ws, F32Mat(randF32(r, n*k), n, k))
		for wi, a := range ws {
			var outs [][]float32
			for _, th := range []int{1, 3} {
				parallel.SetThreads(th)
				gemmOut := make([]float32, m*n)
				a.MatMul(gemmOut, x, m)
				gemvOut := make([]float32, m*n)
				for i := 0; i < m; i++ {
					a.MatMul(gemvOut[i*n:(i+1)*n], x[i*k:(i+1)*k], 1)
				}
				outs = append(outs, gemmOut)
				if wi < len(qTypes) {
					outs = append(outs, gemvOut)
				}
			}
			if wi < len(qTypes) && ownPrefill(qTypes[wi], k) {
				// outs = gemm, gemv per thread count: the gemms and the
				// gemvs agree exactly among themselves, and with each other
				// within the bound.
				checkNear(t, qTypes[wi], a, x, k, outs[0], outs[1])
				outs = [][]float32{outs[0], outs[2], outs[1], outs[3]}
				checkSame(t, wi, outs[:2])
				checkSame(t, wi, outs[2:])
				continue
			}
			checkSame(t, wi, outs)
		}
		const mm = 3
		each := make([][]float32, len(ws))
		for i := range each {
			each[i] = make([]float32, mm*n)
		}
		MatMulEach(each, x[:mm*k], mm, ws)
		for i, a := range ws {
			want := make([]float32, mm*n)
			a.MatMul(want, x[:mm*k], mm)
			for e := range want {
				if math.Float32bits(each[i][e]) != math.Float32bits(want[e]) {
					t.Fatalf("MatMulEach matrix %d element %d = %g, MatMul %g", i, e, each[i][e], want[e])
				}
			}
		}
	})
}

// ownPrefill reports whether the active backend runs its own prefill
// product for a k-wide matrix of type qt.
func ownPrefill(qt quant.Type, k int) bool {
	if active.qgemm == nil {
		return false
	}
	rb, _ := qt.RowBytes(k)
	q, err := QuantMat(qt, make([]byte, rb), 1, k)
	if err != nil {
		panic(err)
	}
	m := gemvMaxRows + 1
	return active.qgemm(make([]float32, m), make([]float32, m*k), m, k, q.w.q, 1)
}

// checkSame fails unless every slice of outs equals the first bit for bit.
func checkSame(t *testing.T, wi int, outs [][]float32) {
	t.Helper()
	for i := range outs[0] {
		for _, o := range outs[1:] {
			if math.Float32bits(o[i]) != math.Float32bits(outs[0][i]) {
				t.Fatalf("matrix %d: element %d differs between paths or thread counts: %g vs %g", wi, i, o[i], outs[0][i])
			}
		}
	}
}

// checkNear fails unless got and want, two products of x (rows of k) with
// a, differ by at most twice refQuantDot's bound.
func checkNear(t *testing.T, qt quant.Type, a Mat, x []float32, k int, got, want []float32) {
	t.Helper()
	rb, _ := qt.RowBytes(k)
	data := a.w.q.data
	n := a.n
	for e := range got {
		i, j := e/n, e%n
		_, tol := refQuantDot(qt, data[j*rb:(j+1)*rb], x[i*k:(i+1)*k])
		if !(math.Abs(float64(got[e])-float64(want[e])) <= 2*tol) {
			t.Fatalf("%v: element %d = %g, decode %g (±%g)", qt, e, got[e], want[e], 2*tol)
		}
	}
}

// TestQuantKExact checks the K-quant kernels of every implementation give
// the portable results bit for bit (they scale each block's integer sum
// with the same float32 steps), on both paths: m = 7 is decode, m = 19
// prefill (eight-row kernels, then four, then one; a backend's own
// prefill product is held to the reference bound instead).
func TestQuantKExact(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const k, n = 768, 9
	for _, m := range []int{7, 19} {
		x := randF32(r, m*k)
		for _, qt := range []quant.Type{quant.Q4_K, quant.Q5_K, quant.Q6_K} {
			a, err := QuantMat(qt, randQuantRows(r, qt, n, k, true), n, k)
			if err != nil {
				t.Fatal(err)
			}
			var want []float32 // the portable product
			forEachImpl(t, func(t *testing.T) {
				out := make([]float32, m*n)
				a.MatMul(out, x, m)
				if want == nil {
					want = out
				}
				row := make([]float32, n)
				a.MatMul(row, x[:k], 1)
				if m > gemvMaxRows && ownPrefill(qt, k) {
					checkNear(t, qt, a, x, k, out, want)
					out = want
				}
				for i := range out {
					if math.Float32bits(out[i]) != math.Float32bits(want[i]) || i < n && math.Float32bits(row[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%v m=%d: element %d = %g (m = 1: %g), portable %g", qt, m, i, out[i], row[i%n], want[i])
					}
				}
			})
		}
	}
}

// TestQuantizeActs checks the activation quantizers give the bytes of the
// quant package's reference Q8_0 and Q8_K quantizers, and Q8_1's sums.
func TestQuantizeActs(t *testing.T) {
	forEachImpl(t, testQuantizeActs)
}

func testQuantizeActs(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const k = 1024
	for trial := range 20 {
		x := randF32(r, k)
		switch trial {
		case 1:
			clear(x[:300]) // zero blocks
		case 2:
			for i := range x {
				x[i] = float32(math.Round(float64(x[i]) * 4)) // ties
			}
		case 3: // the largest magnitude twice, negative first
			for b := 0; b < k; b += 256 {
				x[b+5], x[b+200] = -9, 9
			}
		case 4:
			for i := range x {
				x[i] *= 1e-30 // subnormal halves
			}
		case 5:
			for i := range x {
				x[i] *= 1e30
			}
		}
		want0, wantK := make([]byte, k/32*34), make([]byte, k/256*292)
		quant.QuantizeRow(quant.Q8_0, want0, x)
		quant.QuantizeRow(quant.Q8_K, wantK, x)
		q1, qk := quantizeRows(act32, x, 1, k), quantizeRows(act256, x, 1, k)
		y1, yk := q1.row(0), qk.row(0)
		for b := range y1.d {
			blk := make([]byte, 34)
			binary.LittleEndian.PutUint16(blk, quant.FP32ToFP16(y1.d[b]))
			var amax float32
			sum := 0
			for j, q := range y1.qs[32*b : 32*b+32] {
				blk[2+j] = byte(q)
				sum += int(q)
				amax = max(amax, abs32(x[32*b+j]))
			}
			if string(blk) != string(want0[34*b:34*b+34]) {
				t.Fatalf("trial %d: Q8_0 block %d differs from the reference", trial, b)
			}
			if s := roundHalf(float32(sum) * (amax / 127)); y1.s[b] != s {
				t.Fatalf("trial %d: Q8_1 block %d sum %g, want %g", trial, b, y1.s[b], s)
			}
		}
		for b := range yk.d {
			blk := make([]byte, 292)
			binary.LittleEndian.PutUint32(blk, math.Float32bits(yk.d[b]))
			for j, q := range yk.qs[256*b : 256*b+256] {
				blk[4+j] = byte(q)
			}
			for j, s := range yk.bsums[16*b : 16*b+16] {
				binary.LittleEndian.PutUint16(blk[260+2*j:], uint16(s))
			}
			if string(blk) != string(wantK[292*b:292*b+292]) {
				t.Fatalf("trial %d: Q8_K block %d differs from the reference", trial, b)
			}
		}
		putQrows(q1)
		putQrows(qk)
	}
}

// TestQuantMatErrors checks QuantMat's refusals.
func TestQuantMatErrors(t *testing.T) {
	for _, c := range []struct {
		t       quant.Type
		n, k, b int
	}{
		{quant.Q8_K, 2, 256, 2 * 292},   // activation format only
		{quant.Q2_K, 2, 256, 2 * 84},    // not supported
		{quant.F32, 2, 4, 32},           // plain floats use F32Mat
		{quant.Q8_0, 2, 48, 2 * 34},     // k not whole blocks
		{quant.Q4_K, 2, 256, 2*144 - 1}, // short data
		{quant.Q4_K, 2, 256, 2*144 + 1}, // long data
		{quant.Q8_0, -1, 32, 0},         // negative rows
	} {
		if _, err := QuantMat(c.t, make([]byte, c.b), c.n, c.k); err == nil {
			t.Errorf("QuantMat(%v, %d bytes, %d, %d): no error", c.t, c.b, c.n, c.k)
		}
	}
	if a, err := QuantMat(quant.Q4_0, nil, 0, 64); err != nil {
		t.Errorf("empty matrix: %v", err)
	} else {
		a.MatMul(nil, make([]float32, 64), 1)
	}
}
