//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// Assembly in gemm_amd64.s, tile_amd64.s, vec_amd64.s and exp_amd64.s.
// Pointers must cover the lengths the caller passes; vector loops take
// multiples of 8.

//go:noescape
func gemm4x24AVX2(kc int, a, b, c *float32, ldc int, acc int)

//go:noescape
func gemm12x32AVX512(kc int, a, b, c *float32, ldc int, acc int)

// gemm4x16AVX2 computes c[4×16] += a[4×k] · b[k×16] (row-major, leading
// dimensions in elements; k > 0).
//
//go:noescape
func gemm4x16AVX2(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

//go:noescape
func gemvF32AVX2(x *float32, w *float32, ld, k int, out *float32, q, qs int)

//go:noescape
func gemv2F32AVX2(x *float32, ldx int, w *float32, ld, k int, out *float32, ldo, q, qs int)

//go:noescape
func gemvBF16AVX2(x *float32, w *uint16, ld, k int, out *float32, q, qs int)

//go:noescape
func gemv2BF16AVX2(x *float32, ldx int, w *uint16, ld, k int, out *float32, ldo, q, qs int)

//go:noescape
func gemvF16AVX2(x *float32, w *uint16, ld, k int, out *float32, q, qs int)

//go:noescape
func gemv2F16AVX2(x *float32, ldx int, w *uint16, ld, k int, out *float32, ldo, q, qs int)

// The AVX-512 GEMV kernels (ZGEMV in vec_amd64.s) take the rows of w as
// the AVX2 ones do (four streams of q rows, qs rows apart) against N rows
// of x: gemvN…AVX512 with N = 2, 4, 6 or 8 reads x laid out by pairRows
// (N rows, the last one padding whose outputs are not stored when odd is
// set), output row i at out + i·ldo. gemv1…AVX512 reads one row of x as
// it is against eight streams, the last four stored as a second row at
// out + ldo (so ldo = 4·qs; odd must be 0). k is a multiple of 8.

//go:noescape
func gemv1F32AVX512(x *float32, w *float32, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv2F32AVX512(x *float32, w *float32, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv4F32AVX512(x *float32, w *float32, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv6F32AVX512(x *float32, w *float32, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv8F32AVX512(x *float32, w *float32, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv1BF16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv2BF16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv4BF16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv6BF16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv8BF16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv1F16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv2F16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv4F16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv6F16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func gemv8F16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)

//go:noescape
func cvtBF16AVX2(dst *float32, src *uint16, n int)

//go:noescape
func cvtF16AVX2(dst *float32, src *uint16, n int)

//go:noescape
func transpose8AVX2(dst *float32, ds int, src *float32, ss int, cols int)

//go:noescape
func transpose4AVX2(dst *float32, ds int, src *float32, ss int, cols int)

//go:noescape
func siluMulAVX2(gate, up *float32, n int)

//go:noescape
func geluTanhAVX2(x *float32, n int)

//go:noescape
func expSumAVX2(dst, x *float32, n int, shift float32) float32

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func axpyAVX2(y *float32, a float32, x *float32, n int)

//go:noescape
func weightedSum4AVX2(out *float32, p *float32, v *float32, q, d int)

//go:noescape
func weightedSum4F16AVX2(out *float32, p *float32, v *uint16, q, d int)

//go:noescape
func weightedSum4BF16AVX2(out *float32, p *float32, v *uint16, q, d int)

//go:noescape
func quantQ8_1AVX2(x *float32, nb int, qs *int8, d, s *float32)

//go:noescape
func quantQ8KAVX2(x *float32, nb int, qs *int8, d *float32, bsums *int16)

// quantQ8_1Asm and quantQ8KAsm check the lengths act_amd64.s relies on.
func quantQ8_1Asm(y qrow, x []float32) {
	nb := len(y.d)
	if nb == 0 {
		return
	}
	_, _, _ = x[32*nb-1], y.qs[32*nb-1], y.s[nb-1]
	quantQ8_1AVX2(&x[0], nb, &y.qs[0], &y.d[0], &y.s[0])
}

func quantQ8KAsm(y qrow, x []float32) {
	nb := len(y.d)
	if nb == 0 {
		return
	}
	_, _, _ = x[256*nb-1], y.qs[256*nb-1], y.bsums[16*nb-1]
	quantQ8KAVX2(&x[0], nb, &y.qs[0], &y.d[0], &y.bsums[0])
}

// avx2Impl uses 256-bit FMA (Haswell and later, Zen).
var avx2Impl = &impl{
	name: "avx2",
	mr:   4, nr: 24, mc: 128, kc: 256, nc: 4080,
	gemm:        gemmAsm(4, 24, gemm4x24AVX2),
	gemvF32:     gemvF32Asm,
	gemvBF16:    gemvBF16Asm,
	gemvF16:     gemvF16Asm,
	qdots:       avx2Qdots,
	quantQ8_1:   quantQ8_1Asm,
	quantQ8K:    quantQ8KAsm,
	cvtBF16:     cvtBF16Asm,
	cvtF16:      cvtF16Asm,
	axpy:        axpyAsm,
	weightedSum: func(out, p, v []float32) { weightedSumAsm(out, p, v, weightedSum4AVX2, nil, weightedSumGo) },
	weightedSumF16: func(out, p []float32, v []uint16) {
		weightedSumAsm(out, p, v, weightedSum4F16AVX2, cvtF16Asm, weightedSumF16Go)
	},
	weightedSumBF16: func(out, p []float32, v []uint16) {
		weightedSumAsm(out, p, v, weightedSum4BF16AVX2, cvtBF16Asm, weightedSumBF16Go)
	},
	transpose:  transposeAsm,
	siluMul:    siluMulAsm,
	geluTanh:   geluTanhAsm,
	sumExp:     sumExpAsm,
	expSub:     expSubAsm,
	maxf:       maxAsm,
	tileMulAdd: tileMulAddAsm,
}

// avx512Impl widens the GEMM tile to 512-bit registers, and the float
// GEMV to all of x's rows in one pass (given AVX-512BW and VL, which its
// bf16 and f16 widening use); the other memory-bound loops keep their
// AVX2 form.
var avx512Impl = func() *impl {
	im := *avx2Impl
	im.name = "avx512"
	im.mr, im.nr, im.mc, im.nc = 12, 32, 144, 4096
	im.gemm = gemmAsm(12, 32, gemm12x32AVX512)
	im.qdots = avx512Qdots()
	if cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL {
		im.gemvF32, im.gemvBF16, im.gemvF16 = gemvF32Z, gemvBF16Z, gemvF16Z
		im.pairX = true
	}
	return &im
}()

// amxImpl is avx512 with the quantized prefill product on AMX tiles
// (amx_amd64.go), where the CPU and the kernel allow them.
var amxImpl = func() *impl {
	if !amxUsable() {
		return nil
	}
	im := *avx512Impl
	im.name = "amx"
	return &im
}()

// The product is attached in init: it reaches active, whose initializer
// reads amxImpl.
func init() {
	if amxImpl != nil {
		amxImpl.qgemm = qgemmAMX
	}
}

func bestImpl() *impl {
	x := cpu.X86
	switch {
	case !x.HasAVX2 || !x.HasFMA || !x.HasF16C:
		return goImpl
	case amxImpl != nil:
		return amxImpl
	case x.HasAVX512F:
		return avx512Impl
	default:
		return avx2Impl
	}
}

// gemmAsm adapts an assembly micro-kernel of an mr×nr tile to impl.gemm.
func gemmAsm(mr, nr int, k func(kc int, a, b, c *float32, ldc int, acc int)) func(int, []float32, []float32, []float32, int, bool) {
	return func(kc int, a, b, c []float32, ldc int, acc bool) {
		_, _ = a[mr*kc-1], b[nr*kc-1]
		_ = c[(mr-1)*ldc+nr-1]
		flag := 0
		if acc {
			flag = 1
		}
		k(kc, &a[0], &b[0], &c[0], ldc, flag)
	}
}

func gemvF32Asm(x, _ []float32, m int, w []float32, n int, out []float32, ldo int) {
	gemvAsm(x, m, w, n, out, ldo, gemvF32AVX2, gemv2F32AVX2, dotF32Go)
}

func gemvBF16Asm(x, _ []float32, m int, w []uint16, n int, out []float32, ldo int) {
	gemvAsm(x, m, w, n, out, ldo, gemvBF16AVX2, gemv2BF16AVX2, dotBF16Go)
}

func gemvF16Asm(x, _ []float32, m int, w []uint16, n int, out []float32, ldo int) {
	gemvAsm(x, m, w, n, out, ldo, gemvF16AVX2, gemv2F16AVX2, dotF16Go)
}

// zkern is an AVX-512 GEMV kernel; zkerns[0] takes one row of x, zkerns[p]
// p pairs.
type (
	zkern[W float32 | uint16]  func(x *float32, w *W, ld, k int, out *float32, ldo, q, qs, odd int)
	zkerns[W float32 | uint16] [5]zkern[W]
)

var (
	f32Z  = zkerns[float32]{gemv1F32AVX512, gemv2F32AVX512, gemv4F32AVX512, gemv6F32AVX512, gemv8F32AVX512}
	bf16Z = zkerns[uint16]{gemv1BF16AVX512, gemv2BF16AVX512, gemv4BF16AVX512, gemv6BF16AVX512, gemv8BF16AVX512}
	f16Z  = zkerns[uint16]{gemv1F16AVX512, gemv2F16AVX512, gemv4F16AVX512, gemv6F16AVX512, gemv8F16AVX512}
)

func gemvF32Z(x, xp []float32, m int, w []float32, n int, out []float32, ldo int) {
	gemvAsmZ(x, xp, m, w, n, out, ldo, &f32Z, dotF32Go)
}

func gemvBF16Z(x, xp []float32, m int, w []uint16, n int, out []float32, ldo int) {
	gemvAsmZ(x, xp, m, w, n, out, ldo, &bf16Z, dotBF16Go)
}

func gemvF16Z(x, xp []float32, m int, w []uint16, n int, out []float32, ldo int) {
	gemvAsmZ(x, xp, m, w, n, out, ldo, &f16Z, dotF16Go)
}

// gemvAsmZ is gemvAsm on the AVX-512 kernels: up to gemvMaxRows rows of x
// in one call per four streams (x laid out by pairRows, from xp when the
// caller did it), every output bit-identical to the AVX2 two-row kernel's.
func gemvAsmZ[W float32 | uint16](x, xp []float32, m int, w []W, n int, out []float32, ldo int,
	kerns *zkerns[W], tail func([]float32, []W) float32) {
	if m == 0 || n == 0 {
		return
	}
	k := len(x) / m
	if m > gemvMaxRows { // DotRows: gemvMaxRows rows at a time
		for r0 := 0; r0 < m; r0 += gemvMaxRows {
			mg := min(gemvMaxRows, m-r0)
			gemvAsmZ(x[r0*k:(r0+mg)*k], nil, mg, w, n, out[r0*ldo:], ldo, kerns, tail)
		}
		return
	}
	w = w[:n*k]
	_ = out[(m-1)*ldo+n-1]
	k8 := k &^ 7
	if k8 == 0 {
		for r := range m {
			clear(out[r*ldo:][:n])
		}
	} else {
		// One row takes eight streams, the second four stored as a second
		// row; pairs take four.
		kern, xs, streams, odd := kerns[0], x, 8, 0
		if m > 1 {
			if xp == nil {
				b := getPairs(x, m, k)
				defer releasePairs(b)
				xp = b.v
			}
			kern, xs, streams, odd = kerns[(m+1)/2], xp[:(m+1)&^1*k8], 4, m&1
		}
		q := n / streams
		ld, ld1 := ldo, ldo // the output row strides of the streams and of the last rows
		if m == 1 {
			ld, ld1 = 4*q, 0
		}
		if q > 0 {
			kern(&xs[0], &w[0], k, k8, &out[0], ld, q, q, odd)
		}
		for j := streams * q; j < n; j++ {
			kern(&xs[0], &w[j*k], k, k8, &out[j], ld1, 1, 0, odd)
		}
	}
	gemvTail(x, m, k, w, n, out, ldo, tail)
}

// gemvAsm runs the assembly GEMV over the multiple-of-8 prefix of each row
// and adds the tail in Go. The kernels take the rows of w as four streams
// of n/4 (the last n%4 one at a time, stream stride 0) and the rows of x
// in pairs (kern2), the last odd one alone (kern1).
func gemvAsm[W float32 | uint16](x []float32, m int, w []W, n int, out []float32, ldo int,
	kern1 func(x *float32, w *W, ld, k int, out *float32, q, qs int),
	kern2 func(x *float32, ldx int, w *W, ld, k int, out *float32, ldo, q, qs int),
	tail func([]float32, []W) float32) {
	if m == 0 || n == 0 {
		return
	}
	k := len(x) / m
	w = w[:n*k]
	_ = out[(m-1)*ldo+n-1]
	k8 := k &^ 7
	for r := 0; r < m; r += 2 {
		streams := func(call func(w *W, out *float32, q, qs int)) {
			q := n / 4
			if q > 0 {
				call(&w[0], &out[r*ldo], q, q)
			}
			for j := 4 * q; j < n; j++ {
				call(&w[j*k], &out[r*ldo+j], 1, 0)
			}
		}
		switch {
		case k8 == 0:
			clear(out[r*ldo:][:n])
			if r+1 < m {
				clear(out[(r+1)*ldo:][:n])
			}
		case r+1 < m:
			streams(func(w *W, o *float32, q, qs int) { kern2(&x[r*k], k, w, k, k8, o, ldo, q, qs) })
		default:
			streams(func(w *W, o *float32, q, qs int) { kern1(&x[r*k], w, k, k8, o, q, qs) })
		}
	}
	gemvTail(x, m, k, w, n, out, ldo, tail)
}

// gemvTail adds the last k%8 products of each output in Go.
func gemvTail[W float32 | uint16](x []float32, m, k int, w []W, n int, out []float32, ldo int, tail func([]float32, []W) float32) {
	k8 := k &^ 7
	if k8 == k {
		return
	}
	for r := range m {
		for j := range n {
			out[r*ldo+j] += tail(x[r*k+k8:(r+1)*k], w[j*k+k8:(j+1)*k])
		}
	}
}

func cvtBF16Asm(dst []float32, src []uint16) {
	n := len(src) &^ 7
	dst = dst[:len(src)]
	if n > 0 {
		cvtBF16AVX2(&dst[0], &src[0], n)
	}
	cvtBF16Go(dst[n:], src[n:])
}

func cvtF16Asm(dst []float32, src []uint16) {
	n := len(src) &^ 7
	dst = dst[:len(src)]
	if n > 0 {
		cvtF16AVX2(&dst[0], &src[0], n)
	}
	cvtF16Go(dst[n:], src[n:])
}

// weightedSumAsm runs the assembly weighted sum when the row width is a
// multiple of 8 and the Go loop otherwise: the rows of v as four streams
// of n/4 (kern4), then the last n%4 rows one by one as axpys (widened 64
// values at a time by widen when v holds 16-bit values).
func weightedSumAsm[W float32 | uint16](out, p []float32, v []W,
	kern4 func(out, p *float32, v *W, q, d int), widen func([]float32, []W), fallback func(out, p []float32, v []W)) {
	d, n := len(out), len(p)
	if n == 0 || d == 0 {
		return
	}
	v = v[:n*d]
	if d%8 != 0 {
		fallback(out, p, v)
		return
	}
	q := n / 4
	if q > 0 {
		kern4(&out[0], &p[0], &v[0], q, d)
	}
	var buf [64]float32
	for j := 4 * q; j < n; j++ {
		row := v[j*d : (j+1)*d]
		if r, ok := any(row).([]float32); ok {
			axpyAsm(out, p[j], r)
			continue
		}
		for c := 0; c < d; c += len(buf) {
			e := min(c+len(buf), d)
			widen(buf[:e-c], row[c:e])
			axpyAsm(out[c:e], p[j], buf[:e-c])
		}
	}
}

func axpyAsm(y []float32, a float32, x []float32) {
	n := len(x) &^ 7
	y = y[:len(x)]
	if n > 0 {
		axpyAVX2(&y[0], a, &x[0], n)
	}
	axpyGo(y[n:], a, x[n:])
}

// supportedImpls lists every implementation this CPU can run, fallback
// first (tests run each of them).
func supportedImpls() []*impl {
	ims := []*impl{goImpl}
	x := cpu.X86
	if x.HasAVX2 && x.HasFMA && x.HasF16C {
		ims = append(ims, avx2Impl)
		if x.HasAVX512F {
			ims = append(ims, avx512Impl)
		}
		if amxImpl != nil {
			ims = append(ims, amxImpl)
		}
	}
	return ims
}

func transposeAsm(dst []float32, ds int, src []float32, ss, rows, cols int) {
	c8, r := cols&^7, 0
	if c8 > 0 && rows >= 4 {
		_, _ = src[(rows-1)*ss+cols-1], dst[(cols-1)*ds+rows-1]
		for ; r+8 <= rows; r += 8 {
			transpose8AVX2(&dst[r], ds, &src[r*ss], ss, c8)
		}
		for ; r+4 <= rows; r += 4 {
			transpose4AVX2(&dst[r], ds, &src[r*ss], ss, c8)
		}
	}
	if r < rows {
		transposeGo(dst[r:], ds, src[r*ss:], ss, rows-r, c8)
	}
	if c8 < cols {
		transposeGo(dst[c8*ds:], ds, src[c8:], ss, rows, cols-c8)
	}
}

func siluMulAsm(gate, up []float32) {
	n := len(gate) &^ 7
	up = up[:len(gate)]
	if n > 0 {
		siluMulAVX2(&gate[0], &up[0], n)
	}
	siluMulGo(gate[n:], up[n:])
}

func geluTanhAsm(x []float32) {
	n := len(x) &^ 7
	if n > 0 {
		geluTanhAVX2(&x[0], n)
	}
	geluTanhGo(x[n:])
}

// sumExpAsm sums float32 exponentials in blocks of 2048 and adds the
// block sums in float64.
func sumExpAsm(x []float32, shift float32) float64 {
	const block = 2048
	var s float64
	n := len(x) &^ 7
	for lo := 0; lo < n; lo += block {
		s += float64(expSumAVX2(nil, &x[lo], min(block, n-lo), shift))
	}
	return s + sumExpGo(x[n:], shift)
}

func maxAsm(x []float32) float32 {
	n := len(x) &^ 7
	if n == 0 {
		return maxGo(x)
	}
	m := maxAVX2(&x[0], n)
	if n < len(x) {
		m = max(m, maxGo(x[n:]))
	}
	return m
}

// tileMulAddAsm runs the 4×16 assembly tile over the largest multiple-of-4
// rows × multiple-of-16 columns block and the Go loop over the rest.
func tileMulAddAsm(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, k, n int) {
	m4, n16 := m&^3, n&^15
	if m4 == 0 || n16 == 0 {
		tileMulAddGo(c, ldc, a, lda, b, ldb, m, k, n)
		return
	}
	for i := 0; i < m4; i += 4 {
		for j := 0; j < n16; j += 16 {
			gemm4x16AVX2(&c[i*ldc+j], ldc, &a[i*lda], lda, &b[j], ldb, k)
		}
	}
	if n16 < n {
		tileMulAddGo(c[n16:], ldc, a, lda, b[n16:], ldb, m4, k, n-n16)
	}
	if m4 < m {
		tileMulAddGo(c[m4*ldc:], ldc, a[m4*lda:], lda, b, ldb, m-m4, k, n)
	}
}

func expSubAsm(x []float32, m float32) float32 {
	var sum float32
	n := len(x) &^ 7
	if n > 0 {
		sum = expSumAVX2(&x[0], &x[0], n, m)
	}
	return sum + expSubGo(x[n:], m)
}
