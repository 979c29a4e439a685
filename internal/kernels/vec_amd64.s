//go:build !purego

#include "textflag.h"

// Sums the four accumulators Y0..Y3 into X0's low lane.
#define HSUM4 \
	VADDPS Y1, Y0, Y0; \
	VADDPS Y3, Y2, Y2; \
	VADDPS Y2, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VMOVHLPS X0, X0, X1; \
	VADDPS X1, X0, X0; \
	VPSHUFD $1, X0, X1; \
	VADDSS X1, X0, X0

#define LOADF32x32 \
	VMOVUPS (BX), Y4; \
	VMOVUPS 32(BX), Y5; \
	VMOVUPS 64(BX), Y6; \
	VMOVUPS 96(BX), Y7
#define LOADF32x8 VMOVUPS (BX), Y4

#define LOADBF16x32 \
	VPMOVZXWD (BX), Y4; \
	VPMOVZXWD 16(BX), Y5; \
	VPMOVZXWD 32(BX), Y6; \
	VPMOVZXWD 48(BX), Y7; \
	VPSLLD $16, Y4, Y4; \
	VPSLLD $16, Y5, Y5; \
	VPSLLD $16, Y6, Y6; \
	VPSLLD $16, Y7, Y7
#define LOADBF16x8 \
	VPMOVZXWD (BX), Y4; \
	VPSLLD $16, Y4, Y4

#define LOADF16x32 \
	VCVTPH2PS (BX), Y4; \
	VCVTPH2PS 16(BX), Y5; \
	VCVTPH2PS 32(BX), Y6; \
	VCVTPH2PS 48(BX), Y7
#define LOADF16x8 VCVTPH2PS (BX), Y4

// func gemvF32AVX2(x *float32, w *float32, ld, k int, out *float32, rows int)
// out[j] = Σ_{p<k} x[p]·w[j·ld+p] for j < rows; k is a multiple of 8.
TEXT ·gemvF32AVX2(SB), NOSPLIT, $0-48
	MOVQ w+8(FP), SI
	MOVQ ld+16(FP), R10
	SHLQ $2, R10
	MOVQ out+32(FP), DI
	MOVQ rows+40(FP), R11
	TESTQ R11, R11
	JZ end

row:
	MOVQ x+0(FP), AX
	MOVQ SI, BX
	MOVQ k+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ CX, R9
	SHRQ $5, R9
	JZ tail8

loop32:
	LOADF32x32
	VFMADD231PS (AX), Y4, Y0
	VFMADD231PS 32(AX), Y5, Y1
	VFMADD231PS 64(AX), Y6, Y2
	VFMADD231PS 96(AX), Y7, Y3
	ADDQ $128, AX
	ADDQ $128, BX
	DECQ R9
	JNZ loop32

tail8:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ sum

loop8:
	LOADF32x8
	VFMADD231PS (AX), Y4, Y0
	ADDQ $32, AX
	ADDQ $32, BX
	DECQ CX
	JNZ loop8

sum:
	HSUM4
	MOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R10, SI
	DECQ R11
	JNZ row

end:
	VZEROUPPER
	RET

// func gemvBF16AVX2(x *float32, w *uint16, ld, k int, out *float32, rows int)
// out[j] = Σ_{p<k} x[p]·w[j·ld+p] for j < rows; k is a multiple of 8.
TEXT ·gemvBF16AVX2(SB), NOSPLIT, $0-48
	MOVQ w+8(FP), SI
	MOVQ ld+16(FP), R10
	SHLQ $1, R10
	MOVQ out+32(FP), DI
	MOVQ rows+40(FP), R11
	TESTQ R11, R11
	JZ end

row:
	MOVQ x+0(FP), AX
	MOVQ SI, BX
	MOVQ k+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ CX, R9
	SHRQ $5, R9
	JZ tail8

loop32:
	LOADBF16x32
	VFMADD231PS (AX), Y4, Y0
	VFMADD231PS 32(AX), Y5, Y1
	VFMADD231PS 64(AX), Y6, Y2
	VFMADD231PS 96(AX), Y7, Y3
	ADDQ $128, AX
	ADDQ $64, BX
	DECQ R9
	JNZ loop32

tail8:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ sum

loop8:
	LOADBF16x8
	VFMADD231PS (AX), Y4, Y0
	ADDQ $32, AX
	ADDQ $16, BX
	DECQ CX
	JNZ loop8

