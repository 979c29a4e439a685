//go:build !purego

#include "textflag.h"

// AMX micro-kernels of the quantized prefill product (amx_amd64.go).
// Go's assembler has no AMX mnemonics: each is BYTE-encoded (the bytes GNU
// as 2.40 gives for the instruction in the comment beside it).
//
// One call multiplies a panel of 16 weight rows by m activation rows, in
// groups of 16. Per sub-block j (g weights sharing one scale) and group:
//   C[16 rows n][16 tokens t] = Σ_{i<g} wq[n][j·g+i] · xq[t][j·g+i]   (TDPBSSD, exact int32)
//   acc[n][t] += float(C[n][t]) · dx[j][t] · ws[j][n]                 (the scales)
//   acc[n][t] += sx[j][t] · mw[j][n]                                  (offset types only)
// where ws, mw are the weight table's two rows per sub-block and dx, sx the
// activation table's. acc lives in Z16–Z31 (one register per weight row,
// one lane per token); transposed, token t's row goes to out[t·ldo + n]
// for the columns n whose bit is set in mask, and tokens t < m.
//
// Arguments (ABI0): m ≥ 1 activation rows (groups of 16, the last padded
// with zeros in b and act), nsub ≥ 1; a: row 0 of the sub-block 0 quants,
// rows lda bytes apart, sub-blocks astep bytes apart; b: the activations in
// VNNI order, g/4 rows of 64 bytes per sub-block, groups one after another;
// act: [groups][nsub][2][16] float32 (dx, sx); wt: [nsub][2][16] float32
// (ws, mw); tmp: 2 KiB scratch; cfg: the
// 64-byte tile configuration (tmm0, tmm4: A, 16×g bytes; tmm1, tmm5: B,
// g/4×64; tmm2, tmm3: C, 16×64). Sub-blocks go in pairs (nsub even): the
// second pair's products run on the tiles while the first's are scaled.

#define LDTILECFG_AX BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x00 // ldtilecfg [rax]
#define TILELOADD_A BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x44; BYTE $0x0d; BYTE $0x00 // tileloadd tmm0, [r13+r9*1]
#define TILELOADD_B BYTE $0xc4; BYTE $0xa2; BYTE $0x7b; BYTE $0x4b; BYTE $0x0c; BYTE $0x12 // tileloadd tmm1, [rdx+r10*1]
#define TILEZERO_C BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd0 // tilezero tmm2
#define TDPBSSD_C BYTE $0xc4; BYTE $0xe2; BYTE $0x73; BYTE $0x5e; BYTE $0xd0 // tdpbssd tmm2, tmm0, tmm1
#define TILESTORED_C BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x14; BYTE $0x13 // tilestored [r11+r10*1], tmm2
#define TILELOADD_A2 BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x64; BYTE $0x0d; BYTE $0x00 // tileloadd tmm4, [r13+r9*1]
#define TILELOADD_B2 BYTE $0xc4; BYTE $0xa2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x12 // tileloadd tmm5, [rdx+r10*1]
#define TILEZERO_C2 BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd8 // tilezero tmm3
#define TDPBSSD_C2 BYTE $0xc4; BYTE $0xe2; BYTE $0x53; BYTE $0x5e; BYTE $0xdc // tdpbssd tmm3, tmm4, tmm5
#define TILESTORED_C2 BYTE $0xc4; BYTE $0xa2; BYTE $0x7a; BYTE $0x4b; BYTE $0x1c; BYTE $0x16 // tilestored [rsi+r10*1], tmm3
#define TILERELEASE BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0 // tilerelease

// ROW scales weight row n's integer sums (C row at coff(CBASE): R11 holds
// tile C's store, SI tile C2's) into acc:
// acc += float(C) · dx · ws[n]  (Z0 = dx, the weight scale at woff(R12)).
#define ROW(CBASE, acc, coff, woff) \
	VCVTDQ2PS coff(CBASE), Z2; \
	VMULPS    Z0, Z2, Z2; \
	VFMADD231PS.BCST woff(R12), Z2, acc

// ROWMIN is ROW plus the offset term acc += sx · mw[n] (Z1 = sx).
#define ROWMIN(CBASE, acc, coff, woff, moff) \
	ROW(CBASE, acc, coff, woff); \
	VFMADD231PS.BCST moff(R12), Z1, acc

