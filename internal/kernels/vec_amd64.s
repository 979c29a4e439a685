//go:build !purego

#include "textflag.h"

// WIDEN_F32_AT, WIDEN_F16_AT and WIDEN_BF16_AT load the 8 elements at
// byte offset off from base into r as float32.
#define WIDEN_F32_AT(off, base, r) VMOVUPS off(base), r
#define WIDEN_F16_AT(off, base, r) VCVTPH2PS off(base), r
#define WIDEN_BF16_AT(off, base, r) VPMOVZXWD off(base), r; VPSLLD $16, r, r

// PFD is how far ahead (bytes) the GEMV loops prefetch each of their four
// streams into L2, on top of the hardware prefetchers: they spend many
// instructions per cache line (widening, two rows of x), so out-of-order
// execution alone keeps few lines in flight. It speeds up decoding's
// 16-bit key pass and weight-bound decoding and slows the weighted sums, so
// they have none (docs/kernels.md, "GEMV" and "Weighted sums").
#define PFD 1024

// PF4 prefetches the line PFD bytes ahead of each stream pointer.
#define PF4(a, b, c, d) \
	PREFETCHT1 PFD(a) \
	PREFETCHT1 PFD(b) \
	PREFETCHT1 PFD(c) \
	PREFETCHT1 PFD(d)

// STORE4 stores the four floats of x at dst, dst+R14, dst+2·R14 and
// dst+3·R14 (one per stream), clobbering dst.
#define STORE4(x, dst) \
	VMOVSS x, (dst) \
	ADDQ R14, dst \
	VEXTRACTPS $1, x, (dst) \
	ADDQ R14, dst \
	VEXTRACTPS $2, x, (dst) \
	ADDQ R14, dst \
	VEXTRACTPS $3, x, (dst)

// HSUM4_STORE reduces the accumulators a, b, c and d (one row of x
// against four streams' rows) to a float each and stores them with
// STORE4. xa is a's low half; xt (the low half of b) is scratch; b, c, d
// and dst are clobbered.
#define HSUM4_STORE(a, b, c, d, xa, xt, dst) \
	VHADDPS b, a, a \
	VHADDPS d, c, c \
	VHADDPS c, a, a \
	VEXTRACTF128 $1, a, xt \
	VADDPS xt, xa, xa \
	STORE4(xa, dst)

// GEMV4_START loads the GEMV arguments at the given frame offsets: SI the
// first weight row, R10 the row stride and DX the stream stride in bytes,
// R14 the stream stride of out in bytes, DI out, R11 the rows per stream
// (returning at once when there are none).
#define GEMV4_START(esh, woff, ldoff, qsoff, outoff, qoff) \
	MOVQ w+woff(FP), SI \
	MOVQ ld+ldoff(FP), R10 \
	SHLQ $esh, R10 \
	MOVQ qs+qsoff(FP), DX \
	MOVQ DX, R14 \
	SHLQ $2, R14 \
	IMULQ R10, DX \
	MOVQ out+outoff(FP), DI \
	MOVQ q+qoff(FP), R11 \
	TESTQ R11, R11 \
	JZ end

// GEMV4_ROW starts a step of four rows: AX at x, the four stream pointers
// BX, R12, R13 and R8, and the accumulators Y0–Y7 zeroed.
#define GEMV4_ROW \
	MOVQ x+0(FP), AX \
	MOVQ SI, BX \
	LEAQ (BX)(DX*1), R12 \
	LEAQ (R12)(DX*1), R13 \
	LEAQ (R13)(DX*1), R8 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7

// GEMV4_WIDEN4 loads 8 elements of each stream into Y10–Y13.
#define GEMV4_WIDEN4(WIDEN) \
	WIDEN(0, BX, Y10) \
	WIDEN(0, R12, Y11) \
	WIDEN(0, R13, Y12) \
	WIDEN(0, R8, Y13)

// GEMV4_NEXT moves to the next step of four rows (label row) and returns
// after the last.
#define GEMV4_NEXT \
	ADDQ $4, DI \
	ADDQ R10, SI \
	DECQ R11 \
	JNZ row \
end: \
	VZEROUPPER \
	RET

