//go:build !purego

#include "textflag.h"

// Integer block dot products of quantized weight rows with quantized
// activation rows (quant_amd64.go). Each kernel takes one weight row of nb
// blocks and one activation row (x1) or four rows at byte strides (x4),
// and computes every row with the same arithmetic as its sibling of the
// other row count, so a row's result does not depend on which of the two
// computed it. The K-quant kernels also round as dotScaleMin and dotQ6KGo
// do (the integer sum of a block scaled once in float32), so they equal
// the portable results exactly.

// PFQ is how far ahead (bytes) the kernels prefetch the weight row into
// L2, as the float GEMV loops do (vec_amd64.s).
#define PFQ 1024

// BYTES sets r to the byte c in every lane (via GPR AX).
#define BYTES(c, r) \
	MOVL $c, AX \
	VMOVD AX, X9 \
	VPBROADCASTB X9, r

// HALF widens the half at mem into the low lane of x (via GPR AX).
#define HALF(mem, x) \
	MOVWLZX mem, AX \
	VMOVD AX, x \
	VCVTPH2PS x, x

// HSUMF leaves the sum of the 8 floats of y (x its low half) in x's low
// lane; t is scratch.
#define HSUMF(y, x, t) \
	VEXTRACTF128 $1, y, t \
	VADDPS t, x, x \
	VMOVHLPS x, x, t \
	VADDPS t, x, x \
	VMOVSHDUP x, t \
	VADDSS t, x, x

// HSUMI leaves the sum of the 8 int32 of y (x its low half) in all lanes
// of x; t is scratch.
#define HSUMI(y, x, t) \
	VEXTRACTI128 $1, y, t \
	VPADDD t, x, x \
	VPHADDD x, x, x \
	VPHADDD x, x, x

// ---- The 32-weight formats × Q8_0 / Q8_1 ----

// Registers: Y0 a block's d (all lanes), Y1 its 32 quants (signed for the
// _0 formats, unsigned for the _1), Y2 their magnitudes, Y6–Y8 and Y10 the
// rows' float32 lanes, X11 the rows' Σ m·s (the _1 formats), X13 the
// block's m, Y12 0x0f bytes, Y14 the centre (8 or 16 bytes), Y15 int16
// ones.

// The products of the unsigned Y2 and the signed Y3 summed in fours into
// Y4 as int32: with VPMADDUBSW then VPMADDWD by ones, or with VNNI's
// VPDPBUSD. The signed formats use the sign trick (|w| times y·sign(w));
// y is never −128, so negating it cannot overflow.
#define ISUM_AVX2 \
	VPMADDUBSW Y3, Y2, Y4 \
	VPMADDWD Y15, Y4, Y4

#define ISUM_VNNI \
	VPXOR Y4, Y4, Y4 \
	VPDPBUSD Y3, Y2, Y4

#define SIGNED VPSIGNB Y1, Y3, Y3
#define UNSIGNED

// L_ROW adds one activation row's block (quants at y, scale at d) to the
// float32 lanes of acc: (dw·dy)·Σ, dw in all of Y0's lanes.
#define L_ROW(ISUM, SIGN, y, d, acc) \
	VMOVDQU y, Y3 \
	SIGN \
	ISUM \
	VCVTDQ2PS Y4, Y3 \
	VBROADCASTSS d, Y4 \
	VMULPS Y0, Y4, Y4 \
	VFMADD231PS Y3, Y4, acc

// The block loaders: d into Y0 (BCAST_D), the quants into Y1 and Y2.
#define Q8_0_BLOCK \
	BCAST_D((SI)) \
	VMOVDQU 2(SI), Y1 \
	VPSIGNB Y1, Y1, Y2

#define BCAST_D(mem) \
	HALF(mem, X0) \
	VBROADCASTSS X0, Y0

// NIBBLES32 loads the 16 bytes at off(SI) as 32 quants into Y1: the low
// nibbles (weights 0–15), then the high (16–31).
#define NIBBLES32(off) \
	VMOVDQU off(SI), X1 \
	VPSRLW $4, X1, X9 \
	VINSERTI128 $1, X9, Y1, Y1 \
	VPAND Y12, Y1, Y1

// FIFTH32 adds bit j of the 32-bit word at off(SI) to quant j as 16.
#define FIFTH32(off) \
	VPBROADCASTD off(SI), Y5 \
	VPSHUFB qhSpread<>(SB), Y5, Y5 \
	VPAND qhBits<>(SB), Y5, Y5 \
	VPCMPEQB qhBits<>(SB), Y5, Y5 \
	VPAND qhSixteen<>(SB), Y5, Y5 \
	VPOR Y5, Y1, Y1

#define CENTRED \
	VPSUBB Y14, Y1, Y1 \
	VPSIGNB Y1, Y1, Y2

#define Q4_0_BLOCK \
	BCAST_D((SI)) \
	NIBBLES32(2) \
	CENTRED

#define Q5_0_BLOCK \
	BCAST_D((SI)) \
	NIBBLES32(6) \
	FIFTH32(2) \
	CENTRED

#define Q4_1_BLOCK \
	BCAST_D((SI)) \
	HALF(2(SI), X13) \
	NIBBLES32(4) \
	VMOVDQA Y1, Y2

#define Q5_1_BLOCK \
	BCAST_D((SI)) \
	HALF(2(SI), X13) \
	NIBBLES32(8) \
	FIFTH32(4) \
	VMOVDQA Y1, Y2

// MIN1 and MIN4 add m·s for one row or four (s at R8, R8 + r·R13) to X11;
// NOMIN for the _0 formats.
#define NOMIN
#define MIN1 \
	VMULSS (R8), X13, X9 \
	VADDSS X9, X11, X11
#define MIN4 \
	VMOVSS (R8), X9 \
	VINSERTPS $0x10, (R8)(R13*1), X9, X9 \
	VINSERTPS $0x20, (R8)(R13*2), X9, X9 \
	VINSERTPS $0x30, (R8)(R14*1), X9, X9 \
	VBROADCASTSS X13, X5 \
	VMULPS X5, X9, X9 \
	VADDPS X9, X11, X11

#define L_START(centre) \
	BYTES(0x0f, Y12) \
	BYTES(centre, Y14) \
	VPCMPEQW Y15, Y15, Y15 \
	VPSRLW $15, Y15, Y15 \
	VXORPS X11, X11, X11 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	VXORPS Y8, Y8, Y8 \
	VXORPS Y10, Y10, Y10