#define ROWS(c) \
	ROW(c, Z16, 0, 0); ROW(c, Z17, 64, 4); ROW(c, Z18, 128, 8); ROW(c, Z19, 192, 12); \
	ROW(c, Z20, 256, 16); ROW(c, Z21, 320, 20); ROW(c, Z22, 384, 24); ROW(c, Z23, 448, 28); \
	ROW(c, Z24, 512, 32); ROW(c, Z25, 576, 36); ROW(c, Z26, 640, 40); ROW(c, Z27, 704, 44); \
	ROW(c, Z28, 768, 48); ROW(c, Z29, 832, 52); ROW(c, Z30, 896, 56); ROW(c, Z31, 960, 60)

#define ROWSMIN(c) \
	ROWMIN(c, Z16, 0, 0, 64); ROWMIN(c, Z17, 64, 4, 68); ROWMIN(c, Z18, 128, 8, 72); ROWMIN(c, Z19, 192, 12, 76); \
	ROWMIN(c, Z20, 256, 16, 80); ROWMIN(c, Z21, 320, 20, 84); ROWMIN(c, Z22, 384, 24, 88); ROWMIN(c, Z23, 448, 28, 92); \
	ROWMIN(c, Z24, 512, 32, 96); ROWMIN(c, Z25, 576, 36, 100); ROWMIN(c, Z26, 640, 40, 104); ROWMIN(c, Z27, 704, 44, 108); \
	ROWMIN(c, Z28, 768, 48, 112); ROWMIN(c, Z29, 832, 52, 116); ROWMIN(c, Z30, 896, 56, 120); ROWMIN(c, Z31, 960, 60, 124)

#define ZEROACC \
	VPXORD Z16, Z16, Z16; VPXORD Z17, Z17, Z17; VPXORD Z18, Z18, Z18; VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; VPXORD Z21, Z21, Z21; VPXORD Z22, Z22, Z22; VPXORD Z23, Z23, Z23; \
	VPXORD Z24, Z24, Z24; VPXORD Z25, Z25, Z25; VPXORD Z26, Z26, Z26; VPXORD Z27, Z27, Z27; \
	VPXORD Z28, Z28, Z28; VPXORD Z29, Z29, Z29; VPXORD Z30, Z30, Z30; VPXORD Z31, Z31, Z31

// TRANSPOSE turns Z16–Z31 (acc: one weight row n per register, one token t
// per lane) into Z16–Z31 holding one token per register, one weight row
// per lane: the 16×16 transpose as 4×4 transposes inside each 128-bit lane
// (unpack ps, then pd), then a 4×4 transpose of the lanes (two shuffles).
#define UNPACKPS(i, j, lo, hi) VUNPCKLPS j, i, lo; VUNPCKHPS j, i, hi
#define UNPACKPD(i, j, lo, hi) VUNPCKLPD j, i, lo; VUNPCKHPD j, i, hi
#define LANES(a, b, c, d, v0, v1, v2, v3) \
	VSHUFF32X4 $0x44, b, a, v0; VSHUFF32X4 $0xee, b, a, v1; \
	VSHUFF32X4 $0x44, d, c, v2; VSHUFF32X4 $0xee, d, c, v3
#define TRANSPOSE \
	UNPACKPS(Z16, Z17, Z0, Z1); UNPACKPS(Z18, Z19, Z2, Z3); UNPACKPS(Z20, Z21, Z4, Z5); UNPACKPS(Z22, Z23, Z6, Z7); \
	UNPACKPS(Z24, Z25, Z8, Z9); UNPACKPS(Z26, Z27, Z10, Z11); UNPACKPS(Z28, Z29, Z12, Z13); UNPACKPS(Z30, Z31, Z14, Z15); \
	UNPACKPD(Z0, Z2, Z16, Z17); UNPACKPD(Z1, Z3, Z18, Z19); \
	UNPACKPD(Z4, Z6, Z20, Z21); UNPACKPD(Z5, Z7, Z22, Z23); \
	UNPACKPD(Z8, Z10, Z24, Z25); UNPACKPD(Z9, Z11, Z26, Z27); \
	UNPACKPD(Z12, Z14, Z28, Z29); UNPACKPD(Z13, Z15, Z30, Z31); \
	LANES(Z16, Z20, Z24, Z28, Z0, Z1, Z2, Z3); LANES(Z17, Z21, Z25, Z29, Z4, Z5, Z6, Z7); \
	LANES(Z18, Z22, Z26, Z30, Z8, Z9, Z10, Z11); LANES(Z19, Z23, Z27, Z31, Z12, Z13, Z14, Z15); \
	VSHUFF32X4 $0x88, Z2, Z0, Z16; VSHUFF32X4 $0xdd, Z2, Z0, Z20; VSHUFF32X4 $0x88, Z3, Z1, Z24; VSHUFF32X4 $0xdd, Z3, Z1, Z28; \
	VSHUFF32X4 $0x88, Z6, Z4, Z17; VSHUFF32X4 $0xdd, Z6, Z4, Z21; VSHUFF32X4 $0x88, Z7, Z5, Z25; VSHUFF32X4 $0xdd, Z7, Z5, Z29; \
	VSHUFF32X4 $0x88, Z10, Z8, Z18; VSHUFF32X4 $0xdd, Z10, Z8, Z22; VSHUFF32X4 $0x88, Z11, Z9, Z26; VSHUFF32X4 $0xdd, Z11, Z9, Z30; \
	VSHUFF32X4 $0x88, Z14, Z12, Z19; VSHUFF32X4 $0xdd, Z14, Z12, Z23; VSHUFF32X4 $0x88, Z15, Z13, Z27; VSHUFF32X4 $0xdd, Z15, Z13, Z31