// GEMV4_PAIR multiplies 16 elements of one stream (at base) by x's 16 in
// Y8 and Y9: the first 8 into accumulator a, the next 8 into b (ta and tb
// are scratch).
#define GEMV4_PAIR(WIDEN, step, base, ta, tb, a, b) \
	WIDEN(0, base, ta) \
	WIDEN(step, base, tb) \
	VFMADD231PS ta, Y8, a \
	VFMADD231PS tb, Y9, b

// GEMV4 is the body of the GEMV kernels: for r < q and s < 4,
// out[r + s·qs] = Σ_{p<k} x[p]·w[(r + s·qs)·ld + p], k a multiple of 8.
// The four rows of a step come from four places qs rows apart, so the
// loop reads four separate weight streams: one stream per core keeps too
// few cache lines in flight to reach the DRAM bandwidth (docs/benchmarks.md,
// "Decode reads four streams"). Each row sums even and odd groups of 8 in two accumulators
// that are reduced in one fixed order, so a row's value does not depend on
// which stream carried it; qs = 0 computes one row four times. w's
// elements are 1<<esh bytes and step is the byte size of 8 of them.
#define GEMV4(esh, step, WIDEN) \
	GEMV4_START(esh, 8, 16, 48, 32, 40) \
row: \
	GEMV4_ROW \
	MOVQ k+24(FP), CX \
	MOVQ CX, R9 \
	SHRQ $4, R9 \
	JZ tail \
loop: \
	PF4(BX, R12, R13, R8) \
	VMOVUPS (AX), Y8 \
	VMOVUPS 32(AX), Y9 \
	GEMV4_PAIR(WIDEN, step, BX, Y10, Y11, Y0, Y4) \
	GEMV4_PAIR(WIDEN, step, R12, Y12, Y13, Y1, Y5) \
	GEMV4_PAIR(WIDEN, step, R13, Y10, Y11, Y2, Y6) \
	GEMV4_PAIR(WIDEN, step, R8, Y12, Y13, Y3, Y7) \
	ADDQ $64, AX \
	ADDQ $(2*step), BX \
	ADDQ $(2*step), R12 \
	ADDQ $(2*step), R13 \
	ADDQ $(2*step), R8 \
	DECQ R9 \
	JNZ loop \
tail: \
	TESTQ $8, CX \
	JZ sum \
	VMOVUPS (AX), Y8 \
	GEMV4_WIDEN4(WIDEN) \
	VFMADD231PS Y10, Y8, Y0 \
	VFMADD231PS Y11, Y8, Y1 \
	VFMADD231PS Y12, Y8, Y2 \
	VFMADD231PS Y13, Y8, Y3 \
sum: \
	VADDPS Y4, Y0, Y0 \
	VADDPS Y5, Y1, Y1 \
	VADDPS Y6, Y2, Y2 \
	VADDPS Y7, Y3, Y3 \
	MOVQ DI, R9 \
	HSUM4_STORE(Y0, Y1, Y2, Y3, X0, X1, R9) \
	GEMV4_NEXT

// GEMV4X2 is GEMV4 for two rows of x at once (x and x + ldx elements,
// into out and out + ldo): every weight row is read once for both. One
// accumulator per row of x and stream, 8 elements a step.
// STREAMS_NEXT moves the four weight streams (BX, R12, R13, R8) on by
// step bytes and loops back to loop while CX counts down.
#define STREAMS_NEXT(step) \
	ADDQ $step, BX \
	ADDQ $step, R12 \
	ADDQ $step, R13 \
	ADDQ $step, R8 \
	DECQ CX \
	JNZ loop

#define GEMV4X2(esh, step, WIDEN) \
	MOVQ ldx+8(FP), R9 \
	SHLQ $2, R9 \
	GEMV4_START(esh, 16, 24, 64, 40, 56) \
row: \
	GEMV4_ROW \
	MOVQ k+32(FP), CX \
	SHRQ $3, CX \