// L_X1 is the body of a one-row kernel: Σ of the float32 lanes, plus Σ m·s.
#define L_X1(ISUM, BLOCK, SIGN, MIN, centre, bytes) \
	KX1_ARGS \
	L_START(centre) \
loop: \
	PREFETCHT1 PFQ(SI) \
	BLOCK \
	L_ROW(ISUM, SIGN, (DI), (BX), Y6) \
	MIN \
	NEXT(bytes, 32, 4) \
	HSUMF(Y6, X6, X5) \
	VADDSS X11, X6, X6 \
	VMOVSS X6, ret+40(FP) \
	VZEROUPPER \
	RET

// L_X4 is L_X1 for four rows.
#define L_X4(ISUM, BLOCK, SIGN, MIN, centre, bytes) \
	KX4_ARGS \
	L_START(centre) \
loop: \
	PREFETCHT1 PFQ(SI) \
	BLOCK \
	L_ROW(ISUM, SIGN, (DI), (BX), Y6) \
	L_ROW(ISUM, SIGN, (DI)(R9*1), (BX)(R11*1), Y7) \
	L_ROW(ISUM, SIGN, (DI)(R9*2), (BX)(R11*2), Y8) \
	L_ROW(ISUM, SIGN, (DI)(R10*1), (BX)(R12*1), Y10) \
	MIN \
	NEXT(bytes, 32, 4) \
	HSUMF(Y6, X6, X5) \
	HSUMF(Y7, X7, X5) \
	HSUMF(Y8, X8, X5) \
	HSUMF(Y10, X10, X5) \
	VINSERTPS $0x10, X7, X6, X6 \
	VINSERTPS $0x20, X8, X6, X6 \
	VINSERTPS $0x30, X10, X6, X6 \
	VADDPS X11, X6, X6 \
	MOVQ out+64(FP), DX \
	VMOVUPS X6, (DX) \
	VZEROUPPER \
	RET

// Q8_0 on zmm registers (AVX-512 BW and VNNI), two blocks a step: Z1
// holds both blocks' quants, Z2 their magnitudes, K1 their signs, Z0 their
// d spread over each half's lanes (VPERMPS by Z30: lanes 0–7 take element
// 0, 8–15 element 1), Z31 zero. An odd last block runs the same step with
// its second half zero, which adds nothing.
#define Q8Z_W2 \
	VMOVDQU 2(SI), Y1 \
	VINSERTI64X4 $1, 36(SI), Z1, Z1 \
	HALF((SI), X0) \
	HALF(34(SI), X5) \
	VINSERTPS $0x10, X5, X0, X0 \
	Q8Z_SPLIT

#define Q8Z_W1 \
	VMOVDQU 2(SI), Y1 \
	HALF((SI), X0) \
	Q8Z_SPLIT

#define Q8Z_SPLIT \
	VPERMPS Z0, Z30, Z0 \
	VPABSB Z1, Z2 \
	VPMOVB2M Z1, K1

// Q8Z_ROW adds a row's step (quants at y by YLOAD, its scales at d by
// DLOAD: two blocks' or, for the last odd one, one's) to the float32 lanes of acc.
#define Q8Z_ROW(YLOAD, DLOAD, y, d, acc) \
	YLOAD(y) \
	VPSUBB Z3, Z31, K1, Z3 \
	VPXORD Z4, Z4, Z4 \
	VPDPBUSD Z3, Z2, Z4 \
	VCVTDQ2PS Z4, Z3 \
	DLOAD(d) \
	VPERMPS Z4, Z30, Z4 \
	VMULPS Z0, Z4, Z4 \
	VFMADD231PS Z3, Z4, acc

#define Y2LOAD(y) VMOVDQU64 y, Z3
#define D2LOAD(d) VMOVQ d, X4
#define Y1LOAD(y) VMOVDQU y, Y3
#define D1LOAD(d) VMOVSS d, X4

#define Q8Z_ROWS1(YL, DL) Q8Z_ROW(YL, DL, (DI), (BX), Z6)
#define Q8Z_ROWS4(YL, DL) \
	Q8Z_ROW(YL, DL, (DI), (BX), Z6) \
	Q8Z_ROW(YL, DL, (DI)(R9*1), (BX)(R11*1), Z7) \
	Q8Z_ROW(YL, DL, (DI)(R9*2), (BX)(R11*2), Z8) \
	Q8Z_ROW(YL, DL, (DI)(R10*1), (BX)(R12*1), Z10)

// Q8Z_SUM leaves the sum of acc's 16 lanes in x's low lane (y, x: its
// low halves; Y5 scratch).
#define Q8Z_SUM(acc, y, x) \
	VEXTRACTF64X4 $1, acc, Y5 \
	VADDPS Y5, y, y \
	HSUMF(y, x, X5)

// Eight rows: rows 4–7's quants at R15 + r·R9, scales at R8 + r·R11,
// float32 lanes in Z11–Z14.
#define Q8Z_ARGS8 \
	KX4_ARGS \
	LEAQ (DI)(R9*4), R15 \
	LEAQ (BX)(R11*4), R8 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14

#define Q8Z_ROWS8(YL, DL) \
	Q8Z_ROWS4(YL, DL) \
	Q8Z_ROW(YL, DL, (R15), (R8), Z11) \
	Q8Z_ROW(YL, DL, (R15)(R9*1), (R8)(R11*1), Z12) \
	Q8Z_ROW(YL, DL, (R15)(R9*2), (R8)(R11*2), Z13) \
	Q8Z_ROW(YL, DL, (R15)(R10*1), (R8)(R12*1), Z14)

#define Q8Z_ADV8 \
	ADDQ $64, R15 \
	ADDQ $8, R8

#define NOADV

// Q8Z_OUT4 stores the sums of four rows' lanes (a, b, c, e) at off(DX).
#define Q8Z_OUT4(a, ay, ax, b, by, bx, c, cy, cx, e, ey, ex, off) \
	Q8Z_SUM(a, ay, ax) \
	Q8Z_SUM(b, by, bx) \
	Q8Z_SUM(c, cy, cx) \
	Q8Z_SUM(e, ey, ex) \
	VINSERTPS $0x10, bx, ax, ax \
	VINSERTPS $0x20, cx, ax, ax \
	VINSERTPS $0x30, ex, ax, ax \
	VMOVUPS ax, off(DX)

