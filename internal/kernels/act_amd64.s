//go:build !purego

#include "textflag.h"

// The activation quantizers of quant_act.go in AVX2 (with F16C for the
// half rounding), bit for bit the portable loops for finite inputs.

DATA actPerm<>+0(SB)/4, $0
DATA actPerm<>+4(SB)/4, $4
DATA actPerm<>+8(SB)/4, $1
DATA actPerm<>+12(SB)/4, $5
DATA actPerm<>+16(SB)/4, $2
DATA actPerm<>+20(SB)/4, $6
DATA actPerm<>+24(SB)/4, $3
DATA actPerm<>+28(SB)/4, $7
GLOBL actPerm<>(SB), RODATA|NOPTR, $32

// BCAST sets all lanes of y to the float32 bits c (through AX and x).
#define BCAST(c, x, y) MOVL c, AX; MOVQ AX, x; VPBROADCASTD x, y

// HMAX leaves the largest lane of Y4 in X4[0] (X5 scratch).
#define HMAX \
	VEXTRACTF128 $1, Y4, X5; VMAXPS X5, X4, X4; \
	VPERMILPS $0x4e, X4, X5; VMAXPS X5, X4, X4; \
	VPERMILPS $0xb1, X4, X5; VMAXPS X5, X4, X4

// HSUM leaves the sum of y's int32 lanes in X(y)[0] as a float32 (s scratch).
#define HSUM(y, x, s) \
	VEXTRACTI128 $1, y, s; VPADDD s, x, x; \
	VPSHUFD $0x4e, x, s; VPADDD s, x, x; \
	VPSHUFD $0xb1, x, s; VPADDD s, x, x

// PACK32 stores the int32 lanes of Y0–Y3 (values 0–31 in order, all in
// [−128, 127]) as 32 signed bytes at (DI).
#define PACK32 \
	VPACKSSDW Y1, Y0, Y8; VPACKSSDW Y3, Y2, Y9; VPACKSSWB Y9, Y8, Y8; \
	VPERMD Y8, Y11, Y8; VMOVDQU Y8, (DI)

// ROUNDAWAY replaces the floats of y by round-half-away-from-zero(y·Y7) as
// int32: t = trunc(|v|), plus one where |v| − t ≥ 0.5, then v's sign.
#define ROUNDAWAY(y) \
	VMULPS Y7, y, y; \
	VANDPS Y15, y, Y8; \
	VROUNDPS $3, Y8, Y9; \
	VSUBPS Y9, Y8, Y10; \
	VCMPPS $0x1d, Y14, Y10, Y10; \
	VANDPS Y13, Y10, Y10; \
	VADDPS Y10, Y9, Y9; \
	VXORPS Y8, y, Y8; \
	VORPS Y8, Y9, Y9; \
	VCVTTPS2DQ Y9, y

// func quantQ8_1AVX2(x *float32, nb int, qs *int8, d, s *float32)
// Per block of 32 (quantizeQ8_1): amax, d = amax/127, q =
// round-away(x·(1/d)), d and d·Σq rounded to halves.
TEXT ·quantQ8_1AVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ nb+8(FP), CX
	MOVQ qs+16(FP), DI
	MOVQ d+24(FP), R8
	MOVQ s+32(FP), R9
	BCAST($0x7fffffff, X15, Y15) // |·| mask
	BCAST($0x3f000000, X14, Y14) // 0.5
	BCAST($0x3f800000, X13, Y13) // 1
	BCAST($0x42fe0000, X12, Y12) // 127
	VMOVDQU actPerm<>(SB), Y11
	TESTQ CX, CX
	JZ   done

block:
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VANDPS  Y15, Y0, Y4
	VANDPS  Y15, Y1, Y5
	VMAXPS  Y5, Y4, Y4
	VANDPS  Y15, Y2, Y5
	VANDPS  Y15, Y3, Y6
	VMAXPS  Y6, Y5, Y5
	VMAXPS  Y5, Y4, Y4
	HMAX
	VDIVSS  X12, X4, X6 // d = amax/127
	VXORPS  X7, X7, X7
	VUCOMISS X7, X6
	JEQ     scaled      // d = 0: id = 0
	VDIVSS  X6, X13, X7 // id = 1/d