loop: \
	PF4(BX, R12, R13, R8) \
	VMOVUPS (AX), Y8 \
	VMOVUPS (AX)(R9*1), Y9 \
	GEMV4_WIDEN4(WIDEN) \
	VFMADD231PS Y10, Y8, Y0 \
	VFMADD231PS Y10, Y9, Y4 \
	VFMADD231PS Y11, Y8, Y1 \
	VFMADD231PS Y11, Y9, Y5 \
	VFMADD231PS Y12, Y8, Y2 \
	VFMADD231PS Y12, Y9, Y6 \
	VFMADD231PS Y13, Y8, Y3 \
	VFMADD231PS Y13, Y9, Y7 \
	ADDQ $32, AX \
	STREAMS_NEXT(step) \
	MOVQ DI, CX \
	HSUM4_STORE(Y0, Y1, Y2, Y3, X0, X1, CX) \
	MOVQ ldo+48(FP), CX \
	LEAQ (DI)(CX*4), CX \
	HSUM4_STORE(Y4, Y5, Y6, Y7, X4, X5, CX) \
	GEMV4_NEXT

// The AVX-512 GEMV (avx512 and amx backends) takes up to eight rows of x,
// as pairs, against GEMV4's four weight streams in one pass, so every
// weight row is read and widened once for all of them. A zmm accumulator
// holds one pair against one stream: lanes 0–7 are row 2p's, lanes 8–15
// row 2p+1's, and lane j of each half sums x[i]·w[i] over i ≡ j (mod 8),
// i ascending, exactly as a lane of GEMV4X2's ymm accumulators does; both
// halves are then reduced at once in HSUM4_STORE's order (ZPAIR). So each
// row's outputs are bit-identical to the two-row AVX2 kernel's, whatever
// rows share the call. Registers: Z(4p+s) accumulates pair p against
// stream s (BX, R12, R13, R8 for s = 0…3); Z16+p holds pair p's 16 values
// of x for the step (8 of each row, laid out so by pairRows in Go); Z20+s
// holds stream s's 8 weights widened into both halves; Z24 the bf16
// shuffle.
//
// A lone row of x in that form would waste half of each FMA and leave one
// dependent chain per accumulator, each step waiting out the FMA latency:
// its kernel instead reads eight streams, stream s+4 (at s's pointer +
// 4·DX) into the high halves, against x broadcast into both, and stores
// those sums as a second row of out (the caller passes ldo = 4·qs). Each
// output is still the same lane sums in the same order. It prefetches
// only streams 0–3: prefetching all eight was slower (the loop is short
// of load slots), none no faster.

// zbf16Shuf is the VPSHUFB control that, applied to 8 bf16 values
// repeated in each 128-bit lane, puts values 0–3 (lanes 0 and 2) or 4–7
// (lanes 1 and 3) in the high half of each 32-bit element and zeroes the
// low half: the float32 values [w0 … w7 | w0 … w7].
DATA zbf16Shuf<>+0(SB)/8, $0x0302808001008080
DATA zbf16Shuf<>+8(SB)/8, $0x0706808005048080
DATA zbf16Shuf<>+16(SB)/8, $0x0b0a808009088080
DATA zbf16Shuf<>+24(SB)/8, $0x0f0e80800d0c8080
DATA zbf16Shuf<>+32(SB)/8, $0x0302808001008080
DATA zbf16Shuf<>+40(SB)/8, $0x0706808005048080
DATA zbf16Shuf<>+48(SB)/8, $0x0b0a808009088080
DATA zbf16Shuf<>+56(SB)/8, $0x0f0e80800d0c8080
GLOBL zbf16Shuf<>(SB), RODATA|NOPTR, $64

// ZSETUP_SHUF loads the bf16 widening's shuffle into Z24; ZSETUP_SHUF2
// also sets K1 to the dword lanes 8–15 (for ZWIDEN2_BF16).
#define ZSETUP_SHUF VMOVDQU64 zbf16Shuf<>(SB), Z24
#define ZSETUP_SHUF2 \
	ZSETUP_SHUF \
	MOVL $0xff00, R9 \
	KMOVW R9, K1

#define ZNONE

