//go:build !purego

package kernels

import (
	"maps"
	"unsafe"

	"github.com/gollm/gollm/quant"
	"golang.org/x/sys/cpu"
)

// Assembly in quant_amd64.s: nb ≥ 1 blocks of one weight row against one
// activation row, or against four (or eight) rows at byte strides ys (quants), ds
// (scales) and as (aux: Q8_1's sums s, or Q8_K's bsums).

//go:noescape
func dotQ8_0AVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ8_0x4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ4_0AVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ4_0x4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ4_0VNNI(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ4_0x4VNNI(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ5_0AVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ5_0x4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ5_0VNNI(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ5_0x4VNNI(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ4_1AVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ4_1x4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ4_1VNNI(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ4_1x4VNNI(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ5_1AVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ5_1x4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ5_1VNNI(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ5_1x4VNNI(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ4KAVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ4Kx4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ5KAVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ5Kx4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ6KAVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ6Kx4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ4Kx4AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ6KAVX512(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ6Kx4AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ4Kx8AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ6Kx8AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ8_0x8AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

//go:noescape
func dotQ8_0AVX512(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32

//go:noescape
func dotQ8_0x4AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)

// avx2Qdots uses VPMADDUBSW / VPMADDWD (AVX2).
var avx2Qdots = map[quant.Type]qkern{
	quant.Q8_0: asmKern(quant.Q8_0, dotQ8_0AVX2, dotQ8_0x4AVX2),
	quant.Q4_0: asmKern(quant.Q4_0, dotQ4_0AVX2, dotQ4_0x4AVX2),
	quant.Q5_0: asmKern(quant.Q5_0, dotQ5_0AVX2, dotQ5_0x4AVX2),
	quant.Q4_1: asmKern(quant.Q4_1, dotQ4_1AVX2, dotQ4_1x4AVX2),
	quant.Q5_1: asmKern(quant.Q5_1, dotQ5_1AVX2, dotQ5_1x4AVX2),
	quant.Q4_K: asmKern(quant.Q4_K, dotQ4KAVX2, dotQ4Kx4AVX2),
	quant.Q5_K: asmKern(quant.Q5_K, dotQ5KAVX2, dotQ5Kx4AVX2),
	quant.Q6_K: asmKern(quant.Q6_K, dotQ6KAVX2, dotQ6Kx4AVX2),
}

// vnniQdots is the set for CPUs with AVX-512 BW, VL and VNNI. Q4_0, Q5_0,
// Q4_1 and Q5_1 replace the VPMADDUBSW / VPMADDWD pair with VPDPBUSD on ymm
// registers; Q8_0, whose blocks need no unpacking, takes two blocks a step
// on zmm. The K-quants keep the pair, where their sub-block scales ride in
// the VPMADDWD (VPDPBUSD's 32-bit sums would need a VPMULLD), but Q4_K's
// and Q6_K's four-row kernels run it on zmm, 128 weights a step.
var vnniQdots = func() map[quant.Type]qkern {
	m := maps.Clone(avx2Qdots)
	m[quant.Q4_K] = withX8(asmKern(quant.Q4_K, dotQ4KAVX2, dotQ4Kx4AVX512), quant.Q4_K, dotQ4Kx8AVX512)
	m[quant.Q6_K] = withX8(asmKern(quant.Q6_K, dotQ6KAVX512, dotQ6Kx4AVX512), quant.Q6_K, dotQ6Kx8AVX512)
	m[quant.Q8_0] = withX8(asmKern(quant.Q8_0, dotQ8_0AVX512, dotQ8_0x4AVX512), quant.Q8_0, dotQ8_0x8AVX512)
	m[quant.Q4_0] = asmKern(quant.Q4_0, dotQ4_0VNNI, dotQ4_0x4VNNI)
	m[quant.Q5_0] = asmKern(quant.Q5_0, dotQ5_0VNNI, dotQ5_0x4VNNI)
	m[quant.Q4_1] = asmKern(quant.Q4_1, dotQ4_1VNNI, dotQ4_1x4VNNI)
	m[quant.Q5_1] = asmKern(quant.Q5_1, dotQ5_1VNNI, dotQ5_1x4VNNI)
	return m
}()

// avx512Qdots is the set the avx512 implementation uses: VNNI where the
// CPU has it (with AVX-512 BW and VL, which its ymm form needs).
func avx512Qdots() map[quant.Type]qkern {
	if x := cpu.X86; x.HasAVX512VNNI && x.HasAVX512BW && x.HasAVX512VL {
		return vnniQdots
	}
	return avx2Qdots
}

// asmKern adapts a type's pair of assembly kernels to qkern, checking the
// bounds the assembly relies on.
func asmKern(t quant.Type,
	x1 func(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32,
	x4 func(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)) qkern {
	f := qformats[t]
	bl := f.act.blockLen()
	return qkern{
		dot: func(w []byte, x qrow) float32 {
			nb := len(x.d)
			if nb == 0 {
				return 0
			}
			_, _ = w[f.bytes*nb-1], x.qs[bl*nb-1]
			return x1(nb, &w[0], &x.qs[0], &x.d[0], x.aux(nb))
		},
		dot4: asmRows(f, 4, x4),
		gemv1: func(w []byte, rb, n int, x qrow, out []float32) {
			nb := len(x.d)
			if nb == 0 || n == 0 {
				clear(out[:n])
				return
			}
			_, _, _ = w[(n-1)*rb+f.bytes*nb-1], x.qs[bl*nb-1], out[n-1] // the last row x1 reads
			y, d, aux := &x.qs[0], &x.d[0], x.aux(nb)
			// fourStreams' order, spelled out: a call per row is the
			// cost that matters for short rows.
			q4 := n / 4
			for t := 0; t < q4; t++ {
				out[t] = x1(nb, &w[t*rb], y, d, aux)
				out[t+q4] = x1(nb, &w[(t+q4)*rb], y, d, aux)
				out[t+2*q4] = x1(nb, &w[(t+2*q4)*rb], y, d, aux)
				out[t+3*q4] = x1(nb, &w[(t+3*q4)*rb], y, d, aux)
			}
			for j := 4 * q4; j < n; j++ {
				out[j] = x1(nb, &w[j*rb], y, d, aux)
			}
		},
	}
}

// asmRows adapts an assembly kernel of n ≤ 8 activation rows to qkern's
// dot4 or dot8: the kernel writes its n results into tmp.
func asmRows(f qformat, n int,
	xn func(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)) func(w []byte, x *qrows, r0 int, out []float32, ldo int, tmp *[8]float32) {
	bl := f.act.blockLen()
	return func(w []byte, x *qrows, r0 int, out []float32, ldo int, tmp *[8]float32) {
		nb := x.k / bl
		_ = out[(n-1)*ldo]
		if nb == 0 {
			for i := range n {
				out[i*ldo] = 0
			}
			return
		}
		_, _, _ = w[f.bytes*nb-1], x.qs[(r0+n)*x.k-1], x.d[(r0+n)*nb-1]
		aux, as := x.auxRows(r0, n, nb)
		xn(nb, &w[0], &x.qs[r0*x.k], x.k, &x.d[r0*nb], 4*nb, aux, as, &tmp[0])
		for i, v := range tmp[:n] {
			out[i*ldo] = v
		}
	}
}

// withX8 adds to kn the eight-row kernel x8 of type t.
func withX8(kn qkern, t quant.Type,
	x8 func(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)) qkern {
	kn.dot8 = asmRows(qformats[t], 8, x8)
	return kn
}

// aux returns the address of x's block sums (Q8_1's s or Q8_K's bsums),
// checked to cover nb blocks.
func (x qrow) aux(nb int) unsafe.Pointer {
	if x.s != nil {
		_ = x.s[nb-1]
		return unsafe.Pointer(&x.s[0])
	}
	_ = x.bsums[16*nb-1]
	return unsafe.Pointer(&x.bsums[0])
}

// auxRows returns the address of row r0's block sums and the row stride
// in bytes, checked to cover rows r0 … r0+n−1 of nb blocks.
func (q *qrows) auxRows(r0, n, nb int) (unsafe.Pointer, int) {
	if q.a == act32 {
		_ = q.s[(r0+n)*nb-1]
		return unsafe.Pointer(&q.s[r0*nb]), 4 * nb
	}
	_ = q.bsums[(r0+n)*16*nb-1]
	return unsafe.Pointer(&q.bsums[r0*16*nb]), 32 * nb
}
