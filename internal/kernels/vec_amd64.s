//go:build !purego

#include "textflag.h"

// WEIGHTED_SUM is the body of the weighted-sum kernels:
// out[c] += Σ_{j<n} p[j]·v[j·d+c] for c < d (a multiple of 8), n ≥ 1.
// Columns go 32 at a time (four accumulators), then 8 at a time. v's
// elements are 1<<esh bytes; WIDEN(off, r) loads the 8 elements at byte
// offset off from BX into r as float32; step is the byte size of 8.
#define WEIGHTED_SUM(esh, step, WIDEN) \
	MOVQ out+0(FP), DI \
	MOVQ v+16(FP), DX \
	MOVQ d+32(FP), R9 \
	SHLQ $esh, R9 \
	XORQ R10, R10 \
cols32: \
	MOVQ d+32(FP), AX \
	SUBQ R10, AX \
	CMPQ AX, $32 \
	JLT cols8 \
	VMOVUPS (DI)(R10*4), Y0 \
	VMOVUPS 32(DI)(R10*4), Y1 \
	VMOVUPS 64(DI)(R10*4), Y2 \
	VMOVUPS 96(DI)(R10*4), Y3 \
	MOVQ R10, BX \
	SHLQ $esh, BX \
	ADDQ DX, BX \
	MOVQ p+8(FP), SI \
	MOVQ n+24(FP), CX \
loop32: \
	VBROADCASTSS (SI), Y4 \
	WIDEN(0, Y5) \
	WIDEN(step, Y6) \
	WIDEN(2*step, Y7) \
	WIDEN(3*step, Y8) \
	VFMADD231PS Y5, Y4, Y0 \
	VFMADD231PS Y6, Y4, Y1 \
	VFMADD231PS Y7, Y4, Y2 \
	VFMADD231PS Y8, Y4, Y3 \
	ADDQ $4, SI \
	ADDQ R9, BX \
	DECQ CX \
	JNZ loop32 \
	VMOVUPS Y0, (DI)(R10*4) \
	VMOVUPS Y1, 32(DI)(R10*4) \
	VMOVUPS Y2, 64(DI)(R10*4) \
	VMOVUPS Y3, 96(DI)(R10*4) \
	ADDQ $32, R10 \
	JMP cols32 \
cols8: \
	CMPQ R10, d+32(FP) \
	JGE done \
	VMOVUPS (DI)(R10*4), Y0 \
	MOVQ R10, BX \
	SHLQ $esh, BX \
	ADDQ DX, BX \
	MOVQ p+8(FP), SI \
	MOVQ n+24(FP), CX \
loop8: \
	VBROADCASTSS (SI), Y4 \
	WIDEN(0, Y5) \
	VFMADD231PS Y5, Y4, Y0 \
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

#define WIDEN_F32(off, r) VMOVUPS off(BX), r
#define WIDEN_F16(off, r) VCVTPH2PS off(BX), r
#define WIDEN_BF16(off, r) VPMOVZXWD off(BX), r; VPSLLD $16, r, r


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

// Weight streams are prefetched PFDIST bytes ahead of the loads: on the
// Zen 3 dev VM that lifts one core's DRAM stream from ~6.8 to ~8.3 GB/s
// (bf16 GEMV over 48 MiB); the hardware prefetchers alone keep too few
// lines in flight.
#define PFDIST 1024
#define PF1 PREFETCHT0 PFDIST(BX)
#define PF2 PREFETCHT0 PFDIST(BX); PREFETCHT0 PFDIST+64(BX)

// GEMV is the body of the GEMV kernels:
// out[j] = Σ_{p<k} x[p]·w[j·ld+p] for j < rows; k is a multiple of 8.
// w's elements are 1<<esh bytes; LOAD32 widens 32 of them at BX into
// Y4–Y7 and LOAD8 widens 8 into Y4; PF prefetches the cache lines
// (one per 64 bytes) that LOAD32 will read PFDIST bytes later.
#define GEMV(esh, LOAD32, LOAD8, PF) \
	MOVQ w+8(FP), SI \
	MOVQ ld+16(FP), R10 \
	SHLQ $esh, R10 \
	MOVQ out+32(FP), DI \
	MOVQ rows+40(FP), R11 \
	TESTQ R11, R11 \
	JZ end \
row: \
	MOVQ x+0(FP), AX \
	MOVQ SI, BX \
	MOVQ k+24(FP), CX \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	MOVQ CX, R9 \
	SHRQ $5, R9 \
	JZ tail8 \
loop32: \
	PF \
	LOAD32 \
	VFMADD231PS (AX), Y4, Y0 \
	VFMADD231PS 32(AX), Y5, Y1 \
	VFMADD231PS 64(AX), Y6, Y2 \
	VFMADD231PS 96(AX), Y7, Y3 \
	ADDQ $128, AX \
	ADDQ $(32<<esh), BX \
	DECQ R9 \
	JNZ loop32 \
tail8: \
	ANDQ $31, CX \
	SHRQ $3, CX \
	JZ sum \
loop8: \
	LOAD8 \
	VFMADD231PS (AX), Y4, Y0 \
	ADDQ $32, AX \
	ADDQ $(8<<esh), BX \
	DECQ CX \
	JNZ loop8 \
sum: \
	HSUM4 \
	MOVSS X0, (DI) \
	ADDQ $4, DI \
	ADDQ R10, SI \
	DECQ R11 \
	JNZ row \
end: \
	VZEROUPPER \
	RET

// func gemvF32AVX2(x *float32, w *float32, ld, k int, out *float32, rows int)
TEXT ·gemvF32AVX2(SB), NOSPLIT, $0-48
	GEMV(2, LOADF32x32, LOADF32x8, PF2)

// func gemvBF16AVX2(x *float32, w *uint16, ld, k int, out *float32, rows int)
TEXT ·gemvBF16AVX2(SB), NOSPLIT, $0-48
	GEMV(1, LOADBF16x32, LOADBF16x8, PF1)

// func gemvF16AVX2(x *float32, w *uint16, ld, k int, out *float32, rows int)
TEXT ·gemvF16AVX2(SB), NOSPLIT, $0-48
	GEMV(1, LOADF16x32, LOADF16x8, PF1)

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
TEXT ·weightedSumAVX2(SB), NOSPLIT, $0-40
	WEIGHTED_SUM(2, 32, WIDEN_F32)

// func weightedSumF16AVX2(out *float32, p *float32, v *uint16, n, d int)
// v holds IEEE half-precision bits, widened by VCVTPH2PS.
TEXT ·weightedSumF16AVX2(SB), NOSPLIT, $0-40
	WEIGHTED_SUM(1, 16, WIDEN_F16)

// func weightedSumBF16AVX2(out *float32, p *float32, v *uint16, n, d int)
// v holds bfloat16 bits, widened by a 16-bit shift.
TEXT ·weightedSumBF16AVX2(SB), NOSPLIT, $0-40
	WEIGHTED_SUM(1, 16, WIDEN_BF16)