// ZWIDEN_F32, ZWIDEN_F16 and ZWIDEN_BF16 load the 8 elements at base as
// float32 into both 256-bit halves of z (y and x are its low 256 and 128
// bits): a broadcast load, then for f16 a conversion, for bf16 one
// shuffle (Z24).
#define ZWIDEN_F32(base, z, y, x) VBROADCASTF64X4 (base), z
#define ZWIDEN_F16(base, z, y, x) \
	VBROADCASTI32X4 (base), z \
	VCVTPH2PS y, z
#define ZWIDEN_BF16(base, z, y, x) \
	VBROADCASTI32X4 (base), z \
	VPSHUFB Z24, z, z

// ZWIDEN2_F32, ZWIDEN2_F16 and ZWIDEN2_BF16 load 8 elements at base into
// z's low half and the 8 at base + 4·DX (stream s+4) into its high half,
// as float32; bf16 broadcasts each stream's into its two 128-bit lanes
// (the second under the mask K1 of ZSETUP_SHUF2), then shuffles as
// ZWIDEN_BF16.
#define ZWIDEN2_F32(base, z, y, x) \
	VMOVUPS (base), y \
	VINSERTF64X4 $1, (base)(DX*4), z, z
#define ZWIDEN2_F16(base, z, y, x) \
	VMOVDQU32 (base), x \
	VINSERTI32X4 $1, (base)(DX*4), y, y \
	VCVTPH2PS y, z
#define ZWIDEN2_BF16(base, z, y, x) \
	VBROADCASTI32X4 (base), z \
	VBROADCASTI32X4 (base)(DX*4), K1, z \
	VPSHUFB Z24, z, z

// ZPF4 prefetches streams 0–3 PFD bytes ahead.
#define ZPF4 PF4(BX, R12, R13, R8)

// ZX2 … ZX8 load the step's x for 1 … 4 pairs (64 bytes each, from AX)
// into Z16–Z19; ZX1 broadcasts one row's 8 values (32 bytes) into both
// halves of Z16.
#define ZX1 VBROADCASTF64X4 (AX), Z16
#define ZX2 VMOVUPS (AX), Z16
#define ZX4 \
	ZX2 \
	VMOVUPS 64(AX), Z17
#define ZX6 \
	ZX4 \
	VMOVUPS 128(AX), Z18
#define ZX8 \
	ZX6 \
	VMOVUPS 192(AX), Z19

// ZFMA2 … ZFMA8(w, a0, a1, a2, a3) compute a_p += (Z16+p)·w for the
// first 1 … 4 pairs p: one stream's widened weights w against each pair.
#define ZFMA2(w, a0, a1, a2, a3) VFMADD231PS w, Z16, a0
#define ZFMA4(w, a0, a1, a2, a3) \
	ZFMA2(w, a0, a1, a2, a3) \
	VFMADD231PS w, Z17, a1
#define ZFMA6(w, a0, a1, a2, a3) \
	ZFMA4(w, a0, a1, a2, a3) \
	VFMADD231PS w, Z18, a2
#define ZFMA8(w, a0, a1, a2, a3) \
	ZFMA6(w, a0, a1, a2, a3) \
	VFMADD231PS w, Z19, a3

// ZHADD(b, a, t, dst) computes dst = VHADDPS b, a in each 128-bit lane
// of zmm registers (VHADDPS has no EVEX form): [a1+a0, a3+a2, b1+b0,
// b3+b2], each sum with the same operand order. t is scratch; dst may be a.
#define ZHADD(b, a, t, dst) \
	VSHUFPS $0x88, b, a, t \
	VSHUFPS $0xdd, b, a, dst \
	VADDPS t, dst, dst

// ZPAIR(r, a, b, c, d, xa, LAST) reduces the pair in accumulators a–d
// (streams 0–3) and stores it as rows r and r+1 of out (stride ldo): the
// steps of HSUM4_STORE on both halves at once, a's four 128-bit lanes
// ending as [row r, ·, row r+1, ·] (xa is a's low 128 bits; Z16 and Z17
// are scratch). LAST goes between the two rows' stores: ZNONE, or ZODD for
// the call's last pair.
#define ZPAIR(r, a, b, c, d, xa, LAST) \
	ZHADD(b, a, Z16, a) \
	ZHADD(d, c, Z16, c) \
	ZHADD(c, a, Z16, a) \
	VSHUFF32X4 $0xb1, a, a, Z16 \
	VADDPS Z16, a, a \
	VEXTRACTF32X4 $2, a, X17 \
	MOVQ ldo+40(FP), R9 \
	IMULQ $(r), R9 \
	LEAQ (DI)(R9*4), R9 \
	STORE4(xa, R9) \
	LAST \
	MOVQ ldo+40(FP), R9 \
	IMULQ $(r+1), R9 \
	LEAQ (DI)(R9*4), R9 \
	STORE4(X17, R9)