sum:
	HSUM4
	MOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R10, SI
	DECQ R11
	JNZ row

end:
	VZEROUPPER
	RET

// func gemvF16AVX2(x *float32, w *uint16, ld, k int, out *float32, rows int)
// out[j] = Σ_{p<k} x[p]·w[j·ld+p] for j < rows; k is a multiple of 8.
TEXT ·gemvF16AVX2(SB), NOSPLIT, $0-48
	MOVQ w+8(FP), SI
	MOVQ ld+16(FP), R10
	SHLQ $1, R10
	MOVQ out+32(FP), DI
	MOVQ rows+40(FP), R11
	TESTQ R11, R11
	JZ end

row:
	MOVQ x+0(FP), AX
	MOVQ SI, BX
	MOVQ k+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ CX, R9
	SHRQ $5, R9
	JZ tail8

loop32:
	LOADF16x32
	VFMADD231PS (AX), Y4, Y0
	VFMADD231PS 32(AX), Y5, Y1
	VFMADD231PS 64(AX), Y6, Y2
	VFMADD231PS 96(AX), Y7, Y3
	ADDQ $128, AX
	ADDQ $64, BX
	DECQ R9
	JNZ loop32

tail8:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ sum

loop8:
	LOADF16x8
	VFMADD231PS (AX), Y4, Y0
	ADDQ $32, AX
	ADDQ $16, BX
	DECQ CX
	JNZ loop8

sum:
	HSUM4
	MOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R10, SI
	DECQ R11
	JNZ row

end:
	VZEROUPPER
	RET

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

// func weightedSumAVX2(out *float32, p *float32, v *float32, n, d int)
// out[c] += Σ_{j<n} p[j]·v[j·d+c] for c < d; d is a multiple of 8, n ≥ 1.
// Columns go 32 at a time (four accumulators), then 8 at a time.
TEXT ·weightedSumAVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ v+16(FP), DX
	MOVQ d+32(FP), R8
	MOVQ R8, R9
	SHLQ $2, R9
	XORQ R10, R10

ws32:
	MOVQ R8, AX
	SUBQ R10, AX
	CMPQ AX, $32
	JLT ws8
	VMOVUPS (DI)(R10*4), Y0
	VMOVUPS 32(DI)(R10*4), Y1
	VMOVUPS 64(DI)(R10*4), Y2
	VMOVUPS 96(DI)(R10*4), Y3
	LEAQ (DX)(R10*4), BX
	MOVQ p+8(FP), SI
	MOVQ n+24(FP), CX
ws32loop:
	VBROADCASTSS (SI), Y4
	VFMADD231PS (BX), Y4, Y0
	VFMADD231PS 32(BX), Y4, Y1
	VFMADD231PS 64(BX), Y4, Y2
	VFMADD231PS 96(BX), Y4, Y3
	ADDQ $4, SI
	ADDQ R9, BX
	DECQ CX
	JNZ ws32loop
	VMOVUPS Y0, (DI)(R10*4)
	VMOVUPS Y1, 32(DI)(R10*4)
	VMOVUPS Y2, 64(DI)(R10*4)
	VMOVUPS Y3, 96(DI)(R10*4)
	ADDQ $32, R10
	JMP ws32

ws8:
	CMPQ R10, R8
	JGE wsdone
	VMOVUPS (DI)(R10*4), Y0
	LEAQ (DX)(R10*4), BX
	MOVQ p+8(FP), SI
	MOVQ n+24(FP), CX
ws8loop:
	VBROADCASTSS (SI), Y4
	VFMADD231PS (BX), Y4, Y0
	ADDQ $4, SI
	ADDQ R9, BX
	DECQ CX
	JNZ ws8loop
	VMOVUPS Y0, (DI)(R10*4)
	ADDQ $8, R10
	JMP ws8

wsdone:
	VZEROUPPER
	RET

// func weightedSumF16AVX2(out *float32, p *float32, v *uint16, n, d int)
// weightedSumAVX2 with v stored as IEEE half precision, widened by VCVTPH2PS.
TEXT ·weightedSumF16AVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ v+16(FP), DX
	MOVQ d+32(FP), R8
	MOVQ R8, R9
	SHLQ $1, R9
	XORQ R10, R10

wh32:
	MOVQ R8, AX
	SUBQ R10, AX
	CMPQ AX, $32
	JLT wh8
	VMOVUPS (DI)(R10*4), Y0
	VMOVUPS 32(DI)(R10*4), Y1
	VMOVUPS 64(DI)(R10*4), Y2
	VMOVUPS 96(DI)(R10*4), Y3
	LEAQ (DX)(R10*2), BX
	MOVQ p+8(FP), SI
	MOVQ n+24(FP), CX