#define Q8Z_FINISH8 \
	MOVQ out+64(FP), DX \
	Q8Z_OUT4(Z6, Y6, X6, Z7, Y7, X7, Z8, Y8, X8, Z10, Y10, X10, 0) \
	Q8Z_OUT4(Z11, Y11, X11, Z12, Y12, X12, Z13, Y13, X13, Z14, Y14, X14, 16)

#define Q8Z_FINISH1 \
	Q8Z_SUM(Z6, Y6, X6) \
	VMOVSS X6, ret+40(FP)

#define Q8Z_FINISH4 \
	MOVQ out+64(FP), DX \
	Q8Z_OUT4(Z6, Y6, X6, Z7, Y7, X7, Z8, Y8, X8, Z10, Y10, X10, 0)

#define Q8Z(ARGS, ROWS, ADV, FINISH) \
	VMOVDQU64 q8zIdx<>(SB), Z30 \
	ARGS \
	VPXORD Z31, Z31, Z31 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z10, Z10, Z10 \
	CMPQ CX, $2 \
	JLT tail \
pair: \
	PREFETCHT1 PFQ(SI) \
	PREFETCHT1 PFQ+64(SI) \
	Q8Z_W2 \
	ROWS(Y2LOAD, D2LOAD) \
	ADDQ $68, SI \
	ADDQ $64, DI \
	ADDQ $8, BX \
	ADV \
	SUBQ $2, CX \
	CMPQ CX, $2 \
	JGE pair \
tail: \
	TESTQ CX, CX \
	JZ done \
	Q8Z_W1 \
	ROWS(Y1LOAD, D1LOAD) \
done: \
	FINISH \
	VZEROUPPER \
	RET

DATA q8zIdx<>+0(SB)/8, $0
DATA q8zIdx<>+8(SB)/8, $0
DATA q8zIdx<>+16(SB)/8, $0
DATA q8zIdx<>+24(SB)/8, $0
DATA q8zIdx<>+32(SB)/8, $0x0000000100000001
DATA q8zIdx<>+40(SB)/8, $0x0000000100000001
DATA q8zIdx<>+48(SB)/8, $0x0000000100000001
DATA q8zIdx<>+56(SB)/8, $0x0000000100000001
GLOBL q8zIdx<>(SB), RODATA|NOPTR, $64

// qhSpread copies byte j/8 of the fifth-bit word to byte j, qhBits then
// picks bit j%8 of it.
DATA qhSpread<>+0(SB)/8, $0x0000000000000000
DATA qhSpread<>+8(SB)/8, $0x0101010101010101
DATA qhSpread<>+16(SB)/8, $0x0202020202020202
DATA qhSpread<>+24(SB)/8, $0x0303030303030303
GLOBL qhSpread<>(SB), RODATA|NOPTR, $32
DATA qhBits<>+0(SB)/8, $0x8040201008040201
DATA qhBits<>+8(SB)/8, $0x8040201008040201
DATA qhBits<>+16(SB)/8, $0x8040201008040201
DATA qhBits<>+24(SB)/8, $0x8040201008040201
GLOBL qhBits<>(SB), RODATA|NOPTR, $32
DATA qhSixteen<>+0(SB)/8, $0x1010101010101010
DATA qhSixteen<>+8(SB)/8, $0x1010101010101010
DATA qhSixteen<>+16(SB)/8, $0x1010101010101010
DATA qhSixteen<>+24(SB)/8, $0x1010101010101010
GLOBL qhSixteen<>(SB), RODATA|NOPTR, $32

// ---- Q4_K × Q8_K: super-blocks of 256, eight sub-blocks of 32 ----

// Q4K_SCALES unpacks the block at SI's 6-bit scales and mins (sub-blocks
// 0–3 in the low 6 bits of bytes 4–7 and 8–11; 4–7 in the nibbles of bytes
// 12–15 with their top 2 bits in the top bits of bytes 4–11): the scales
// as int16 at 0(SP), the mins as int16 in Y13, each twice (the pairs of
// sub-block sums VPMADDWD weighs with them), d and dmin in X12's low
// lanes. The bytes are assembled in GPRs (AX, DX) and moved whole, so no
// load waits on narrower stores.
#define Q4K_SCALES \
	MOVL 4(SI), AX \
	SHRL $6, AX \
	ANDL $0x03030303, AX \
	SHLL $4, AX \
	MOVL 12(SI), DX \
	ANDL $0x0f0f0f0f, DX \
	ORL DX, AX \
	SHLQ $32, AX \
	MOVL 4(SI), DX \
	ANDL $0x3f3f3f3f, DX \
	ORQ DX, AX \
	VMOVQ AX, X9 \
	VPMOVZXBW X9, X9 \
	VMOVDQU X9, 0(SP) \
	MOVL 8(SI), AX \
	SHRL $6, AX \
	ANDL $0x03030303, AX \
	SHLL $4, AX \
	MOVL 12(SI), DX \
	SHRL $4, DX \
	ANDL $0x0f0f0f0f, DX \
	ORL DX, AX \
	SHLQ $32, AX \
	MOVL 8(SI), DX \
	ANDL $0x3f3f3f3f, DX \
	ORQ DX, AX \
	VMOVQ AX, X13 \
	VPMOVZXBW X13, X13 \
	VPUNPCKHWD X13, X13, X9 \
	VPUNPCKLWD X13, X13, X13 \
	VINSERTI128 $1, X9, Y13, Y13 \
	MOVL (SI), AX \
	VMOVD AX, X12 \
	VCVTPH2PS X12, X12

// SM_NIBBLES splits the 32 quant bytes of sub-block pair n (at off(SI))
// into the low nibbles Y6 (sub-block 2n) and the high Y7 (2n+1), adds the
// fifth bits HI5 and LO5 set (Q5_K), and broadcasts the two scales (int16
// at soff(SP), soff+2(SP)) into Y8 and Y9. Y15 holds 0x0f bytes.
#define SM_NIBBLES(off, soff, LO5, HI5) \
	VMOVDQU off(SI), Y6 \
	VPSRLW $4, Y6, Y7 \
	VPAND Y15, Y6, Y6 \
	VPAND Y15, Y7, Y7 \
	LO5(Y6) \
	HI5(Y7) \
	VPBROADCASTW soff(SP), Y8 \
	VPBROADCASTW soff+2(SP), Y9

