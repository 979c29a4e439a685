//go:build !purego

#include "textflag.h"

// AVX2 step: one k index of the 4×24 tile (a holds 4 values, b 24). On
// Zen 3 this shape beats 6×16: fewer broadcasts per FMA.
#define STEP4x24(aoff, boff) \
	VMOVUPS boff(BX), Y12; \
	VMOVUPS boff+32(BX), Y13; \
	VMOVUPS boff+64(BX), Y14; \
	VBROADCASTSS aoff(AX), Y15; \
	VFMADD231PS Y12, Y15, Y0; \
	VFMADD231PS Y13, Y15, Y1; \
	VFMADD231PS Y14, Y15, Y2; \
	VBROADCASTSS aoff+4(AX), Y15; \
	VFMADD231PS Y12, Y15, Y3; \
	VFMADD231PS Y13, Y15, Y4; \
	VFMADD231PS Y14, Y15, Y5; \
	VBROADCASTSS aoff+8(AX), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VFMADD231PS Y14, Y15, Y8; \
	VBROADCASTSS aoff+12(AX), Y15; \
	VFMADD231PS Y12, Y15, Y9; \
	VFMADD231PS Y13, Y15, Y10; \
	VFMADD231PS Y14, Y15, Y11

// Prefetches the cache lines of one row of the C tile at reg (width bytes,
// from offset 0 through last = width−1, so a row straddling three lines is
// covered) and moves reg to the next row. Issued before the k loop, the
// tile's lines arrive while it computes instead of stalling its stores.
// Quiet Xeon, 2 threads, bf16 512×256×768, 512×768×256, 1024×256×50257
// (medians of 5 alternated rounds): AVX-512 kernel +15%, +10%, +6%; AVX2
// kernel +3%, −3%, +7% (pp512 of the model: +6% in one 4-round run, 0 in
// another).
#define PFROW(reg, last) \
	PREFETCHT0 (reg); \
	PREFETCHT0 64(reg); \
	PREFETCHT0 last(reg); \
	ADDQ DX, reg

// PFROWS4 is PFROW for four consecutive rows.
#define PFROWS4(reg, last) \
	PFROW(reg, last); \
	PFROW(reg, last); \
	PFROW(reg, last); \
	PFROW(reg, last)

// Stores (or, when R8 is set, adds into) one 24-float row of the tile at
// DI, then moves DI to the next row.
#define ROW24(r0, r1, r2) \
	TESTQ R8, R8; \
	JZ 4(PC); \
	VADDPS (DI), r0, r0; \
	VADDPS 32(DI), r1, r1; \
	VADDPS 64(DI), r2, r2; \
	VMOVUPS r0, (DI); \
	VMOVUPS r1, 32(DI); \
	VMOVUPS r2, 64(DI); \
	ADDQ DX, DI

