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

// HSUM4_STORE reduces the accumulators a, b, c and d (one row of x
// against four streams' rows) to a float each and stores them at dst,
// dst+R14, dst+2·R14 and dst+3·R14. xa is a's low half; xt (the low half
// of b) is scratch; b, c, d and dst are clobbered.
#define HSUM4_STORE(a, b, c, d, xa, xt, dst) \
	VHADDPS b, a, a \
	VHADDPS d, c, c \
	VHADDPS c, a, a \
	VEXTRACTF128 $1, a, xt \
	VADDPS xt, xa, xa \
	VMOVSS xa, (dst) \
	ADDQ R14, dst \
	VEXTRACTPS $1, xa, (dst) \
	ADDQ R14, dst \
	VEXTRACTPS $2, xa, (dst) \
	ADDQ R14, dst \
	VEXTRACTPS $3, xa, (dst)

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
	ADDQ $step, BX \
	ADDQ $step, R12 \
	ADDQ $step, R13 \
	ADDQ $step, R8 \
	DECQ CX \
	JNZ loop \
	MOVQ DI, CX \
	HSUM4_STORE(Y0, Y1, Y2, Y3, X0, X1, CX) \
	MOVQ ldo+48(FP), CX \
	LEAQ (DI)(CX*4), CX \
	HSUM4_STORE(Y4, Y5, Y6, Y7, X4, X5, CX) \
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