// SM_ROW adds sc·Σ q·y of a pair's two sub-blocks (activations at ylo,
// yhi) to the int32 lanes of acc.
#define SM_ROW(ylo, yhi, acc) \
	VPMADDUBSW ylo, Y6, Y10 \
	VPMADDWD Y8, Y10, Y10 \
	VPADDD Y10, acc, acc \
	VPMADDUBSW yhi, Y7, Y11 \
	VPMADDWD Y9, Y11, Y11 \
	VPADDD Y11, acc, acc

#define SM_ROWS1(lo, hi) SM_ROW(lo(DI), hi(DI), Y0)
#define SM_ROWS4(lo, hi) \
	SM_ROW(lo(DI), hi(DI), Y0) \
	SM_ROW(lo(DI)(R9*1), hi(DI)(R9*1), Y1) \
	SM_ROW(lo(DI)(R9*2), hi(DI)(R9*2), Y2) \
	SM_ROW(lo(DI)(R10*1), hi(DI)(R10*1), Y3)

// Q4_K: the nibbles alone.
#define NO5(q)
#define Q4K_BLOCK(ROWS) \
	SM_NIBBLES(16, 0, NO5, NO5) \
	ROWS(0, 32) \
	SM_NIBBLES(48, 4, NO5, NO5) \
	ROWS(64, 96) \
	SM_NIBBLES(80, 8, NO5, NO5) \
	ROWS(128, 160) \
	SM_NIBBLES(112, 12, NO5, NO5) \
	ROWS(192, 224)

// Q5_K: weight l of sub-block j takes bit j of qh byte l (qh, 32 bytes at
// 16(SI), in Y5) as its fifth bit; FIFTH(SHIFT) moves bit j to bit 4 and
// adds it to q (Y4 holds 0x10 bytes; scratch Y10).
#define FIFTH(SHIFT, q) \
	SHIFT \
	VPAND Y4, Y10, Y10 \
	VPOR Y10, q, q
#define SH0 VPSLLW $4, Y5, Y10
#define SH1 VPSLLW $3, Y5, Y10
#define SH2 VPSLLW $2, Y5, Y10
#define SH3 VPSLLW $1, Y5, Y10
#define SH4 VMOVDQA Y5, Y10
#define SH5 VPSRLW $1, Y5, Y10
#define SH6 VPSRLW $2, Y5, Y10
#define SH7 VPSRLW $3, Y5, Y10
#define B0(q) FIFTH(SH0, q)
#define B1(q) FIFTH(SH1, q)
#define B2(q) FIFTH(SH2, q)
#define B3(q) FIFTH(SH3, q)
#define B4(q) FIFTH(SH4, q)
#define B5(q) FIFTH(SH5, q)
#define B6(q) FIFTH(SH6, q)
#define B7(q) FIFTH(SH7, q)
#define Q5K_BLOCK(ROWS) \
	VMOVDQU 16(SI), Y5 \
	SM_NIBBLES(48, 0, B0, B1) \
	ROWS(0, 32) \
	SM_NIBBLES(80, 4, B2, B3) \
	ROWS(64, 96) \
	SM_NIBBLES(112, 8, B4, B5) \
	ROWS(128, 160) \
	SM_NIBBLES(144, 12, B6, B7) \
	ROWS(192, 224)

// Q4_K on zmm registers (AVX-512 BW), for four rows: 128 weights a step.
// The 64 quant bytes of sub-block pairs 2h and 2h+1 split into the low
// nibbles [sub-block 4h | 4h+2] and the high [4h+1 | 4h+3]; VSHUFI64X2
// regroups them as [4h | 4h+1] (Z16) and [4h+2 | 4h+3] (Z17), each
// matching 64 contiguous activations, with their scales' int16 in Z18 and
// Z19. The sums land in Z0–Z3, reduced to Y0–Y3 at the end. VNNI's
// VPDPWSSD does VPMADDWD's multiply and the add in one step (these kernels
// run only where the CPU has it: avx512Qdots).
#define SM_ROWZ(q, sc, y, acc) \
	VPMADDUBSW y, q, Z20 \
	VPDPWSSD sc, Z20, acc

#define SM_ROWS4Z(q, sc, y) \
	SM_ROWZ(q, sc, y(DI), Z0) \
	SM_ROWZ(q, sc, y(DI)(R9*1), Z1) \
	SM_ROWZ(q, sc, y(DI)(R9*2), Z2) \
	SM_ROWZ(q, sc, y(DI)(R10*1), Z3)

// ZSCALES sets z to int16 scale soff(SP) in its low 256 bits and
// soff+2(SP) in its high (t, a ymm, is scratch).
#define ZSCALES(soff, z, y, t) \
	VPBROADCASTW soff(SP), y \
	VPBROADCASTW soff+2(SP), t \
	VINSERTI64X4 $1, t, z, z

#define Q4K_HALFZ(off, soff, ROWS, y) \
	VMOVDQU64 off(SI), Z6 \
	VPSRLW $4, Z6, Z7 \
	VPANDQ Z15, Z6, Z6 \
	VPANDQ Z15, Z7, Z7 \
	VSHUFI64X2 $0x44, Z7, Z6, Z16 \
	VSHUFI64X2 $0xee, Z7, Z6, Z17 \
	ZSCALES(soff, Z18, Y18, Y21) \
	ZSCALES(soff+4, Z19, Y19, Y21) \
	ROWS(Z16, Z18, y) \
	ROWS(Z17, Z19, y+64)

#define ZREDUCE(r, y) \
	VEXTRACTI64X4 $1, r, Y20 \
	VPADDD Y20, y, y

#define Q4K_BLOCKZ(ROWS) \
	Q4K_HALFZ(16, 0, ROWS, 0) \
	Q4K_HALFZ(80, 8, ROWS, 128) \
	ZREDUCE(Z0, Y0) \
	ZREDUCE(Z1, Y1) \
	ZREDUCE(Z2, Y2) \
	ZREDUCE(Z3, Y3)

// SM_MINS sets m to a row's 8 int32 terms of M = Σ_j m_j·(bsums of
// sub-block j), from its 16 sums at bs and the mins in Y13.
#define SM_MINS(bs, m) VPMADDWD bs, Y13, m

// REDUCE4 sets x to the four sums of the int32 lanes of a, b, c and d (x
// the low half of a; a and c are clobbered, t is scratch).
#define REDUCE4(a, b, c, d, x, t) \
	VPHADDD b, a, a \
	VPHADDD d, c, c \
	VPHADDD c, a, a \
	VEXTRACTI128 $1, a, t \
	VPADDD t, x, x

