package quant

import (
	"encoding/binary"
	"math"
)

// The legacy formats hold 32 weights a block: a half scale d (and, for the
// _1 formats, a half offset m), then the quants. Q4 packs weight j in the low
// nibble of byte j and weight j+16 in its high nibble; Q5 adds a 32-bit word
// of fifth bits (bit j for weight j); Q8_0 stores signed bytes. A weight is
// q*d (q centred: 4 bits less 8, 5 bits less 16) or q*d + m.
//
// The quantizers follow ggml's quantize_row_*_ref, which is also what
// llama-quantize runs for these types when it has no importance matrix.
// Every product and sum is rounded to float32 on its own (the float32()
// conversions forbid fused multiply-adds), as the C reference computes.

// absMax returns the largest magnitude in x and the first value having it.
func absMax(x []float32) (amax, max float32) {
	for _, v := range x {
		if a := abs32(v); amax < a {
			amax, max = a, v
		}
	}
	return amax, max
}

// minMax returns the smallest and largest values of x, starting from
// ±MaxFloat32 as ggml does.
func minMax(x []float32) (lo, hi float32) {
	lo, hi = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// inverse is 1/d, or 0 for d == 0.
func inverse(d float32) float32 {
	if d == 0 {
		return 0
	}
	return 1 / d
}

// quantNibbles fills the 16 nibble bytes qs (and returns the fifth bits when
// bits is 5) from x: q = trunc(x*id + add) capped at 2^bits-1 (the caps of
// ggml; Q5_1 has none, its quants cannot exceed 31).
func quantNibbles(qs []byte, x []float32, id, sub, add float32, bits uint) (qh uint32) {
	top := 1<<bits - 1
	for j := 0; j < QK/2; j++ {
		x0 := float32(float32(x[j]-sub) * id)
		x1 := float32(float32(x[j+QK/2]-sub) * id)
		q0 := min(top, int(x0+add))
		q1 := min(top, int(x1+add))
		qs[j] = byte(q0&15 | (q1&15)<<4)
		qh |= uint32(q0>>4&1)<<j | uint32(q1>>4&1)<<(j+QK/2)
	}
	return qh
}

func quantQ4_0(b []byte, x []float32) {
	_, max := absMax(x)
	d := max / -8
	putHalf(b, d)
	quantNibbles(b[2:], x, inverse(d), 0, 8.5, 4)
}

func quantQ4_1(b []byte, x []float32) {
	lo, hi := minMax(x)
	d := (hi - lo) / 15
	putHalf(b, d)
	putHalf(b[2:], lo)
	quantNibbles(b[4:], x, inverse(d), lo, 0.5, 4)
}

func quantQ5_0(b []byte, x []float32) {
	_, max := absMax(x)
	d := max / -16
	putHalf(b, d)
	qh := quantNibbles(b[6:], x, inverse(d), 0, 16.5, 5)
	binary.LittleEndian.PutUint32(b[2:], qh)
}

func quantQ5_1(b []byte, x []float32) {
	lo, hi := minMax(x)
	d := (hi - lo) / 31
	putHalf(b, d)
	putHalf(b[2:], lo)
	qh := quantNibbles(b[8:], x, inverse(d), lo, 0.5, 5)
	binary.LittleEndian.PutUint32(b[4:], qh)
}

// quantQ8_0 keeps ggml's MAX(amax, |v|) running maximum, which a NaN input
// resets (a NaN makes no comparison true) where absMax skips it.
func quantQ8_0(b []byte, x []float32) {
	var amax float32
	for _, v := range x {
		if a := abs32(v); !(amax > a) {
			amax = a
		}
	}
	d := amax / 127
	id := inverse(d)
	putHalf(b, d)
	for j, v := range x {
		b[2+j] = byte(int8(math.Round(float64(float32(v * id)))))
	}
}

// dequantNibbles writes the 32 weights of nibble bytes qs and fifth bits qh:
// (q - off)*d for the centred formats (off > 0), q*d + m for the others. The
// centred ones add nothing: adding 0 would turn ggml's -0 into +0.
func dequantNibbles(dst []float32, qs []byte, qh uint32, d, m float32, off int) {
	for j := 0; j < QK/2; j++ {
		q0 := int(qs[j]&15) | int(qh>>j&1)<<4
		q1 := int(qs[j]>>4) | int(qh>>(j+QK/2)&1)<<4
		v0, v1 := float32(float32(q0-off)*d), float32(float32(q1-off)*d)
		if off == 0 {
			v0, v1 = v0+m, v1+m
		}
		dst[j], dst[j+QK/2] = v0, v1
	}
}

func dequantQ4_0(dst []float32, b []byte) { dequantNibbles(dst, b[2:], 0, half(b), 0, 8) }

func dequantQ4_1(dst []float32, b []byte) { dequantNibbles(dst, b[4:], 0, half(b), half(b[2:]), 0) }

func dequantQ5_0(dst []float32, b []byte) {
	dequantNibbles(dst, b[6:], binary.LittleEndian.Uint32(b[2:]), half(b), 0, 16)
}

func dequantQ5_1(dst []float32, b []byte) {
	dequantNibbles(dst, b[8:], binary.LittleEndian.Uint32(b[4:]), half(b), half(b[2:]), 0)
}

func dequantQ8_0(dst []float32, b []byte) {
	d := half(b)
	for j := range dst[:QK] {
		dst[j] = float32(int8(b[2+j])) * d
	}
}