wh32loop:
	VBROADCASTSS (SI), Y4
	VCVTPH2PS (BX), Y5
	VCVTPH2PS 16(BX), Y6
	VCVTPH2PS 32(BX), Y7
	VCVTPH2PS 48(BX), Y8
	VFMADD231PS Y5, Y4, Y0
	VFMADD231PS Y6, Y4, Y1
	VFMADD231PS Y7, Y4, Y2
	VFMADD231PS Y8, Y4, Y3
	ADDQ $4, SI
	ADDQ R9, BX
	DECQ CX
	JNZ wh32loop
	VMOVUPS Y0, (DI)(R10*4)
	VMOVUPS Y1, 32(DI)(R10*4)
	VMOVUPS Y2, 64(DI)(R10*4)
	VMOVUPS Y3, 96(DI)(R10*4)
	ADDQ $32, R10
	JMP wh32

wh8:
	CMPQ R10, R8
	JGE whdone
	VMOVUPS (DI)(R10*4), Y0
	LEAQ (DX)(R10*2), BX
	MOVQ p+8(FP), SI
	MOVQ n+24(FP), CX
wh8loop:
	VBROADCASTSS (SI), Y4
	VCVTPH2PS (BX), Y5
	VFMADD231PS Y5, Y4, Y0
	ADDQ $4, SI
	ADDQ R9, BX
	DECQ CX
	JNZ wh8loop
	VMOVUPS Y0, (DI)(R10*4)
	ADDQ $8, R10
	JMP wh8

whdone:
	VZEROUPPER
	RET

// func weightedSumBF16AVX2(out *float32, p *float32, v *uint16, n, d int)
// weightedSumAVX2 with v stored as bfloat16, widened by a 16-bit shift.
TEXT ·weightedSumBF16AVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ v+16(FP), DX
	MOVQ d+32(FP), R8
	MOVQ R8, R9
	SHLQ $1, R9
	XORQ R10, R10

wb32:
	MOVQ R8, AX
	SUBQ R10, AX
	CMPQ AX, $32
	JLT wb8
	VMOVUPS (DI)(R10*4), Y0
	VMOVUPS 32(DI)(R10*4), Y1
	VMOVUPS 64(DI)(R10*4), Y2
	VMOVUPS 96(DI)(R10*4), Y3
	LEAQ (DX)(R10*2), BX
	MOVQ p+8(FP), SI
	MOVQ n+24(FP), CX
wb32loop:
	VBROADCASTSS (SI), Y4
	VPMOVZXWD (BX), Y5
	VPMOVZXWD 16(BX), Y6
	VPMOVZXWD 32(BX), Y7
	VPMOVZXWD 48(BX), Y8
	VPSLLD $16, Y5, Y5
	VPSLLD $16, Y6, Y6
	VPSLLD $16, Y7, Y7
	VPSLLD $16, Y8, Y8
	VFMADD231PS Y5, Y4, Y0
	VFMADD231PS Y6, Y4, Y1
	VFMADD231PS Y7, Y4, Y2
	VFMADD231PS Y8, Y4, Y3
	ADDQ $4, SI
	ADDQ R9, BX
	DECQ CX
	JNZ wb32loop
	VMOVUPS Y0, (DI)(R10*4)
	VMOVUPS Y1, 32(DI)(R10*4)
	VMOVUPS Y2, 64(DI)(R10*4)
	VMOVUPS Y3, 96(DI)(R10*4)
	ADDQ $32, R10
	JMP wb32

wb8:
	CMPQ R10, R8
	JGE wbdone
	VMOVUPS (DI)(R10*4), Y0
	LEAQ (DX)(R10*2), BX
	MOVQ p+8(FP), SI
	MOVQ n+24(FP), CX
wb8loop:
	VBROADCASTSS (SI), Y4
	VPMOVZXWD (BX), Y5
	VPSLLD $16, Y5, Y5
	VFMADD231PS Y5, Y4, Y0
	ADDQ $4, SI
	ADDQ R9, BX
	DECQ CX
	JNZ wb8loop
	VMOVUPS Y0, (DI)(R10*4)
	ADDQ $8, R10
	JMP wb8

wbdone:
	VZEROUPPER
	RET