// ZERO4 zeroes the rows' sums, Y0–Y3.
#define ZERO4 \
	VPXOR Y0, Y0, Y0 \
	VPXOR Y1, Y1, Y1 \
	VPXOR Y2, Y2, Y2 \
	VPXOR Y3, Y3, Y3

// K_START sets Y15 to 0x0f bytes and zeroes the rows' sums.
#define K_START \
	BYTES(0x0f, Y15) \
	ZERO4

// The kernels' frames (see quant_amd64.go): SI the weights, DI the
// activations, BX their scales, R8 their sums (s or bsums); for four rows, row r
// at DI + r·R9, BX + r·R11, R8 + r·R13 (R10, R12, R14 the threefold
// strides).
#define KX1_ARGS \
	MOVQ nb+0(FP), CX \
	MOVQ w+8(FP), SI \
	MOVQ y+16(FP), DI \
	MOVQ d+24(FP), BX \
	MOVQ aux+32(FP), R8

#define KX4_ARGS \
	MOVQ nb+0(FP), CX \
	MOVQ w+8(FP), SI \
	MOVQ y+16(FP), DI \
	MOVQ ys+24(FP), R9 \
	MOVQ d+32(FP), BX \
	MOVQ ds+40(FP), R11 \
	MOVQ aux+48(FP), R8 \
	MOVQ as+56(FP), R13 \
	LEAQ (R9)(R9*2), R10 \
	LEAQ (R11)(R11*2), R12 \
	LEAQ (R13)(R13*2), R14

// DY4 gathers the four rows' activation scales into x.
#define DY4(x) \
	VMOVSS (BX), x \
	VINSERTPS $0x10, (BX)(R11*1), x, x \
	VINSERTPS $0x20, (BX)(R11*2), x, x \
	VINSERTPS $0x30, (BX)(R12*1), x, x

// NEXT steps to the next block (of wb weight bytes, yb activation
// bytes and ab bytes of sums) and loops.
#define NEXT(wb, yb, ab) \
	ADDQ $wb, SI \
	ADDQ $yb, DI \
	ADDQ $4, BX \
	ADDQ $ab, R8 \
	DECQ CX \
	JNZ loop

#define K_PREFETCH \
	PREFETCHT1 PFQ(SI) \
	PREFETCHT1 PFQ+64(SI) \
	PREFETCHT1 PFQ+128(SI)

// SM_X1 is the body of a one-row Q4_K or Q5_K kernel: per block
// (dy·d)·S − (dy·dmin)·M in float32 steps as dotScaleMin.
#define SM_X1(BLOCK, bytes) \
	KX1_ARGS \
	K_START \
	BYTES(0x10, Y4) \
	VXORPS X14, X14, X14 \
loop: \
	K_PREFETCH \
	Q4K_SCALES \
	BLOCK(SM_ROWS1) \
	SM_MINS((R8), Y5) \
	VPHADDD Y5, Y0, Y0 \
	VEXTRACTI128 $1, Y0, X6 \
	VPADDD X6, X0, X0 \
	VPHADDD X0, X0, X0 \
	VCVTDQ2PS X0, X0 \
	VBROADCASTSS (BX), X7 \
	VMULPS X12, X7, X5 \
	VMULPS X0, X5, X5 \
	VMOVSHDUP X5, X6 \
	VSUBSS X6, X5, X5 \
	VADDSS X5, X14, X14 \
	VPXOR Y0, Y0, Y0 \
	NEXT(bytes, 256, 32) \
	VMOVSS X14, ret+40(FP) \
	VZEROUPPER \
	RET

// SM_START4 sets up a four- or eight-row Q4_K or Q5_K kernel: Y15 0x0f
// bytes, Y4 0x10 bytes, the sums and X14 zero. SM_SETUPZ widens the 0x0f
// bytes to Z15 for the zmm blocks.
#define SM_START4 \
	K_START \
	BYTES(0x10, Y4) \
	VXORPS X14, X14, X14

#define SM_SETUPZ VINSERTI64X4 $1, Y15, Z15, Z15
#define NOSETUP

// SM_TAIL adds four rows' (dy·d)·S − (dy·dmin)·M, one row a lane, to acc
// (the rows' scales at BX, their sums at R8) and zeroes their sums.
#define SM_TAIL(acc) \
	SM_MINS((R8), Y5) \
	SM_MINS((R8)(R13*1), Y6) \
	SM_MINS((R8)(R13*2), Y7) \
	SM_MINS((R8)(R14*1), Y8) \
	REDUCE4(Y0, Y1, Y2, Y3, X0, X9) \
	REDUCE4(Y5, Y6, Y7, Y8, X5, X9) \
	VCVTDQ2PS X0, X10 \
	VCVTDQ2PS X5, X11 \
	DY4(X7) \
	VBROADCASTSS X12, X5 \
	VMOVSHDUP X12, X6 \
	VBROADCASTSS X6, X6 \
	VMULPS X5, X7, X5 \
	VMULPS X10, X5, X5 \
	VMULPS X6, X7, X6 \
	VMULPS X11, X6, X6 \
	VSUBPS X6, X5, X5 \
	VADDPS X5, acc, acc \
	ZERO4

// SM_X4 is SM_X1 for four rows, one a lane of the float32 steps.
#define SM_X4(BLOCK, ROWS, SETUP, bytes) \
	KX4_ARGS \
	SM_START4 \
	SETUP \
loop: \
	K_PREFETCH \
	Q4K_SCALES \
	BLOCK(ROWS) \
	SM_TAIL(X14) \
	NEXT(bytes, 256, 32) \
	MOVQ out+64(FP), DX \
	VMOVUPS X14, (DX) \
	VZEROUPPER \
	RET

// ---- Q6_K × Q8_K: super-blocks of 256, sixteen sub-blocks of 16 ----

// Registers: Y0–Y3 the rows' int32 sums, X4 their float32 results, Y6 and
// Y7 a chunk's 64 low-nibble bytes, Y8 its 32 bytes of top bits, Y12 the
// scales as int16 (also at 0(SP)), X13 d, Y14 0x30 bytes, Y15 0x0f bytes.

// Q6K_SCALES loads the block at SI's scales and d.
#define Q6K_SCALES \
	VPMOVSXBW 192(SI), Y12 \
	VMOVDQU Y12, 0(SP) \
	HALF(208(SI), X13)

// Q6K_CORR adds −32·Σ_j sc_j·bsum_j, the quants' offset of 32, to acc,
// from the row's 16 sums at bs.
#define Q6K_CORR(bs, acc) \
	VPMADDWD bs, Y12, Y11 \
	VPSLLD $5, Y11, Y11 \
	VPSUBD Y11, acc, acc