// STORE writes token row acc to (R13) under mask K1, steps R13 by ldo
// floats and ends the group after the last valid token (BX counts down).
#define STORE(acc) VMOVUPS acc, K1, (R13); ADDQ R15, R13; DECQ BX; JZ stored

#define STOREROWS \
	STORE(Z16); STORE(Z17); STORE(Z18); STORE(Z19); STORE(Z20); STORE(Z21); STORE(Z22); STORE(Z23); \
	STORE(Z24); STORE(Z25); STORE(Z26); STORE(Z27); STORE(Z28); STORE(Z29); STORE(Z30); STORE(Z31)

// KERNEL is the whole call; rows is ROWS or ROWSMIN, bstep the bytes of
// one sub-block of B (16·g).
#define KERNEL(rows, bstep) \
	MOVQ cfg+96(FP), AX; \
	LDTILECFG_AX; \
	MOVQ m+0(FP), CX; \
	MOVQ lda+24(FP), R9; \
	MOVQ astep+32(FP), R8; \
	MOVQ b+40(FP), DX; \
	MOVQ act+48(FP), DI; \
	MOVQ out+64(FP), AX; \
	MOVQ ldo+72(FP), R15; \
	SHLQ $2, R15; \
	KMOVW mask+80(FP), K1; \
	MOVQ tmp+88(FP), R11; \
	LEAQ 1024(R11), SI; \
	MOVQ $64, R10; \
group: \
	ZEROACC; \
	MOVQ a+16(FP), R13; \
	MOVQ wt+56(FP), R12; \
	MOVQ nsub+8(FP), BX; \
sub: \
	TILELOADD_A; \
	TILELOADD_B; \
	TILEZERO_C; \
	TDPBSSD_C; \
	ADDQ R8, R13; \
	ADDQ $bstep, DX; \
	TILELOADD_A2; \
	TILELOADD_B2; \
	TILEZERO_C2; \
	TDPBSSD_C2; \
	ADDQ R8, R13; \
	ADDQ $bstep, DX; \
	TILESTORED_C; \
	VMOVUPS (DI), Z0; \
	VMOVUPS 64(DI), Z1; \
	rows(R11); \
	ADDQ $128, DI; \
	ADDQ $128, R12; \
	TILESTORED_C2; \
	VMOVUPS (DI), Z0; \
	VMOVUPS 64(DI), Z1; \
	rows(SI); \
	ADDQ $128, DI; \
	ADDQ $128, R12; \
	SUBQ $2, BX; \
	JNZ sub; \
	TRANSPOSE; \
	MOVQ AX, R13; \
	MOVQ $16, BX; \
	CMPQ CX, BX; \
	CMOVQLT CX, BX; \
	STOREROWS; \
stored: \
	MOVQ R15, BX; \
	SHLQ $4, BX; \
	ADDQ BX, AX; \
	SUBQ $16, CX; \
	JGT group; \
	TILERELEASE; \
	VZEROUPPER; \
	RET

// func amxScaled32(m, nsub int, a *byte, lda, astep int, b *byte, act, wt, out *float32, ldo, mask int, tmp *int32, cfg *byte)
TEXT ·amxScaled32(SB), NOSPLIT, $0-104
	KERNEL(ROWS, 512)

// func amxOffset32(m, nsub int, a *byte, lda, astep int, b *byte, act, wt, out *float32, ldo, mask int, tmp *int32, cfg *byte)
TEXT ·amxOffset32(SB), NOSPLIT, $0-104
	KERNEL(ROWSMIN, 512)

// func amxOffset16(m, nsub int, a *byte, lda, astep int, b *byte, act, wt, out *float32, ldo, mask int, tmp *int32, cfg *byte)
TEXT ·amxOffset16(SB), NOSPLIT, $0-104
	KERNEL(ROWSMIN, 256)
