package quant

import (
	"encoding/binary"
	"math"
)

// The K-quants hold 256 weights a super-block. Q4_K and Q5_K split it into
// eight sub-blocks of 32, each with a 6-bit scale and a 6-bit min (packed in
// 12 bytes), both multiplied by the super-block's half d and dmin: a weight
// is d*sc*q - dmin*m. Q6_K splits it into sixteen sub-blocks of 16 with a
// signed 8-bit scale each: a weight is d*sc*(q - 32). Q8_K, the activation
// format, keeps a float32 scale, signed bytes, and the sums of each 16.
//
// The quantizers follow ggml's quantize_row_*_ref. llama-quantize takes that
// path for Q4_K, Q5_K and Q6_K whenever it has no importance matrix (its
// quantize_q*_K calls the _ref function when the matrix pointer is null), so
// these are the defaults; the importance-weighted searches are not here.
// As in legacy.go, float32() conversions keep every step rounded on its own.

// groupMaxEps is ggml's GROUP_MAX_EPS: groups whose largest magnitude is
// below it quantize to zero.
const groupMaxEps = 1e-15

// nearestInt rounds v to the nearest integer, ties to even, by ggml's trick
// of adding 1.5*2^23 and reading the mantissa; like ggml's nearest_int it is
// meant for |v| ≤ 2^22 (larger values give wrapped results, not a panic).
func nearestInt(v float32) int {
	f := float32(v) + 12582912
	return int(math.Float32bits(f)&0x007fffff) - 0x00400000
}

// clamp limits v to [lo, hi].
func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