// Q6K_QUANTS sets Y9 to 32 quants: the low nibbles of lo and the bits of
// the top-bit bytes Y8 that SHIFT brings to bits 4–5 in Y10.
#define Q6K_QUANTS(lo, SHIFT) \
	VPAND Y15, lo, Y9 \
	SHIFT \
	VPAND Y14, Y10, Y10 \
	VPOR Y10, Y9, Y9

#define QH_L4 VPSLLW $4, Y8, Y10
#define QH_L2 VPSLLW $2, Y8, Y10
#define QH_0 VMOVDQA Y8, Y10
#define QH_R2 VPSRLW $2, Y8, Y10

// Q6K_PAIR broadcasts the scales of the quants' two sub-blocks (int16 at
// soff(SP) and soff+2(SP)) into Y10's low and high 128-bit lanes.
#define Q6K_PAIR(soff) \
	VPBROADCASTW soff(SP), X10 \
	VPBROADCASTW soff+2(SP), X11 \
	VINSERTI128 $1, X11, Y10, Y10

// Q6K_ROW adds sc·Σ q·y of the 32 quants Y9 (activations at y) to acc.
#define Q6K_ROW(y, acc) \
	VPMADDUBSW y, Y9, Y11 \
	VPMADDWD Y10, Y11, Y11 \
	VPADDD Y11, acc, acc

// Q6K_CHUNK computes the 128 weights from 128n (ql at qlo(SI), qh at
// qho(SI), scales from soff(SP)) for the rows ROWS(y) adds, y the offset
// of each 32 in the activation row.
#define Q6K_CHUNK(qlo, qho, soff, ROWS, y) \
	VMOVDQU qlo(SI), Y6 \
	VMOVDQU qlo+32(SI), Y7 \
	VMOVDQU qho(SI), Y8 \
	Q6K_QUANTS(Y6, QH_L4) \
	Q6K_PAIR(soff) \
	ROWS(y) \
	Q6K_QUANTS(Y7, QH_L2) \
	Q6K_PAIR(soff+4) \
	ROWS(y+32) \
	VPSRLW $4, Y6, Y6 \
	Q6K_QUANTS(Y6, QH_0) \
	Q6K_PAIR(soff+8) \
	ROWS(y+64) \
	VPSRLW $4, Y7, Y7 \
	Q6K_QUANTS(Y7, QH_R2) \
	Q6K_PAIR(soff+12) \
	ROWS(y+96)

#define Q6K_ROWS1(y) Q6K_ROW(y(DI), Y0)
#define Q6K_ROWS4(y) \
	Q6K_ROW(y(DI), Y0) \
	Q6K_ROW(y(DI)(R9*1), Y1) \
	Q6K_ROW(y(DI)(R9*2), Y2) \
	Q6K_ROW(y(DI)(R10*1), Y3)

#define Q6K_BLOCK(ROWS) \
	Q6K_CHUNK(0, 128, 0, ROWS, 0) \
	Q6K_CHUNK(64, 160, 16, ROWS, 128)

// Q6_K on zmm registers (AVX-512 BW), for four rows: a chunk's 64 ql
// bytes hold the low nibbles of weights 0–63 (and, high, of 64–127), so
// one zmm of quants meets 64 contiguous activations. VPSLLVW / VPSRLVW
// shift the broadcast top bits per half (Z24: 4 | 2 left, Z25: 0 | 2
// right); VPERMW spreads four sub-blocks' scales over their words from
// Y12, indices in Z22 stepping by Z23 (fours).
#define Q6K_SETUPZ \
	VINSERTI64X4 $1, Y15, Z15, Z15 \
	VINSERTI64X4 $1, Y14, Z14, Z14 \
	MOVL $4, AX \
	VMOVD AX, X9 \
	VPBROADCASTW X9, Z23 \
	VPBROADCASTW X9, Y24 \
	MOVL $2, AX \
	VMOVD AX, X9 \
	VPBROADCASTW X9, Y21 \
	VINSERTI64X4 $1, Y21, Z24, Z24 \
	VPXORQ Z25, Z25, Z25 \
	VINSERTI64X4 $1, Y21, Z25, Z25 \
	VMOVDQU64 q6kIdx<>(SB), Z31

#define Q6K_HALFZ(qlo, qho, ROWS, y) \
	VMOVDQU64 qlo(SI), Z6 \
	VBROADCASTI64X4 qho(SI), Z8 \
	VPANDQ Z15, Z6, Z16 \
	VPSLLVW Z24, Z8, Z10 \
	VPANDQ Z14, Z10, Z10 \
	VPORQ Z10, Z16, Z16 \
	VPSRLW $4, Z6, Z17 \
	VPANDQ Z15, Z17, Z17 \
	VPSRLVW Z25, Z8, Z10 \
	VPANDQ Z14, Z10, Z10 \
	VPORQ Z10, Z17, Z17 \
	VPERMW Z12, Z22, Z18 \
	VPADDW Z23, Z22, Z22 \
	VPERMW Z12, Z22, Z19 \
	VPADDW Z23, Z22, Z22 \
	ROWS(Z16, Z18, y) \
	ROWS(Z17, Z19, y+64)

#define Q6K_BLOCKZ(ROWS) \
	VMOVDQA64 Z31, Z22 \
	Q6K_HALFZ(0, 128, ROWS, 0) \
	Q6K_HALFZ(64, 160, ROWS, 128) \
	ZREDUCE(Z0, Y0) \
	ZREDUCE(Z1, Y1) \
	ZREDUCE(Z2, Y2) \
	ZREDUCE(Z3, Y3)

// Q6K_BLOCKZ1 is Q6K_BLOCKZ for the one-row kernel (sums in Z0 only).
#define Q6K_ROWS1Z(q, sc, y) SM_ROWZ(q, sc, y(DI), Z0)
#define Q6K_BLOCKZ1 \
	VMOVDQA64 Z31, Z22 \
	Q6K_HALFZ(0, 128, Q6K_ROWS1Z, 0) \
	Q6K_HALFZ(64, 160, Q6K_ROWS1Z, 128) \
	ZREDUCE(Z0, Y0)

// Q6K_X1 is the body of a one-row Q6_K kernel: per block (dy·d)·S, as
// dotQ6KGo (the offset term joins the block's integer sums first).
#define Q6K_X1(SETUP, BLOCK) \
	KX1_ARGS \
	Q6K_START \
	SETUP \