// ZODD skips the last row's store when it is padding (odd set: m odd).
#define ZODD \
	CMPQ odd+64(FP), $0 \
	JNE stored

// ZSUMS2 … ZSUMS8 store the outputs of a step for 2 … 8 rows of x.
#define ZSUMS2 ZPAIR(0, Z0, Z1, Z2, Z3, X0, ZODD)
#define ZSUMS4 \
	ZPAIR(0, Z0, Z1, Z2, Z3, X0, ZNONE) \
	ZPAIR(2, Z4, Z5, Z6, Z7, X4, ZODD)
#define ZSUMS6 \
	ZPAIR(0, Z0, Z1, Z2, Z3, X0, ZNONE) \
	ZPAIR(2, Z4, Z5, Z6, Z7, X4, ZNONE) \
	ZPAIR(4, Z8, Z9, Z10, Z11, X8, ZODD)
#define ZSUMS8 \
	ZPAIR(0, Z0, Z1, Z2, Z3, X0, ZNONE) \
	ZPAIR(2, Z4, Z5, Z6, Z7, X4, ZNONE) \
	ZPAIR(4, Z8, Z9, Z10, Z11, X8, ZNONE) \
	ZPAIR(6, Z12, Z13, Z14, Z15, X12, ZODD)

// ZGEMV is the body of the AVX-512 GEMV kernels: for r < q, s < 4 and the
// rows i of x, out[i·ldo + r + s·qs] = Σ_{p<k} x_i[p]·w[(r + s·qs)·ld + p]
// (k a multiple of 8), each accumulator updated per step of 8 as
// acc(pair, s) += x(pair) · WIDEN(8 weights of stream s). SETUP loads
// WIDEN's constants; XLOAD (x advancing xstep bytes a step), FMA and SUMS
// pick the number of rows; the streams advance step bytes (8 elements of
// 1<<esh bytes), and PF prefetches them once per 64 bytes (the steps
// where CX&pfmask = 0).
#define ZGEMV(esh, step, pfmask, SETUP, PF, WIDEN, XLOAD, xstep, FMA, SUMS) \
	GEMV4_START(esh, 8, 16, 56, 32, 48) \
	SETUP \
row: \
	GEMV4_ROW \
	VXORPS Y8, Y8, Y8 \
	VXORPS Y9, Y9, Y9 \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11 \
	VXORPS Y12, Y12, Y12 \
	VXORPS Y13, Y13, Y13 \
	VXORPS Y14, Y14, Y14 \
	VXORPS Y15, Y15, Y15 \
	MOVQ k+24(FP), CX \
	SHRQ $3, CX \
loop: \
	TESTQ $pfmask, CX \
	JNZ fetched \
	PF \
fetched: \
	XLOAD \
	WIDEN(BX, Z20, Y20, X20) \
	FMA(Z20, Z0, Z4, Z8, Z12) \
	WIDEN(R12, Z21, Y21, X21) \
	FMA(Z21, Z1, Z5, Z9, Z13) \
	WIDEN(R13, Z22, Y22, X22) \
	FMA(Z22, Z2, Z6, Z10, Z14) \
	WIDEN(R8, Z23, Y23, X23) \
	FMA(Z23, Z3, Z7, Z11, Z15) \
	ADDQ $xstep, AX \
	STREAMS_NEXT(step) \
	SUMS \
stored: \
	GEMV4_NEXT

