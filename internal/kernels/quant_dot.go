package kernels

import (
	"encoding/binary"

	"github.com/gollm/gollm/quant"
)

// qdotFn returns the dot product of one weight row w (whole blocks of its
// type) with the activation row x of the same length. Each block's integer
// sum is exact; the blocks' scaled sums are added in float32.
type qdotFn func(w []byte, x qrow) float32

// qkern is a weight type's dot products: with one activation row, and
// (optionally) with four rows at once, each row's result equal to dot's.
type qkern struct {
	dot qdotFn
	// dot4, when set, sets out[i·ldo] = w · x[r0+i] for i < 4, through
	// tmp: a result array of its own would escape to the heap through the
	// indirect call, once per weight row; the caller's tmp escapes once
	// per product.
	dot4 func(w []byte, x *qrows, r0 int, out []float32, ldo int, tmp *[8]float32)
	// gemv1, when set, sets out[j] = w[j] · x for the n weight rows of w
	// (rb bytes each), in fourStreams order: decoding's one-row product
	// without a call through dot per weight row.
	gemv1 func(w []byte, rb, n int, x qrow, out []float32)
	// dot8, when set, is dot4 for eight rows, each weight block unpacked
	// once for all of them (the prefill tiles).
	dot8 func(w []byte, x *qrows, r0 int, out []float32, ldo int, tmp *[8]float32)
}

// rows sets out[(r−r0)·ldo] = w · x[r] for rows r0 ≤ r < r1 of x, four at a
// time where the kernel can (tmp: its scratch, see dot4).
func (kn qkern) rows(w []byte, x *qrows, r0, r1 int, out []float32, ldo int, tmp *[8]float32) {
	r := r0
	if kn.dot4 != nil {
		for ; r+4 <= r1; r += 4 {
			kn.dot4(w, x, r, out[(r-r0)*ldo:], ldo, tmp)
		}
	}
	for ; r < r1; r++ {
		out[(r-r0)*ldo] = kn.dot(w, x.row(r))
	}
}

// tile is rows eight at a time where the kernel can (prefill's tiles, and
// decode steps of several sequences).
func (kn qkern) tile(w []byte, x *qrows, r0, r1 int, out []float32, ldo int, tmp *[8]float32) {
	r := r0
	if kn.dot8 != nil {
		for ; r+8 <= r1; r += 8 {
			kn.dot8(w, x, r, out[(r-r0)*ldo:], ldo, tmp)
		}
	}
	if r < r1 {
		kn.rows(w, x, r, r1, out[(r-r0)*ldo:], ldo, tmp)
	}
}

// qformat is what the kernels know of a weight type: its activation
// format, its block shape and the portable dot product.
type qformat struct {
	act          act
	elems, bytes int
	dot          qdotFn
}

// qformats lists the weight types QuantMat accepts.
var qformats = map[quant.Type]qformat{
	quant.Q4_0: {act32, quant.QK, 18, dotQ4_0Go},
	quant.Q4_1: {act32, quant.QK, 20, dotQ4_1Go},
	quant.Q5_0: {act32, quant.QK, 22, dotQ5_0Go},
	quant.Q5_1: {act32, quant.QK, 24, dotQ5_1Go},
	quant.Q8_0: {act32, quant.QK, 34, dotQ8_0Go},
	quant.Q4_K: {act256, quant.QKK, 144, dotQ4KGo},
	quant.Q5_K: {act256, quant.QKK, 176, dotQ5KGo},
	quant.Q6_K: {act256, quant.QKK, 210, dotQ6KGo},
}

// goQdots holds the portable dot product of every type in qformats.
var goQdots = func() map[quant.Type]qkern {
	m := map[quant.Type]qkern{}
	for t, f := range qformats {
		m[t] = qkern{dot: f.dot}
	}
	return m
}()

func half(b []byte) float32 { return quant.FP16ToFP32(binary.LittleEndian.Uint16(b)) }

func dotQ8_0Go(w []byte, x qrow) float32 {
	var acc float32
	for b, dy := range x.d {
		blk, y := w[34*b:34*b+34], x.qs[32*b:32*b+32]
		var sum int32
		for j, q := range blk[2:34] {
			sum += int32(int8(q)) * int32(y[j])
		}
		acc += float32(half(blk)*dy) * float32(sum)
	}
	return acc
}

// nibbleSum returns Σ q_j·y_j over a legacy block's 32 weights: q_j the low
// nibble of qs[j] (j < 16) or the high nibble of qs[j−16], plus bit j of qh
// as a fifth bit, less off.
func nibbleSum(qs []byte, qh uint32, y []int8, off int32) int32 {
	var sum int32
	for j := 0; j < 16; j++ {
		q0 := int32(qs[j]&15) | int32(qh>>j&1)<<4
		q1 := int32(qs[j]>>4) | int32(qh>>(j+16)&1)<<4
		sum += (q0-off)*int32(y[j]) + (q1-off)*int32(y[j+16])
	}
	return sum
}