loop: \
	K_PREFETCH \
	Q6K_SCALES \
	BLOCK \
	Q6K_CORR((R8), Y0) \
	HSUMI(Y0, X0, X5) \
	VCVTDQ2PS X0, X0 \
	VMULSS (BX), X13, X5 \
	VMULSS X0, X5, X5 \
	VADDSS X5, X4, X4 \
	VPXOR Y0, Y0, Y0 \
	NEXT(210, 256, 32) \
	VMOVSS X4, ret+40(FP) \
	VZEROUPPER \
	RET

// q6kIdx picks sub-block scale g of four for words 8g … 8g+7.
DATA q6kIdx<>+0(SB)/8, $0x0000000000000000
DATA q6kIdx<>+8(SB)/8, $0x0000000000000000
DATA q6kIdx<>+16(SB)/8, $0x0001000100010001
DATA q6kIdx<>+24(SB)/8, $0x0001000100010001
DATA q6kIdx<>+32(SB)/8, $0x0002000200020002
DATA q6kIdx<>+40(SB)/8, $0x0002000200020002
DATA q6kIdx<>+48(SB)/8, $0x0003000300030003
DATA q6kIdx<>+56(SB)/8, $0x0003000300030003
GLOBL q6kIdx<>(SB), RODATA|NOPTR, $64

// Q6K_TAIL adds four rows' (dy·d)·S, one row a lane, to acc (the rows'
// scales at BX, their sums at R8) and zeroes their sums. The offset term
// joins the integer sums here, after the block's products.
#define Q6K_TAIL(acc) \
	Q6K_CORR((R8), Y0) \
	Q6K_CORR((R8)(R13*1), Y1) \
	Q6K_CORR((R8)(R13*2), Y2) \
	Q6K_CORR((R8)(R14*1), Y3) \
	REDUCE4(Y0, Y1, Y2, Y3, X0, X5) \
	VCVTDQ2PS X0, X0 \
	DY4(X5) \
	VBROADCASTSS X13, X6 \
	VMULPS X6, X5, X5 \
	VMULPS X0, X5, X5 \
	VADDPS X5, acc, acc \
	ZERO4

// Q6K_X4 is the body of a four-row Q6_K kernel: per block (dy·d)·S, as
// dotQ6KGo, one row a lane.
#define Q6K_X4(BLOCK, ROWS, SETUP) \
	KX4_ARGS \
	Q6K_START \
	SETUP \
loop: \
	K_PREFETCH \
	Q6K_SCALES \
	BLOCK(ROWS) \
	Q6K_TAIL(X4) \
	NEXT(210, 256, 32) \
	MOVQ out+64(FP), DX \
	VMOVUPS X4, (DX) \
	VZEROUPPER \
	RET

// ---- Eight rows of x against one weight row (the prefill tiles) ----

// The zmm K-quant kernels for eight rows: rows 4–7 at R15 + r·R9, their
// sums in Z26–Z29 and their results in X30. Each weight block is unpacked
// once for all eight; each row's arithmetic is the four-row kernel's.
#define SM_ROWS8Z(q, sc, y) \
	SM_ROWS4Z(q, sc, y) \
	SM_ROWZ(q, sc, y(R15), Z26) \
	SM_ROWZ(q, sc, y(R15)(R9*1), Z27) \
	SM_ROWZ(q, sc, y(R15)(R9*2), Z28) \
	SM_ROWZ(q, sc, y(R15)(R10*1), Z29)

// HI4_TAIL reduces rows 4–7's sums into Y0–Y3, zeroes Z26–Z29 and runs
// TAIL on them with BX and R8 moved to row 4 (AX and DX keep them).
#define HI4_TAIL(TAIL) \
	VEXTRACTI64X4 $1, Z26, Y20 \
	VPADDD Y20, Y26, Y0 \
	VEXTRACTI64X4 $1, Z27, Y20 \
	VPADDD Y20, Y27, Y1 \
	VEXTRACTI64X4 $1, Z28, Y20 \
	VPADDD Y20, Y28, Y2 \
	VEXTRACTI64X4 $1, Z29, Y20 \
	VPADDD Y20, Y29, Y3 \
	VPXORD Z26, Z26, Z26 \
	VPXORD Z27, Z27, Z27 \
	VPXORD Z28, Z28, Z28 \
	VPXORD Z29, Z29, Z29 \
	MOVQ BX, AX \
	MOVQ R8, DX \
	LEAQ (BX)(R11*4), BX \
	LEAQ (R8)(R13*4), R8 \
	TAIL(X30) \
	MOVQ AX, BX \
	MOVQ DX, R8

// K_X8 is the body of an eight-row K-quant kernel: START and SETUP as the
// four-row one's, SCALES and BLOCK per block, TAIL the rows' float32 steps
// (rows 0–3 into acc).
#define K_X8(START, SETUP, SCALES, BLOCK, TAIL, acc, bytes) \
	KX4_ARGS \
	LEAQ (DI)(R9*4), R15 \
	START \
	SETUP \
	VPXORD Z26, Z26, Z26 \
	VPXORD Z27, Z27, Z27 \
	VPXORD Z28, Z28, Z28 \
	VPXORD Z29, Z29, Z29 \
	VXORPS X30, X30, X30 \
loop: \
	K_PREFETCH \
	SCALES \
	BLOCK(SM_ROWS8Z) \
	TAIL(acc) \
	HI4_TAIL(TAIL) \
	ADDQ $256, R15 \
	NEXT(bytes, 256, 32) \
	MOVQ out+64(FP), DX \
	VMOVUPS acc, (DX) \
	VMOVUPS X30, 16(DX) \
	VZEROUPPER \
	RET

#define Q6K_START \
	K_START \
	BYTES(0x30, Y14) \
	VXORPS X4, X4, X4

// ---- The kernels (after every macro: go vet reads a macro's lines as
// part of the function above them) ----

// func dotQ8_0AVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ8_0AVX2(SB), NOSPLIT, $0-44
	L_X1(ISUM_AVX2, Q8_0_BLOCK, SIGNED, NOMIN, 0, 34)

// func dotQ8_0x4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ8_0x4AVX2(SB), NOSPLIT, $0-72
	L_X4(ISUM_AVX2, Q8_0_BLOCK, SIGNED, NOMIN, 0, 34)