// WSUM4_ROW adds p·(the 64 columns of v at base) into Y0–Y7, p a
// broadcast register.
#define WSUM4_ROW(WIDEN, step, base, p) \
	WIDEN(0, base, Y12) \
	WIDEN(step, base, Y13) \
	WIDEN(2*step, base, Y14) \
	WIDEN(3*step, base, Y15) \
	VFMADD231PS Y12, p, Y0 \
	VFMADD231PS Y13, p, Y1 \
	VFMADD231PS Y14, p, Y2 \
	VFMADD231PS Y15, p, Y3 \
	WIDEN(4*step, base, Y12) \
	WIDEN(5*step, base, Y13) \
	WIDEN(6*step, base, Y14) \
	WIDEN(7*step, base, Y15) \
	VFMADD231PS Y12, p, Y4 \
	VFMADD231PS Y13, p, Y5 \
	VFMADD231PS Y14, p, Y6 \
	VFMADD231PS Y15, p, Y7

// WSUM4_STRIP starts a strip of columns at R10: BX at that column of
// v's first row, SI at p, CX the rows per stream.
#define WSUM4_STRIP(esh) \
	MOVQ R10, BX \
	SHLQ $esh, BX \
	ADDQ DX, BX \
	MOVQ p+8(FP), SI \
	MOVQ q+24(FP), CX

// WSUM4_STEP broadcasts the step's four weights (one per stream) into
// Y8–Y11 and points BX, R8, R12 and AX at the four streams' rows.
#define WSUM4_STEP \
	LEAQ (SI)(R13*2), R12 \
	VBROADCASTSS (SI), Y8 \
	VBROADCASTSS (SI)(R13*1), Y9 \
	VBROADCASTSS (R12), Y10 \
	VBROADCASTSS (R12)(R13*1), Y11 \
	LEAQ (BX)(R14*1), R8 \
	LEAQ (R8)(R14*1), R12 \
	LEAQ (R12)(R14*1), AX

// WSUM4 is the body of the four-stream weighted sums:
// out[c] += Σ_{r<q} Σ_{s<4} p[r+s·q]·v[(r+s·q)·d + c] for c < d (a
// multiple of 8), q ≥ 1: each step takes one row from each quarter of v,
// so the loop reads four streams (see GEMV4). Columns go 64 at a time
// (eight accumulators), then 8 at a time. v's elements are 1<<esh bytes;
// step is the byte size of 8.
#define WSUM4(esh, step, WIDEN) \
	MOVQ out+0(FP), DI \
	MOVQ v+16(FP), DX \
	MOVQ d+32(FP), R9 \
	SHLQ $esh, R9 \
	MOVQ q+24(FP), R14 \
	MOVQ R14, R13 \
	SHLQ $2, R13 \
	IMULQ R9, R14 \
	XORQ R10, R10 \
cols64: \
	MOVQ d+32(FP), AX \
	SUBQ R10, AX \
	CMPQ AX, $64 \
	JLT cols8 \
	VMOVUPS (DI)(R10*4), Y0 \
	VMOVUPS 32(DI)(R10*4), Y1 \
	VMOVUPS 64(DI)(R10*4), Y2 \
	VMOVUPS 96(DI)(R10*4), Y3 \
	VMOVUPS 128(DI)(R10*4), Y4 \
	VMOVUPS 160(DI)(R10*4), Y5 \
	VMOVUPS 192(DI)(R10*4), Y6 \
	VMOVUPS 224(DI)(R10*4), Y7 \
	WSUM4_STRIP(esh) \
loop64: \
	WSUM4_STEP \
	WSUM4_ROW(WIDEN, step, BX, Y8) \
	WSUM4_ROW(WIDEN, step, R8, Y9) \
	WSUM4_ROW(WIDEN, step, R12, Y10) \
	WSUM4_ROW(WIDEN, step, AX, Y11) \
	ADDQ $4, SI \
	ADDQ R9, BX \
	DECQ CX \
	JNZ loop64 \
	VMOVUPS Y0, (DI)(R10*4) \
	VMOVUPS Y1, 32(DI)(R10*4) \
	VMOVUPS Y2, 64(DI)(R10*4) \
	VMOVUPS Y3, 96(DI)(R10*4) \
	VMOVUPS Y4, 128(DI)(R10*4) \
	VMOVUPS Y5, 160(DI)(R10*4) \
	VMOVUPS Y6, 192(DI)(R10*4) \
	VMOVUPS Y7, 224(DI)(R10*4) \
	ADDQ $64, R10 \
	JMP cols64 \