scaled:
	VBROADCASTSS X7, Y7
	ROUNDAWAY(Y0)
	ROUNDAWAY(Y1)
	ROUNDAWAY(Y2)
	ROUNDAWAY(Y3)
	VPADDD  Y1, Y0, Y4
	VPADDD  Y3, Y2, Y5
	VPADDD  Y5, Y4, Y4
	HSUM(Y4, X4, X5)
	VCVTDQ2PS X4, X4
	VMULSS  X6, X4, X4 // d·Σq
	VCVTPS2PH $0, X4, X4
	VCVTPH2PS X4, X4
	VMOVSS  X4, (R9)
	VCVTPS2PH $0, X6, X6
	VCVTPH2PS X6, X6
	VMOVSS  X6, (R8)
	PACK32
	ADDQ    $128, SI
	ADDQ    $32, DI
	ADDQ    $4, R8
	ADDQ    $4, R9
	DECQ    CX
	JNZ     block

done:
	VZEROUPPER
	RET

// ROUNDEVEN replaces the floats of y by min(127, round-to-even(y·Y7)) as
// int32.
#define ROUNDEVEN(y) \
	VMULPS Y7, y, y; \
	VROUNDPS $0, y, y; \
	VMINPS Y12, y, y; \
	VCVTTPS2DQ y, y

// func quantQ8KAVX2(x *float32, nb int, qs *int8, d *float32, bsums *int16)
// Per block of 256 (quantizeQ8K): mx, the first value of largest
// magnitude; iscale = −127/mx; q = min(127, round-even(iscale·x)); d =
// 1/iscale; the sums of each 16 quants. An all-zero block is zeros.
TEXT ·quantQ8KAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ nb+8(FP), CX
	MOVQ qs+16(FP), DI
	MOVQ d+24(FP), R8
	MOVQ bsums+32(FP), R9
	BCAST($0x7fffffff, X15, Y15)
	BCAST($0xc2fe0000, X13, Y13) // −127
	BCAST($0x42fe0000, X12, Y12) // 127
	VMOVDQU actPerm<>(SB), Y11
	TESTQ CX, CX
	JZ   kdone

kblock:
	// amax over the block
	VXORPS Y4, Y4, Y4
	XORQ   DX, DX

kmax:
	VANDPS 0(SI)(DX*1), Y15, Y0
	VANDPS 32(SI)(DX*1), Y15, Y1
	VMAXPS Y1, Y0, Y0
	VANDPS 64(SI)(DX*1), Y15, Y1
	VANDPS 96(SI)(DX*1), Y15, Y2
	VMAXPS Y2, Y1, Y1
	VMAXPS Y1, Y0, Y0
	VMAXPS Y0, Y4, Y4
	ADDQ   $128, DX
	CMPQ   DX, $1024
	JLT    kmax
	HMAX
	VXORPS X7, X7, X7
	VUCOMISS X7, X4
	JEQ    kzero
	// the first index whose magnitude is amax
	VBROADCASTSS X4, Y4
	XORQ   DX, DX

kfind:
	VANDPS   0(SI)(DX*4), Y15, Y0
	VCMPPS   $0, Y4, Y0, Y0
	VMOVMSKPS Y0, AX
	TESTL    AX, AX
	JNZ      kfound
	ADDQ     $8, DX
	JMP      kfind

kfound:
	BSFL     AX, AX
	ADDQ     AX, DX
	VMOVSS   (SI)(DX*4), X6   // mx
	VDIVSS   X6, X13, X7      // iscale = −127/mx
	MOVL     $0x3f800000, AX
	MOVQ     AX, X8
	VDIVSS   X7, X8, X8       // d = 1/iscale
	VMOVSS   X8, (R8)
	VBROADCASTSS X7, Y7
	MOVQ     $8, DX

kquant:
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	ROUNDEVEN(Y0)
	ROUNDEVEN(Y1)
	ROUNDEVEN(Y2)
	ROUNDEVEN(Y3)
	VPADDD  Y1, Y0, Y4
	HSUM(Y4, X4, X5)
	VPEXTRW $0, X4, AX
	MOVW    AX, 0(R9)
	VPADDD  Y3, Y2, Y4
	HSUM(Y4, X4, X5)
	VPEXTRW $0, X4, AX
	MOVW    AX, 2(R9)
	PACK32
	ADDQ    $128, SI
	ADDQ    $32, DI
	ADDQ    $4, R9
	DECQ    DX
	JNZ     kquant
	JMP     knext

kzero:
	VXORPS  Y0, Y0, Y0
	MOVL    $0, (R8)
	MOVQ    $0, DX

kzloop:
	VMOVDQU Y0, (DI)(DX*1)
	ADDQ    $32, DX
	CMPQ    DX, $256
	JLT     kzloop
	VMOVDQU Y0, (R9)
	ADDQ    $1024, SI
	ADDQ    $256, DI
	ADDQ    $32, R9

knext:
	ADDQ    $4, R8
	DECQ    CX
	JNZ     kblock

kdone:
	VZEROUPPER
	RET