// func dotQ4_0AVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ4_0AVX2(SB), NOSPLIT, $0-44
	L_X1(ISUM_AVX2, Q4_0_BLOCK, SIGNED, NOMIN, 8, 18)

// func dotQ4_0x4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ4_0x4AVX2(SB), NOSPLIT, $0-72
	L_X4(ISUM_AVX2, Q4_0_BLOCK, SIGNED, NOMIN, 8, 18)

// func dotQ4_0VNNI(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ4_0VNNI(SB), NOSPLIT, $0-44
	L_X1(ISUM_VNNI, Q4_0_BLOCK, SIGNED, NOMIN, 8, 18)

// func dotQ4_0x4VNNI(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ4_0x4VNNI(SB), NOSPLIT, $0-72
	L_X4(ISUM_VNNI, Q4_0_BLOCK, SIGNED, NOMIN, 8, 18)

// func dotQ5_0AVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ5_0AVX2(SB), NOSPLIT, $0-44
	L_X1(ISUM_AVX2, Q5_0_BLOCK, SIGNED, NOMIN, 16, 22)

// func dotQ5_0x4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ5_0x4AVX2(SB), NOSPLIT, $0-72
	L_X4(ISUM_AVX2, Q5_0_BLOCK, SIGNED, NOMIN, 16, 22)

// func dotQ5_0VNNI(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ5_0VNNI(SB), NOSPLIT, $0-44
	L_X1(ISUM_VNNI, Q5_0_BLOCK, SIGNED, NOMIN, 16, 22)

// func dotQ5_0x4VNNI(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ5_0x4VNNI(SB), NOSPLIT, $0-72
	L_X4(ISUM_VNNI, Q5_0_BLOCK, SIGNED, NOMIN, 16, 22)

// func dotQ4_1AVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ4_1AVX2(SB), NOSPLIT, $0-44
	L_X1(ISUM_AVX2, Q4_1_BLOCK, UNSIGNED, MIN1, 0, 20)

// func dotQ4_1x4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ4_1x4AVX2(SB), NOSPLIT, $0-72
	L_X4(ISUM_AVX2, Q4_1_BLOCK, UNSIGNED, MIN4, 0, 20)

// func dotQ4_1VNNI(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ4_1VNNI(SB), NOSPLIT, $0-44
	L_X1(ISUM_VNNI, Q4_1_BLOCK, UNSIGNED, MIN1, 0, 20)

// func dotQ4_1x4VNNI(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ4_1x4VNNI(SB), NOSPLIT, $0-72
	L_X4(ISUM_VNNI, Q4_1_BLOCK, UNSIGNED, MIN4, 0, 20)

// func dotQ5_1AVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ5_1AVX2(SB), NOSPLIT, $0-44
	L_X1(ISUM_AVX2, Q5_1_BLOCK, UNSIGNED, MIN1, 0, 24)

// func dotQ5_1x4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ5_1x4AVX2(SB), NOSPLIT, $0-72
	L_X4(ISUM_AVX2, Q5_1_BLOCK, UNSIGNED, MIN4, 0, 24)

// func dotQ5_1VNNI(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ5_1VNNI(SB), NOSPLIT, $0-44
	L_X1(ISUM_VNNI, Q5_1_BLOCK, UNSIGNED, MIN1, 0, 24)

// func dotQ5_1x4VNNI(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ5_1x4VNNI(SB), NOSPLIT, $0-72
	L_X4(ISUM_VNNI, Q5_1_BLOCK, UNSIGNED, MIN4, 0, 24)

// func dotQ4KAVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ4KAVX2(SB), NOSPLIT, $16-44
	SM_X1(Q4K_BLOCK, 144)

// func dotQ4Kx4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ4Kx4AVX2(SB), NOSPLIT, $16-72
	SM_X4(Q4K_BLOCK, SM_ROWS4, NOSETUP, 144)

// func dotQ4Kx4AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ4Kx4AVX512(SB), NOSPLIT, $16-72
	SM_X4(Q4K_BLOCKZ, SM_ROWS4Z, SM_SETUPZ, 144)

// func dotQ5KAVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ5KAVX2(SB), NOSPLIT, $16-44
	SM_X1(Q5K_BLOCK, 176)

// func dotQ5Kx4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ5Kx4AVX2(SB), NOSPLIT, $16-72
	SM_X4(Q5K_BLOCK, SM_ROWS4, NOSETUP, 176)

// func dotQ6KAVX2(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ6KAVX2(SB), NOSPLIT, $32-44
	Q6K_X1(NOSETUP, Q6K_BLOCK(Q6K_ROWS1))

// func dotQ6KAVX512(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ6KAVX512(SB), NOSPLIT, $32-44
	Q6K_X1(Q6K_SETUPZ, Q6K_BLOCKZ1)

// func dotQ6Kx4AVX2(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ6Kx4AVX2(SB), NOSPLIT, $32-72
	Q6K_X4(Q6K_BLOCK, Q6K_ROWS4, NOSETUP)

// func dotQ6Kx4AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ6Kx4AVX512(SB), NOSPLIT, $32-72
	Q6K_X4(Q6K_BLOCKZ, SM_ROWS4Z, Q6K_SETUPZ)

// func dotQ8_0AVX512(nb int, w *byte, y *int8, d *float32, aux unsafe.Pointer) float32
TEXT ·dotQ8_0AVX512(SB), NOSPLIT, $0-44
	Q8Z(KX1_ARGS, Q8Z_ROWS1, NOADV, Q8Z_FINISH1)

// func dotQ8_0x4AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ8_0x4AVX512(SB), NOSPLIT, $0-72
	Q8Z(KX4_ARGS, Q8Z_ROWS4, NOADV, Q8Z_FINISH4)

// func dotQ4Kx8AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ4Kx8AVX512(SB), NOSPLIT, $16-72
	K_X8(SM_START4, SM_SETUPZ, Q4K_SCALES, Q4K_BLOCKZ, SM_TAIL, X14, 144)

// func dotQ6Kx8AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ6Kx8AVX512(SB), NOSPLIT, $32-72
	K_X8(Q6K_START, Q6K_SETUPZ, Q6K_SCALES, Q6K_BLOCKZ, Q6K_TAIL, X4, 210)

// func dotQ8_0x8AVX512(nb int, w *byte, y *int8, ys int, d *float32, ds int, aux unsafe.Pointer, as int, out *float32)
TEXT ·dotQ8_0x8AVX512(SB), NOSPLIT, $0-72
	Q8Z(Q8Z_ARGS8, Q8Z_ROWS8, Q8Z_ADV8, Q8Z_FINISH8)