cols8: \
	CMPQ R10, d+32(FP) \
	JGE done \
	VMOVUPS (DI)(R10*4), Y0 \
	WSUM4_STRIP(esh) \
loop8: \
	WSUM4_STEP \
	WIDEN(0, BX, Y12) \
	VFMADD231PS Y12, Y8, Y0 \
	WIDEN(0, R8, Y13) \
	VFMADD231PS Y13, Y9, Y0 \
	WIDEN(0, R12, Y14) \
	VFMADD231PS Y14, Y10, Y0 \
	WIDEN(0, AX, Y15) \
	VFMADD231PS Y15, Y11, Y0 \
	ADDQ $4, SI \
	ADDQ R9, BX \
	DECQ CX \
	JNZ loop8 \
	VMOVUPS Y0, (DI)(R10*4) \
	ADDQ $8, R10 \
	JMP cols8 \
done: \
	VZEROUPPER \
	RET

// func gemvF32AVX2(x *float32, w *float32, ld, k int, out *float32, q, qs int)
TEXT ·gemvF32AVX2(SB), NOSPLIT, $0-56
	GEMV4(2, 32, WIDEN_F32_AT)

// func gemv2F32AVX2(x *float32, ldx int, w *float32, ld, k int, out *float32, ldo, q, qs int)
TEXT ·gemv2F32AVX2(SB), NOSPLIT, $0-72
	GEMV4X2(2, 32, WIDEN_F32_AT)

// func gemv2BF16AVX2(x *float32, ldx int, w *uint16, ld, k int, out *float32, ldo, q, qs int)
TEXT ·gemv2BF16AVX2(SB), NOSPLIT, $0-72
	GEMV4X2(1, 16, WIDEN_BF16_AT)

// func gemv2F16AVX2(x *float32, ldx int, w *uint16, ld, k int, out *float32, ldo, q, qs int)
TEXT ·gemv2F16AVX2(SB), NOSPLIT, $0-72
	GEMV4X2(1, 16, WIDEN_F16_AT)

// func gemvBF16AVX2(x *float32, w *uint16, ld, k int, out *float32, q, qs int)
TEXT ·gemvBF16AVX2(SB), NOSPLIT, $0-56
	GEMV4(1, 16, WIDEN_BF16_AT)

// func gemvF16AVX2(x *float32, w *uint16, ld, k int, out *float32, q, qs int)
TEXT ·gemvF16AVX2(SB), NOSPLIT, $0-56
	GEMV4(1, 16, WIDEN_F16_AT)

// func gemv1F32AVX512(x *float32, w *float32, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv1F32AVX512(SB), NOSPLIT, $0-72
	ZGEMV(2, 32, 1, ZNONE, ZPF4, ZWIDEN2_F32, ZX1, 32, ZFMA2, ZSUMS2)

// func gemv2F32AVX512(x *float32, w *float32, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv2F32AVX512(SB), NOSPLIT, $0-72
	ZGEMV(2, 32, 1, ZNONE, ZPF4, ZWIDEN_F32, ZX2, 64, ZFMA2, ZSUMS2)

// func gemv4F32AVX512(x *float32, w *float32, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv4F32AVX512(SB), NOSPLIT, $0-72
	ZGEMV(2, 32, 1, ZNONE, ZPF4, ZWIDEN_F32, ZX4, 128, ZFMA4, ZSUMS4)

// func gemv6F32AVX512(x *float32, w *float32, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv6F32AVX512(SB), NOSPLIT, $0-72
	ZGEMV(2, 32, 1, ZNONE, ZPF4, ZWIDEN_F32, ZX6, 192, ZFMA6, ZSUMS6)

// func gemv8F32AVX512(x *float32, w *float32, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv8F32AVX512(SB), NOSPLIT, $0-72
	ZGEMV(2, 32, 1, ZNONE, ZPF4, ZWIDEN_F32, ZX8, 256, ZFMA8, ZSUMS8)

// func gemv1BF16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv1BF16AVX512(SB), NOSPLIT, $0-72
	ZGEMV(1, 16, 3, ZSETUP_SHUF2, ZPF4, ZWIDEN2_BF16, ZX1, 32, ZFMA2, ZSUMS2)

