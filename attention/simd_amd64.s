#include "textflag.h"

// func gemm4x16(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)
// c[4×16] += a[4×k] · b[k×16]; k > 0. Accumulators: row i in Y(2i), Y(2i+1).
TEXT ·gemm4x16(SB), NOSPLIT, $0-56
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ lda+24(FP), R9
	MOVQ b+32(FP), DX
	MOVQ ldb+40(FP), R10
	MOVQ k+48(FP), CX
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10

	LEAQ (DI)(R8*1), AX
	LEAQ (AX)(R8*1), BX
	LEAQ (BX)(R8*1), R8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS (AX), Y2
	VMOVUPS 32(AX), Y3
	VMOVUPS (BX), Y4
	VMOVUPS 32(BX), Y5
	VMOVUPS (R8), Y6
	VMOVUPS 32(R8), Y7

	LEAQ (SI)(R9*1), R11
	LEAQ (R11)(R9*1), R12
	LEAQ (R12)(R9*1), R13
	SHLQ $2, CX // k in bytes: R9 (lda is no longer needed) runs over a row of a
	XORQ R9, R9

loop:
	VMOVUPS (DX), Y8
	VMOVUPS 32(DX), Y9
	VBROADCASTSS (SI)(R9*1), Y10
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VBROADCASTSS (R11)(R9*1), Y11
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VBROADCASTSS (R12)(R9*1), Y12
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VBROADCASTSS (R13)(R9*1), Y13
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ $4, R9
	ADDQ R10, DX
	CMPQ R9, CX
	JNE  loop

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (AX)
	VMOVUPS Y3, 32(AX)
	VMOVUPS Y4, (BX)
	VMOVUPS Y5, 32(BX)
	VMOVUPS Y6, (R8)
	VMOVUPS Y7, 32(R8)
	VZEROUPPER
	RET

// func expSub8(x *float32, n int, m float32) float32
// x[i] = exp(x[i] − m), returns the sum; n is a positive multiple of 8.
// e^y = 2^r · e^f with r = round(y·log2 e), f = y − r·ln 2 (two-part ln 2),
// e^f by its degree-6 Taylor polynomial; y < −87 gives 0.
TEXT ·expSub8(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Y15
	MOVL $0xc2ae0000, AX // -87
	VMOVD AX, X14
	VBROADCASTSS X14, Y14
	MOVL $0x3fb8aa3b, AX // log2(e)
	VMOVD AX, X13
	VBROADCASTSS X13, Y13
	MOVL $0x3f318000, AX // ln 2, high part
	VMOVD AX, X12
	VBROADCASTSS X12, Y12
	MOVL $0xb95e8083, AX // ln 2, low part
	VMOVD AX, X11
	VBROADCASTSS X11, Y11
	MOVL $0x3ab60b61, AX // 1/720
	VMOVD AX, X10
	VBROADCASTSS X10, Y10
	MOVL $0x3c088889, AX // 1/120
	VMOVD AX, X9
	VBROADCASTSS X9, Y9
	MOVL $0x3d2aaaab, AX // 1/24
	VMOVD AX, X8
	VBROADCASTSS X8, Y8
	MOVL $0x3e2aaaab, AX // 1/6
	VMOVD AX, X7
	VBROADCASTSS X7, Y7
	MOVL $0x3f000000, AX // 1/2
	VMOVD AX, X6
	VBROADCASTSS X6, Y6
	MOVL $0x3f800000, AX // 1; also the exponent bias 127<<23
	VMOVD AX, X5
	VBROADCASTSS X5, Y5
	VXORPS Y4, Y4, Y4

eloop:
	VMOVUPS (DI), Y0
	VSUBPS Y15, Y0, Y0
	VCMPPS $13, Y14, Y0, Y3 // y >= -87
	VMAXPS Y14, Y0, Y0
	VMULPS Y13, Y0, Y1
	VROUNDPS $0, Y1, Y1
	VFNMADD231PS Y12, Y1, Y0
	VFNMADD231PS Y11, Y1, Y0
	VMOVAPS Y10, Y2
	VFMADD213PS Y9, Y0, Y2
	VFMADD213PS Y8, Y0, Y2
	VFMADD213PS Y7, Y0, Y2
	VFMADD213PS Y6, Y0, Y2
	VFMADD213PS Y5, Y0, Y2
	VFMADD213PS Y5, Y0, Y2
	VCVTPS2DQ Y1, Y1
	VPSLLD $23, Y1, Y1
	VPADDD Y5, Y1, Y1
	VMULPS Y1, Y2, Y2
	VANDPS Y3, Y2, Y2
	VMOVUPS Y2, (DI)
	VADDPS Y2, Y4, Y4
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  eloop

	VEXTRACTF128 $1, Y4, X0
	VADDPS X0, X4, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func dot8(out *float32, q *float32, k *float32, d int)
// out[j] = q · k[j·d : j·d+d] for the 8 rows j < 8 of k; d is a positive
// multiple of 8. One accumulator per key row; the eight are reduced at the
// end by two rounds of horizontal adds and one cross-lane add.
TEXT ·dot8(SB), NOSPLIT, $0-32
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ d+24(FP), CX
	SHLQ $2, CX // row length in bytes
	LEAQ (DX)(CX*1), BX
	LEAQ (BX)(CX*1), R8
	LEAQ (R8)(CX*1), R9
	LEAQ (R9)(CX*1), R10
	LEAQ (R10)(CX*1), R11
	LEAQ (R11)(CX*1), R12
	LEAQ (R12)(CX*1), R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ AX, AX

dloop:
	VMOVUPS (SI)(AX*1), Y8
	VFMADD231PS (DX)(AX*1), Y8, Y0
	VFMADD231PS (BX)(AX*1), Y8, Y1
	VFMADD231PS (R8)(AX*1), Y8, Y2
	VFMADD231PS (R9)(AX*1), Y8, Y3
	VFMADD231PS (R10)(AX*1), Y8, Y4
	VFMADD231PS (R11)(AX*1), Y8, Y5
	VFMADD231PS (R12)(AX*1), Y8, Y6
	VFMADD231PS (R13)(AX*1), Y8, Y7
	ADDQ $32, AX
	CMPQ AX, CX
	JNE  dloop

	// Pairwise sums within each 128-bit lane: after two rounds, lane 0 of
	// Y0 holds rows 0–3's sums over elements 0–3 of every 8, lane 1 over
	// elements 4–7; Y4 likewise for rows 4–7.
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y5, Y4, Y4
	VHADDPS Y7, Y6, Y6
	VHADDPS Y2, Y0, Y0
	VHADDPS Y6, Y4, Y4
	VPERM2F128 $0x20, Y4, Y0, Y1
	VPERM2F128 $0x31, Y4, Y0, Y2
	VADDPS Y2, Y1, Y1
	MOVQ out+0(FP), DI
	VMOVUPS Y1, (DI)
	VZEROUPPER
	RET