// makeQKX2 is ggml's make_qkx2_quants with squared error: it fits x ≈
// scale*L + min (min ≤ 0, L in [0, nmax]) under weights w, trying the
// inverse scales (nmax + rmin + rdelta*is)/(max - min), is = 0..nstep, and
// keeping the least weighted error. It returns scale and -min; aux is scratch.
func makeQKX2(nmax int, x, w []float32, L, aux []uint8, rmin, rdelta float32, nstep int) (scale, negMin float32) {
	lo, hi := x[0], x[0]
	sumW := w[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < len(x); i++ {
		if x[i] < lo {
			lo = x[i]
		}
		if x[i] > hi {
			hi = x[i]
		}
		sumW += w[i]
		sumX += float32(w[i] * x[i])
	}
	if lo > 0 {
		lo = 0
	}
	if hi == lo {
		clear(L)
		return 0, -lo
	}
	iscale := float32(nmax) / (hi - lo)
	scale = 1 / iscale
	var best float32
	for i, v := range x {
		L[i] = uint8(clamp(nearestInt(iscale*float32(v-lo)), 0, nmax))
		diff := float32(float32(scale*float32(L[i]))+lo) - v
		best += float32(w[i] * float32(diff*diff))
	}
	for is := 0; is <= nstep; is++ {
		iscale = float32(float32(rmin+float32(rdelta*float32(is)))+float32(nmax)) / (hi - lo)
		var sumL, sumL2, sumXL float32
		for i, v := range x {
			l := clamp(nearestInt(iscale*float32(v-lo)), 0, nmax)
			aux[i] = uint8(l)
			wl := float32(w[i] * float32(l))
			sumL += wl
			sumL2 += float32(wl * float32(l))
			sumXL += float32(wl * v)
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if !(D > 0) {
			continue
		}
		s := float32(float32(sumW*sumXL)-float32(sumX*sumL)) / D
		m := float32(float32(sumL2*sumX)-float32(sumL*sumXL)) / D
		if m > 0 {
			m, s = 0, sumXL/sumL2
		}
		var cur float32
		for i, v := range x {
			diff := float32(float32(s*float32(aux[i]))+m) - v
			cur += float32(w[i] * float32(diff*diff))
		}
		if cur < best {
			copy(L, aux)
			best, scale, lo = cur, s, m
		}
	}
	return scale, -lo
}

// quantScaleMin fills L (one level in [0, nmax] per weight of the 256 in x)
// and the first 16 bytes of a Q4_K or Q5_K block: d, dmin and the packed
// 6-bit sub-block scales and mins. Each 32-weight sub-block is fitted by
// makeQKX2 under weights rms + |x|; the scales and mins are then quantized
// to 6 bits against the largest of each, and the levels recomputed against
// the rounded scales.
func quantScaleMin(b []byte, x []float32, L []uint8, nmax int, rmin float32, nstep int) {
	var scales, mins [QKK / 32]float32
	var w [32]float32
	var aux [32]uint8
	var maxScale, maxMin float32
	for j := range scales {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		av := float32(math.Sqrt(float64(sumX2 / 32)))
		for l, v := range xs {
			w[l] = av + abs32(v)
		}
		scales[j], mins[j] = makeQKX2(nmax, xs, w[:], L[32*j:32*j+32], aux[:], rmin, 0.1, nstep)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	var ls, lm [QKK / 32]uint8
	for j := range ls {
		ls[j] = min(63, uint8(nearestInt(invScale*scales[j])))
		lm[j] = min(63, uint8(nearestInt(invMin*mins[j])))
	}
	putHalf(b, maxScale/63)
	putHalf(b[2:], maxMin/63)
	packScaleMin(b[4:16], ls, lm)
	d, dmin := half(b), half(b[2:])
	for j := range ls {
		sc, m := scaleMin(j, b[4:16])
		dj := d * float32(sc)
		if dj == 0 {
			continue
		}
		dm := float32(dmin * float32(m))
		for i := 32 * j; i < 32*j+32; i++ {
			L[i] = uint8(clamp(nearestInt(float32(x[i]+dm)/dj), 0, nmax))
		}
	}
}

// packScaleMin stores eight 6-bit scales and mins in 12 bytes as ggml does:
// sub-blocks 0–3 in the low 6 bits of bytes 0–3 (scales) and 4–7 (mins);
// sub-blocks 4–7 in the nibbles of bytes 8–11, their top 2 bits in the top
// bits of bytes 0–7.
func packScaleMin(q []byte, ls, lm [QKK / 32]uint8) {
	for j := 0; j < 4; j++ {
		q[j], q[j+4] = ls[j], lm[j]
	}
	for j := 4; j < 8; j++ {
		q[j+4] = ls[j]&15 | lm[j]&15<<4
		q[j-4] |= ls[j] >> 4 << 6
		q[j] |= lm[j] >> 4 << 6
	}
}

// scaleMin unpacks sub-block j's 6-bit scale and min from the 12 bytes q.
func scaleMin(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&15 | q[j-4]>>6<<4, q[j+4]>>4 | q[j]>>6<<4
}

func quantQ4K(b []byte, x []float32) {
	var L [QKK]uint8
	quantScaleMin(b, x, L[:], 15, -1, 20)
	qs := b[16:]
	for j := 0; j < QKK; j += 64 {
		for l := 0; l < 32; l++ {
			qs[j/2+l] = L[j+l] | L[j+l+32]<<4
		}
	}
}

func quantQ5K(b []byte, x []float32) {
	var L [QKK]uint8
	quantScaleMin(b, x, L[:], 31, -0.5, 15)
	qh, qs := b[16:48], b[48:]
	clear(qh)
	for n := 0; n < QKK/64; n++ {
		for j := 0; j < 32; j++ {
			l1, l2 := L[64*n+j], L[64*n+j+32]
			qh[j] |= l1>>4<<(2*n) | l2>>4<<(2*n+1)
			qs[32*n+j] = l1&15 | (l2&15)<<4
		}
	}
}

// dequantScaleMin writes the 256 weights of a Q4_K or Q5_K block b, given
// each weight's level by level(sub-block pair n, index l in 0..31, high
// nibble or low).
func dequantScaleMin(dst []float32, b []byte, level func(n, l int, hi bool) uint8) {
	d, dmin := half(b), half(b[2:])
	for n := 0; n < QKK/64; n++ {
		for k, hi := range [2]bool{false, true} {
			sc, m := scaleMin(2*n+k, b[4:16])
			dk, mk := d*float32(sc), float32(dmin*float32(m))
			out := dst[64*n+32*k:]
			for l := 0; l < 32; l++ {
				out[l] = float32(dk*float32(level(n, l, hi))) - mk
			}
		}
	}
}

func dequantQ4K(dst []float32, b []byte) {
	qs := b[16:]
	dequantScaleMin(dst, b, func(n, l int, hi bool) uint8 {
		if hi {
			return qs[32*n+l] >> 4
		}
		return qs[32*n+l] & 15
	})
}

func dequantQ5K(dst []float32, b []byte) {
	qh, qs := b[16:48], b[48:]
	dequantScaleMin(dst, b, func(n, l int, hi bool) uint8 {
		q, bit := qs[32*n+l]&15, 2*n
		if hi {
			q, bit = qs[32*n+l]>>4, 2*n+1
		}
		return q | (qh[l]>>bit&1)<<4
	})
}

// makeQX is ggml's make_qx_quants as Q6_K calls it (rmse_type 1, no
// importance weights): it fits x ≈ scale*(L - nmax), L in [0, 2*nmax-1],
// under weights x², trying inverse scales -(nmax + 0.1*is)/max for is in
// -9..9 and keeping the best fit. It returns scale.
func makeQX(nmax int, x []float32, L []uint8) float32 {
	amax, max := absMax(x)
	if amax < groupMaxEps {
		clear(L)
		return 0
	}
	// sums fits x with levels rounded from x*iscale, filling L when keep.
	sums := func(iscale float32, keep bool) (sumLX, sumL2 float32) {
		for i, v := range x {
			l := clamp(nearestInt(iscale*v), -nmax, nmax-1)
			if keep {
				L[i] = uint8(l + nmax)
			}
			w := float32(v * v)
			sumLX += float32(float32(w*v) * float32(l))
			sumL2 += float32(float32(w*float32(l)) * float32(l))
		}
		return sumLX, sumL2
	}
	sumLX, sumL2 := sums(float32(-nmax)/max, true)
	var scale float32
	if sumL2 != 0 {
		scale = sumLX / sumL2
	}
	best := scale * sumLX
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale := -float32(float32(nmax)+float32(0.1*float32(is))) / max
		sumLX, sumL2 = sums(iscale, false)
		if sumL2 > 0 && float32(sumLX*sumLX) > float32(best*sumL2) {
			sums(iscale, true)
			scale = sumLX / sumL2
			best = scale * sumLX
		}
	}
	return scale
}

// Q6_K's block: ql (128 bytes of low nibbles), qh (64 bytes of 2-bit high
// parts), 16 int8 scales, then the half d at byte 208.
func quantQ6K(b []byte, x []float32) {
	var L [QKK]uint8
	var scales [QKK / 16]float32
	var maxScale, maxAbs float32
	for ib := range scales {
		scales[ib] = makeQX(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
		if a := abs32(scales[ib]); a > maxAbs {
			maxAbs, maxScale = a, scales[ib]
		}
	}
	if maxAbs < groupMaxEps {
		clear(b[:210])
		return
	}
	iscale := -128 / maxScale
	putHalf(b[208:], 1/iscale)
	d := half(b[208:])
	sc := b[192:208]
	for ib := range scales {
		sc[ib] = byte(int8(min(127, nearestInt(iscale*scales[ib]))))
	}
	for j := range scales {
		dj := d * float32(int8(sc[j]))
		if dj == 0 {
			continue
		}
		for i := 16 * j; i < 16*j+16; i++ {
			L[i] = uint8(clamp(nearestInt(x[i]/dj), -32, 31) + 32)
		}
	}
	ql, qh := b[:128], b[128:192]
	for n := 0; n < QKK/128; n++ {
		Ln, qln, qhn := L[128*n:], ql[64*n:], qh[32*n:]
		for l := 0; l < 32; l++ {
			qln[l] = Ln[l]&15 | Ln[l+64]&15<<4
			qln[l+32] = Ln[l+32]&15 | Ln[l+96]&15<<4
			qhn[l] = Ln[l]>>4 | Ln[l+32]>>4<<2 | Ln[l+64]>>4<<4 | Ln[l+96]>>4<<6
		}
	}
}

func dequantQ6K(dst []float32, b []byte) {
	d := half(b[208:])
	for n := 0; n < QKK/128; n++ {
		ql, qh, sc, y := b[64*n:], b[128+32*n:], b[192+8*n:], dst[128*n:]
		for l := 0; l < 32; l++ {
			is := l / 16
			q := [4]int{
				int(ql[l]&15 | (qh[l]&3)<<4),
				int(ql[l+32]&15 | (qh[l]>>2&3)<<4),
				int(ql[l]>>4 | (qh[l]>>4&3)<<4),
				int(ql[l+32]>>4 | (qh[l]>>6&3)<<4),
			}
			for k, qk := range q {
				y[l+32*k] = float32(d*float32(int8(sc[is+2*k]))) * float32(qk-32)
			}
		}
	}
}

// Q8_K's block: a float32 scale d, 256 int8 quants, 16 int16 sums of 16
// quants each. A zero block (all weights 0) gets d = 0, zero quants and sums
// (ggml leaves the sums as they were; they are zeroed here).
func quantQ8K(b []byte, x []float32) {
	amax, max := absMax(x)
	if amax == 0 {
		clear(b[:292])
		return
	}
	iscale := -127 / max
	qs := b[4:260]
	for j, v := range x {
		qs[j] = byte(int8(min(127, nearestInt(iscale*v))))
	}
	for j := 0; j < QKK/16; j++ {
		var sum int16
		for _, q := range qs[16*j : 16*j+16] {
			sum += int16(int8(q))
		}
		binary.LittleEndian.PutUint16(b[260+2*j:], uint16(sum))
	}
	binary.LittleEndian.PutUint32(b, math.Float32bits(1/iscale))
}

func dequantQ8K(dst []float32, b []byte) {
	d := math.Float32frombits(binary.LittleEndian.Uint32(b))
	for j := range dst[:QKK] {
		dst[j] = d * float32(int8(b[4+j]))
	}
}