// func gemv2BF16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv2BF16AVX512(SB), NOSPLIT, $0-72
	ZGEMV(1, 16, 3, ZSETUP_SHUF, ZPF4, ZWIDEN_BF16, ZX2, 64, ZFMA2, ZSUMS2)

// func gemv4BF16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv4BF16AVX512(SB), NOSPLIT, $0-72
	ZGEMV(1, 16, 3, ZSETUP_SHUF, ZPF4, ZWIDEN_BF16, ZX4, 128, ZFMA4, ZSUMS4)

// func gemv6BF16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv6BF16AVX512(SB), NOSPLIT, $0-72
	ZGEMV(1, 16, 3, ZSETUP_SHUF, ZPF4, ZWIDEN_BF16, ZX6, 192, ZFMA6, ZSUMS6)

// func gemv8BF16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv8BF16AVX512(SB), NOSPLIT, $0-72
	ZGEMV(1, 16, 3, ZSETUP_SHUF, ZPF4, ZWIDEN_BF16, ZX8, 256, ZFMA8, ZSUMS8)

// func gemv1F16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv1F16AVX512(SB), NOSPLIT, $0-72
	ZGEMV(1, 16, 3, ZNONE, ZPF4, ZWIDEN2_F16, ZX1, 32, ZFMA2, ZSUMS2)

// func gemv2F16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv2F16AVX512(SB), NOSPLIT, $0-72
	ZGEMV(1, 16, 3, ZNONE, ZPF4, ZWIDEN_F16, ZX2, 64, ZFMA2, ZSUMS2)

// func gemv4F16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv4F16AVX512(SB), NOSPLIT, $0-72
	ZGEMV(1, 16, 3, ZNONE, ZPF4, ZWIDEN_F16, ZX4, 128, ZFMA4, ZSUMS4)

// func gemv6F16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv6F16AVX512(SB), NOSPLIT, $0-72
	ZGEMV(1, 16, 3, ZNONE, ZPF4, ZWIDEN_F16, ZX6, 192, ZFMA6, ZSUMS6)

// func gemv8F16AVX512(x *float32, w *uint16, ld, k int, out *float32, ldo, q, qs, odd int)
TEXT ·gemv8F16AVX512(SB), NOSPLIT, $0-72
	ZGEMV(1, 16, 3, ZNONE, ZPF4, ZWIDEN_F16, ZX8, 256, ZFMA8, ZSUMS8)

// func cvtBF16AVX2(dst *float32, src *uint16, n int)
// n is a multiple of 8.
TEXT ·cvtBF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ cvtbdone
cvtbloop:
	VPMOVZXWD (SI), Y0
	VPSLLD $16, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ cvtbloop
cvtbdone:
	VZEROUPPER
	RET

// func cvtF16AVX2(dst *float32, src *uint16, n int)
// n is a multiple of 8.
TEXT ·cvtF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ cvthdone
cvthloop:
	VCVTPH2PS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ cvthloop
cvthdone:
	VZEROUPPER
	RET

// func axpyAVX2(y *float32, a float32, x *float32, n int)
// n is a multiple of 8.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	VBROADCASTSS a+8(FP), Y15
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ axpydone
axpyloop:
	VMOVUPS (DI), Y0
	VFMADD231PS (SI), Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ axpyloop
axpydone:
	VZEROUPPER
	RET

// func weightedSum4AVX2(out *float32, p *float32, v *float32, q, d int)
TEXT ·weightedSum4AVX2(SB), NOSPLIT, $0-40
	WSUM4(2, 32, WIDEN_F32_AT)

// func weightedSum4F16AVX2(out *float32, p *float32, v *uint16, q, d int)
TEXT ·weightedSum4F16AVX2(SB), NOSPLIT, $0-40
	WSUM4(1, 16, WIDEN_F16_AT)

// func weightedSum4BF16AVX2(out *float32, p *float32, v *uint16, q, d int)
TEXT ·weightedSum4BF16AVX2(SB), NOSPLIT, $0-40
	WSUM4(1, 16, WIDEN_BF16_AT)