// dotLegacy is the dot product of a legacy format with blocks of bytes
// bytes: d at 0, the half offset m at 2 when hasMin, the fifth bits at
// qhAt (< 0: none), the nibbles at the end; quants less off.
func dotLegacy(w []byte, x qrow, bytes int, hasMin bool, qhAt int, off int32) float32 {
	var acc float32
	for b, dy := range x.d {
		blk := w[bytes*b : bytes*(b+1)]
		var qh uint32
		if qhAt >= 0 {
			qh = binary.LittleEndian.Uint32(blk[qhAt:])
		}
		sum := nibbleSum(blk[bytes-16:], qh, x.qs[32*b:32*b+32], off)
		v := float32(half(blk)*dy) * float32(sum)
		if hasMin {
			v += float32(half(blk[2:]) * x.s[b])
		}
		acc += v
	}
	return acc
}

func dotQ4_0Go(w []byte, x qrow) float32 { return dotLegacy(w, x, 18, false, -1, 8) }
func dotQ4_1Go(w []byte, x qrow) float32 { return dotLegacy(w, x, 20, true, -1, 0) }
func dotQ5_0Go(w []byte, x qrow) float32 { return dotLegacy(w, x, 22, false, 2, 16) }
func dotQ5_1Go(w []byte, x qrow) float32 { return dotLegacy(w, x, 24, true, 4, 0) }

// scaleMin unpacks sub-block j's 6-bit scale and min from a Q4_K or Q5_K
// block's 12 scale bytes q.
func scaleMin(j int, q []byte) (sc, m int32) {
	if j < 4 {
		return int32(q[j] & 63), int32(q[j+4] & 63)
	}
	return int32(q[j+4]&15 | q[j-4]>>6<<4), int32(q[j+4]>>4 | q[j]>>6<<4)
}

// dotScaleMin is the Q4_K / Q5_K dot product with blocks of bytes bytes:
// per block d·Σ_j sc_j·Σ q·y − dmin·Σ_j m_j·Σ y, unpack filling the
// block's 256 levels.
func dotScaleMin(w []byte, x qrow, bytes int, unpack func(L *[256]uint8, blk []byte)) float32 {
	var acc float32
	var L [256]uint8
	for b, dy := range x.d {
		blk, y := w[bytes*b:bytes*(b+1)], x.qs[256*b:256*b+256]
		bs := x.bsums[16*b : 16*b+16]
		unpack(&L, blk)
		var sumi, summ int32
		for j := 0; j < 8; j++ {
			sc, m := scaleMin(j, blk[4:16])
			var s int32
			for i, l := range L[32*j : 32*j+32] {
				s += int32(l) * int32(y[32*j+i])
			}
			sumi += sc * s
			summ += m * (int32(bs[2*j]) + int32(bs[2*j+1]))
		}
		acc += float32(float32(dy*half(blk))*float32(sumi)) - float32(float32(dy*half(blk[2:]))*float32(summ))
	}
	return acc
}

// unpackNibbles sets the levels of the 64 weights from 64n to the low
// nibbles of qs[32n:32n+32], then the high ones.
func unpackNibbles(L *[256]uint8, qs []byte) {
	for n := 0; n < 4; n++ {
		for l, q := range qs[32*n : 32*n+32] {
			L[64*n+l], L[64*n+32+l] = q&15, q>>4
		}
	}
}

func dotQ4KGo(w []byte, x qrow) float32 {
	return dotScaleMin(w, x, 144, func(L *[256]uint8, blk []byte) { unpackNibbles(L, blk[16:]) })
}

// dotQ5KGo: weight i's fifth bit is bit i/32 of qh[i%32].
func dotQ5KGo(w []byte, x qrow) float32 {
	return dotScaleMin(w, x, 176, func(L *[256]uint8, blk []byte) {
		unpackNibbles(L, blk[48:])
		for i := range L {
			L[i] |= blk[16+i%32] >> (i / 32) & 1 << 4
		}
	})
}

// dotQ6KGo: per block d·Σ_j sc_j·Σ (q − 32)·y over sixteen sub-blocks of
// 16. Weight i = 128n + 32k + l (k < 4, l < 32) has its low 4 bits in
// ql[64n + l + 32·(k&1)] (high nibble when k ≥ 2) and its top 2 in bits
// 2k, 2k+1 of qh[32n + l].
func dotQ6KGo(w []byte, x qrow) float32 {
	var acc float32
	var L [256]int32
	for b, dy := range x.d {
		blk, y := w[210*b:210*b+210], x.qs[256*b:256*b+256]
		for n := 0; n < 2; n++ {
			ql, qh := blk[64*n:64*n+64], blk[128+32*n:128+32*n+32]
			for l, h := range qh {
				L[128*n+l] = int32(ql[l]&15|h&3<<4) - 32
				L[128*n+32+l] = int32(ql[l+32]&15|h>>2&3<<4) - 32
				L[128*n+64+l] = int32(ql[l]>>4|h>>4&3<<4) - 32
				L[128*n+96+l] = int32(ql[l+32]>>4|h>>6&3<<4) - 32
			}
		}
		var sumi int32
		for j := 0; j < 16; j++ {
			var s int32
			for i, q := range L[16*j : 16*j+16] {
				s += q * int32(y[16*j+i])
			}
			sumi += int32(int8(blk[192+j])) * s
		}
		acc += float32(float32(dy*half(blk[208:])) * float32(sumi))
	}
	return acc
}