// func gemm4x24AVX2(kc int, a, b, c *float32, ldc int, acc int)
TEXT ·gemm4x24AVX2(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX
	MOVQ acc+40(FP), R8
	MOVQ DI, R10
	PFROWS4(R10, 95)
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVQ CX, R9
	SHRQ $1, R9
	JZ tail

loop2:
	STEP4x24(0, 0)
	STEP4x24(16, 96)
	ADDQ $32, AX
	ADDQ $192, BX
	DECQ R9
	JNZ loop2

tail:
	TESTQ $1, CX
	JZ store
	STEP4x24(0, 0)

store:
	ROW24(Y0, Y1, Y2)
	ROW24(Y3, Y4, Y5)
	ROW24(Y6, Y7, Y8)
	ROW24(Y9, Y10, Y11)
	VZEROUPPER
	RET

// AVX-512 step: one k index of the 12×32 tile; a values are broadcast
// straight from memory.
#define STEP12x32(aoff, boff) \
	VMOVUPS boff(BX), Z28; \
	VMOVUPS boff+64(BX), Z29; \
	VFMADD231PS.BCST aoff(AX), Z28, Z0; \
	VFMADD231PS.BCST aoff(AX), Z29, Z1; \
	VFMADD231PS.BCST aoff+4(AX), Z28, Z2; \
	VFMADD231PS.BCST aoff+4(AX), Z29, Z3; \
	VFMADD231PS.BCST aoff+8(AX), Z28, Z4; \
	VFMADD231PS.BCST aoff+8(AX), Z29, Z5; \
	VFMADD231PS.BCST aoff+12(AX), Z28, Z6; \
	VFMADD231PS.BCST aoff+12(AX), Z29, Z7; \
	VFMADD231PS.BCST aoff+16(AX), Z28, Z8; \
	VFMADD231PS.BCST aoff+16(AX), Z29, Z9; \
	VFMADD231PS.BCST aoff+20(AX), Z28, Z10; \
	VFMADD231PS.BCST aoff+20(AX), Z29, Z11; \
	VFMADD231PS.BCST aoff+24(AX), Z28, Z12; \
	VFMADD231PS.BCST aoff+24(AX), Z29, Z13; \
	VFMADD231PS.BCST aoff+28(AX), Z28, Z14; \
	VFMADD231PS.BCST aoff+28(AX), Z29, Z15; \
	VFMADD231PS.BCST aoff+32(AX), Z28, Z16; \
	VFMADD231PS.BCST aoff+32(AX), Z29, Z17; \
	VFMADD231PS.BCST aoff+36(AX), Z28, Z18; \
	VFMADD231PS.BCST aoff+36(AX), Z29, Z19; \
	VFMADD231PS.BCST aoff+40(AX), Z28, Z20; \
	VFMADD231PS.BCST aoff+40(AX), Z29, Z21; \
	VFMADD231PS.BCST aoff+44(AX), Z28, Z22; \
	VFMADD231PS.BCST aoff+44(AX), Z29, Z23

// Stores (or adds into) one 32-float row of the 12×32 tile.
#define ROW32(r0, r1) \
	TESTQ R8, R8; \
	JZ 3(PC); \
	VADDPS (DI), r0, r0; \
	VADDPS 64(DI), r1, r1; \
	VMOVUPS r0, (DI); \
	VMOVUPS r1, 64(DI); \
	ADDQ DX, DI

// func gemm12x32AVX512(kc int, a, b, c *float32, ldc int, acc int)
TEXT ·gemm12x32AVX512(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX
	MOVQ acc+40(FP), R8
	MOVQ DI, R10
	PFROWS4(R10, 127)
	PFROWS4(R10, 127)
	PFROWS4(R10, 127)
	VPXORD Z0, Z0, Z0
	VMOVAPS Z0, Z1
	VMOVAPS Z0, Z2
	VMOVAPS Z0, Z3
	VMOVAPS Z0, Z4
	VMOVAPS Z0, Z5
	VMOVAPS Z0, Z6
	VMOVAPS Z0, Z7
	VMOVAPS Z0, Z8
	VMOVAPS Z0, Z9
	VMOVAPS Z0, Z10
	VMOVAPS Z0, Z11
	VMOVAPS Z0, Z12
	VMOVAPS Z0, Z13
	VMOVAPS Z0, Z14
	VMOVAPS Z0, Z15
	VMOVAPS Z0, Z16
	VMOVAPS Z0, Z17
	VMOVAPS Z0, Z18
	VMOVAPS Z0, Z19
	VMOVAPS Z0, Z20
	VMOVAPS Z0, Z21
	VMOVAPS Z0, Z22
	VMOVAPS Z0, Z23
	MOVQ CX, R9
	SHRQ $1, R9
	JZ tail512

loop512:
	STEP12x32(0, 0)
	STEP12x32(48, 128)
	ADDQ $96, AX
	ADDQ $256, BX
	DECQ R9
	JNZ loop512

tail512:
	TESTQ $1, CX
	JZ store512
	STEP12x32(0, 0)

store512:
	ROW32(Z0, Z1)
	ROW32(Z2, Z3)
	ROW32(Z4, Z5)
	ROW32(Z6, Z7)
	ROW32(Z8, Z9)
	ROW32(Z10, Z11)
	ROW32(Z12, Z13)
	ROW32(Z14, Z15)
	ROW32(Z16, Z17)
	ROW32(Z18, Z19)
	ROW32(Z20, Z21)
	ROW32(Z22, Z23)
	VZEROUPPER
	RET
