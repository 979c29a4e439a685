//go:build !purego

package kernels

import (
	"maps"

	"github.com/gollm/gollm/quant"
	"golang.org/x/sys/cpu"
)

// Assembly in quant_amd64.s: nb ≥ 1 blocks of one weight row against one
// activation row, or four rows at byte strides ys (quants), ds (scales) and
// bs (Q8_K's sums).

//go:noescape
func dotQ8_0AVX2(nb int, w *byte, y *int8, d *float32) float32

//go:noescape
func dotQ8_0VNNI(nb int, w *byte, y *int8, d *float32) float32

//go:noescape
func dotQ8_0x4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, out *float32)

//go:noescape
func dotQ8_0x4VNNI(nb int, w *byte, y *int8, ys int, d *float32, ds int, out *float32)

//go:noescape
func dotQ4KAVX2(nb int, w *byte, y *int8, d *float32, bsums *int16) float32

//go:noescape
func dotQ4Kx4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, bsums *int16, bs int, out *float32)

//go:noescape
func dotQ5KAVX2(nb int, w *byte, y *int8, d *float32, bsums *int16) float32

//go:noescape
func dotQ5Kx4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, bsums *int16, bs int, out *float32)

//go:noescape
func dotQ6KAVX2(nb int, w *byte, y *int8, d *float32, bsums *int16) float32

//go:noescape
func dotQ6Kx4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, bsums *int16, bs int, out *float32)

// avx2Qdots uses VPMADDUBSW / VPMADDWD (AVX2); types without assembly
// keep their portable loops.
var avx2Qdots = withQdots(goQdots, map[quant.Type]qkern{
	quant.Q8_0: q32Kern(quant.Q8_0, dotQ8_0AVX2, dotQ8_0x4AVX2),
	quant.Q4_K: q256Kern(quant.Q4_K, dotQ4KAVX2, dotQ4Kx4AVX2),
	quant.Q5_K: q256Kern(quant.Q5_K, dotQ5KAVX2, dotQ5Kx4AVX2),
	quant.Q6_K: q256Kern(quant.Q6_K, dotQ6KAVX2, dotQ6Kx4AVX2),
})

// vnniQdots replaces the sign-trick products of the Q8_0-activation types
// with VPDPBUSD (AVX-512 VNNI on ymm registers). The K-quants keep AVX2:
// their sub-block scales multiply 16-bit pair sums in VPMADDWD for free,
// where VPDPBUSD's 32-bit sums would need a VPMULLD.
var vnniQdots = withQdots(avx2Qdots, map[quant.Type]qkern{
	quant.Q8_0: q32Kern(quant.Q8_0, dotQ8_0VNNI, dotQ8_0x4VNNI),
})

// avx512Qdots is the set the avx512 implementation uses: VNNI where the
// CPU has it (and AVX-512 BW and VL, which its ymm form needs).
func avx512Qdots() map[quant.Type]qkern {
	if x := cpu.X86; x.HasAVX512VNNI && x.HasAVX512BW && x.HasAVX512VL {
		return vnniQdots
	}
	return avx2Qdots
}

// withQdots returns base with the kernels of over replacing its own.
func withQdots(base, over map[quant.Type]qkern) map[quant.Type]qkern {
	m := maps.Clone(base)
	maps.Copy(m, over)
	return m
}

// q32Kern adapts the kernels of a type with 32-weight blocks and Q8_0 /
// Q8_1 activations.
func q32Kern(t quant.Type,
	x1 func(nb int, w *byte, y *int8, d *float32) float32,
	x4 func(nb int, w *byte, y *int8, ys int, d *float32, ds int, out *float32)) qkern {
	bb := qformats[t].bytes
	return qkern{
		dot: func(w []byte, x qrow) float32 {
			nb := len(x.d)
			if nb == 0 {
				return 0
			}
			_, _ = w[bb*nb-1], x.qs[32*nb-1]
			return x1(nb, &w[0], &x.qs[0], &x.d[0])
		},
		dot4: func(w []byte, x *qrows, r0 int, out *[4]float32) {
			nb := x.k / 32
			if nb == 0 {
				*out = [4]float32{}
				return
			}
			_, _, _ = w[bb*nb-1], x.qs[(r0+4)*x.k-1], x.d[(r0+4)*nb-1]
			x4(nb, &w[0], &x.qs[r0*x.k], x.k, &x.d[r0*nb], 4*nb, &out[0])
		},
	}
}

// q256Kern adapts the kernels of a K-quant (Q8_K activations).
func q256Kern(t quant.Type,
	x1 func(nb int, w *byte, y *int8, d *float32, bsums *int16) float32,
	x4 func(nb int, w *byte, y *int8, ys int, d *float32, ds int, bsums *int16, bs int, out *float32)) qkern {
	bb := qformats[t].bytes
	return qkern{
		dot: func(w []byte, x qrow) float32 {
			nb := len(x.d)
			if nb == 0 {
				return 0
			}
			_, _, _ = w[bb*nb-1], x.qs[256*nb-1], x.bsums[16*nb-1]
			return x1(nb, &w[0], &x.qs[0], &x.d[0], &x.bsums[0])
		},
		dot4: func(w []byte, x *qrows, r0 int, out *[4]float32) {
			nb := x.k / 256
			if nb == 0 {
				*out = [4]float32{}
				return
			}
			_, _, _, _ = w[bb*nb-1], x.qs[(r0+4)*x.k-1], x.d[(r0+4)*nb-1], x.bsums[(r0+4)*16*nb-1]
			x4(nb, &w[0], &x.qs[r0*x.k], x.k, &x.d[r0*nb], 4*nb, &x.bsums[r0*16*nb], 32*nb, &out[0])
		},
	}
}
