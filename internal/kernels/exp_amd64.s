//go:build !purego

#include "textflag.h"

// The package's one vectorised exp (Cephes expf scheme: 2ⁿ·p(r) with
// r = x − n·ln2 split in two parts and a degree-7 polynomial; accuracy in
// ExpSub's doc) and the kernels built on it. Constants are 8-lane vectors
// so they serve as memory operands.
// log2e = 1.4426950408889634
DATA expc<>+0(SB)/4, $0x3fb8aa3b
DATA expc<>+4(SB)/4, $0x3fb8aa3b
DATA expc<>+8(SB)/4, $0x3fb8aa3b
DATA expc<>+12(SB)/4, $0x3fb8aa3b
DATA expc<>+16(SB)/4, $0x3fb8aa3b
DATA expc<>+20(SB)/4, $0x3fb8aa3b
DATA expc<>+24(SB)/4, $0x3fb8aa3b
DATA expc<>+28(SB)/4, $0x3fb8aa3b
// ln2hi = 0.693359375
DATA expc<>+32(SB)/4, $0x3f318000
DATA expc<>+36(SB)/4, $0x3f318000
DATA expc<>+40(SB)/4, $0x3f318000
DATA expc<>+44(SB)/4, $0x3f318000
DATA expc<>+48(SB)/4, $0x3f318000
DATA expc<>+52(SB)/4, $0x3f318000
DATA expc<>+56(SB)/4, $0x3f318000
DATA expc<>+60(SB)/4, $0x3f318000
// ln2lo = -0.00021219444
DATA expc<>+64(SB)/4, $0xb95e8083
DATA expc<>+68(SB)/4, $0xb95e8083
DATA expc<>+72(SB)/4, $0xb95e8083
DATA expc<>+76(SB)/4, $0xb95e8083
DATA expc<>+80(SB)/4, $0xb95e8083
DATA expc<>+84(SB)/4, $0xb95e8083
DATA expc<>+88(SB)/4, $0xb95e8083
DATA expc<>+92(SB)/4, $0xb95e8083
// p0 = 0.000198756915
DATA expc<>+96(SB)/4, $0x39506967
DATA expc<>+100(SB)/4, $0x39506967
DATA expc<>+104(SB)/4, $0x39506967
DATA expc<>+108(SB)/4, $0x39506967
DATA expc<>+112(SB)/4, $0x39506967
DATA expc<>+116(SB)/4, $0x39506967
DATA expc<>+120(SB)/4, $0x39506967
DATA expc<>+124(SB)/4, $0x39506967
// p1 = 0.0013981999507
DATA expc<>+128(SB)/4, $0x3ab743ce
DATA expc<>+132(SB)/4, $0x3ab743ce
DATA expc<>+136(SB)/4, $0x3ab743ce
DATA expc<>+140(SB)/4, $0x3ab743ce
DATA expc<>+144(SB)/4, $0x3ab743ce
DATA expc<>+148(SB)/4, $0x3ab743ce
DATA expc<>+152(SB)/4, $0x3ab743ce
DATA expc<>+156(SB)/4, $0x3ab743ce
// p2 = 0.0083334519073
DATA expc<>+160(SB)/4, $0x3c088908
DATA expc<>+164(SB)/4, $0x3c088908
DATA expc<>+168(SB)/4, $0x3c088908
DATA expc<>+172(SB)/4, $0x3c088908
DATA expc<>+176(SB)/4, $0x3c088908
DATA expc<>+180(SB)/4, $0x3c088908
DATA expc<>+184(SB)/4, $0x3c088908
DATA expc<>+188(SB)/4, $0x3c088908
// p3 = 0.041665795894
DATA expc<>+192(SB)/4, $0x3d2aa9c1
DATA expc<>+196(SB)/4, $0x3d2aa9c1
DATA expc<>+200(SB)/4, $0x3d2aa9c1
DATA expc<>+204(SB)/4, $0x3d2aa9c1
DATA expc<>+208(SB)/4, $0x3d2aa9c1
DATA expc<>+212(SB)/4, $0x3d2aa9c1
DATA expc<>+216(SB)/4, $0x3d2aa9c1
DATA expc<>+220(SB)/4, $0x3d2aa9c1
// p4 = 0.16666665459
DATA expc<>+224(SB)/4, $0x3e2aaaaa
DATA expc<>+228(SB)/4, $0x3e2aaaaa
DATA expc<>+232(SB)/4, $0x3e2aaaaa
DATA expc<>+236(SB)/4, $0x3e2aaaaa
DATA expc<>+240(SB)/4, $0x3e2aaaaa
DATA expc<>+244(SB)/4, $0x3e2aaaaa
DATA expc<>+248(SB)/4, $0x3e2aaaaa
DATA expc<>+252(SB)/4, $0x3e2aaaaa
// p5 = 0.50000001201
DATA expc<>+256(SB)/4, $0x3f000000
DATA expc<>+260(SB)/4, $0x3f000000
DATA expc<>+264(SB)/4, $0x3f000000
DATA expc<>+268(SB)/4, $0x3f000000
DATA expc<>+272(SB)/4, $0x3f000000
DATA expc<>+276(SB)/4, $0x3f000000
DATA expc<>+280(SB)/4, $0x3f000000
DATA expc<>+284(SB)/4, $0x3f000000
// hi = 88.3762626647949
DATA expc<>+288(SB)/4, $0x42b0c0a5
DATA expc<>+292(SB)/4, $0x42b0c0a5
DATA expc<>+296(SB)/4, $0x42b0c0a5
DATA expc<>+300(SB)/4, $0x42b0c0a5
DATA expc<>+304(SB)/4, $0x42b0c0a5
DATA expc<>+308(SB)/4, $0x42b0c0a5
DATA expc<>+312(SB)/4, $0x42b0c0a5
DATA expc<>+316(SB)/4, $0x42b0c0a5
// lo = -87.0
DATA expc<>+320(SB)/4, $0xc2ae0000
DATA expc<>+324(SB)/4, $0xc2ae0000
DATA expc<>+328(SB)/4, $0xc2ae0000
DATA expc<>+332(SB)/4, $0xc2ae0000
DATA expc<>+336(SB)/4, $0xc2ae0000
DATA expc<>+340(SB)/4, $0xc2ae0000
DATA expc<>+344(SB)/4, $0xc2ae0000
DATA expc<>+348(SB)/4, $0xc2ae0000
// one = 1.0
DATA expc<>+352(SB)/4, $0x3f800000
DATA expc<>+356(SB)/4, $0x3f800000
DATA expc<>+360(SB)/4, $0x3f800000
DATA expc<>+364(SB)/4, $0x3f800000
DATA expc<>+368(SB)/4, $0x3f800000
DATA expc<>+372(SB)/4, $0x3f800000
DATA expc<>+376(SB)/4, $0x3f800000
DATA expc<>+380(SB)/4, $0x3f800000
// m2c = -1.5957691216057308
DATA expc<>+384(SB)/4, $0xbfcc422a
DATA expc<>+388(SB)/4, $0xbfcc422a
DATA expc<>+392(SB)/4, $0xbfcc422a
DATA expc<>+396(SB)/4, $0xbfcc422a
DATA expc<>+400(SB)/4, $0xbfcc422a
DATA expc<>+404(SB)/4, $0xbfcc422a
DATA expc<>+408(SB)/4, $0xbfcc422a
DATA expc<>+412(SB)/4, $0xbfcc422a
// gk = 0.044715
DATA expc<>+416(SB)/4, $0x3d372713
DATA expc<>+420(SB)/4, $0x3d372713
DATA expc<>+424(SB)/4, $0x3d372713
DATA expc<>+428(SB)/4, $0x3d372713
DATA expc<>+432(SB)/4, $0x3d372713
DATA expc<>+436(SB)/4, $0x3d372713
DATA expc<>+440(SB)/4, $0x3d372713
DATA expc<>+444(SB)/4, $0x3d372713
GLOBL expc<>(SB), RODATA|NOPTR, $448

// EXP replaces Y0 with exp(Y0); clobbers Y1, Y2, Y3, Y7. Inputs above
// 88.37 are clamped (the result stays finite); inputs below −87, −Inf and
// NaN give 0 (Y7 is that mask), so every result is normal or 0.
#define EXP \
	VCMPPS $13, expc<>+320(SB), Y0, Y7; \
	VMINPS expc<>+288(SB), Y0, Y0; \
	VMULPS expc<>+0(SB), Y0, Y1; \
	VROUNDPS $0, Y1, Y1; \
	VFNMADD231PS expc<>+32(SB), Y1, Y0; \
	VFNMADD231PS expc<>+64(SB), Y1, Y0; \
	VMOVUPS expc<>+96(SB), Y2; \
	VFMADD213PS expc<>+128(SB), Y0, Y2; \
	VFMADD213PS expc<>+160(SB), Y0, Y2; \
	VFMADD213PS expc<>+192(SB), Y0, Y2; \
	VFMADD213PS expc<>+224(SB), Y0, Y2; \
	VFMADD213PS expc<>+256(SB), Y0, Y2; \
	VMULPS Y0, Y0, Y3; \
	VFMADD213PS Y0, Y3, Y2; \
	VADDPS expc<>+352(SB), Y2, Y2; \
	VCVTPS2DQ Y1, Y1; \
	VPSLLD $23, Y1, Y1; \
	VPADDD Y2, Y1, Y0; \
	VANDPS Y7, Y0, Y0

// func siluMulAVX2(gate, up *float32, n int)
// gate[i] = gate[i]·up[i] / (1 + exp(−gate[i])); n is a multiple of 8.
TEXT ·siluMulAVX2(SB), NOSPLIT, $0-24
	MOVQ gate+0(FP), SI
	MOVQ up+8(FP), DX
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ silu_done

silu_loop:
	VXORPS Y0, Y0, Y0
	VSUBPS (SI), Y0, Y0
	EXP
	VADDPS expc<>+352(SB), Y0, Y0
	VMOVUPS (SI), Y1
	VMULPS (DX), Y1, Y1
	VDIVPS Y0, Y1, Y1
	VMOVUPS Y1, (SI)
	ADDQ $32, SI
	ADDQ $32, DX
	DECQ CX
	JNZ silu_loop

silu_done:
	VZEROUPPER
	RET

// func geluTanhAVX2(x *float32, n int)
// x[i] = 0.5·x·(1 + tanh(c·(x + 0.044715·x³))), computed as
// x / (1 + exp(−2c·(x + 0.044715·x³))); n is a multiple of 8.
TEXT ·geluTanhAVX2(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	JZ gelu_done

gelu_loop:
	VMOVUPS (SI), Y4
	VMULPS Y4, Y4, Y0
	VMULPS expc<>+416(SB), Y0, Y0
	VFMADD213PS Y4, Y4, Y0
	VMULPS expc<>+384(SB), Y0, Y0
	EXP
	VADDPS expc<>+352(SB), Y0, Y0
	VDIVPS Y0, Y4, Y4
	VMOVUPS Y4, (SI)
	ADDQ $32, SI
	DECQ CX
	JNZ gelu_loop

gelu_done:
	VZEROUPPER
	RET

// func expSumAVX2(dst, x *float32, n int, shift float32) float32
// Returns Σ exp(x[i] − shift) over n (a multiple of 8) values and, unless
// dst is nil, stores each exp in dst[i].
TEXT ·expSumAVX2(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS shift+24(FP), Y6
	VXORPS Y5, Y5, Y5
	SHRQ $3, CX
	JZ sum_done

sum_loop:
	VMOVUPS (SI), Y0
	VSUBPS Y6, Y0, Y0
	EXP
	VADDPS Y0, Y5, Y5
	TESTQ DI, DI
	JZ sum_next
	VMOVUPS Y0, (DI)
	ADDQ $32, DI

sum_next:
	ADDQ $32, SI
	DECQ CX
	JNZ sum_loop

sum_done:
	VEXTRACTF128 $1, Y5, X1
	VADDPS X1, X5, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VPSHUFD $1, X0, X1
	VADDSS X1, X0, X0
	MOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n int) float32
// Returns the largest of n (a multiple of 8, > 0) values.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VMOVUPS (SI), Y0
	SHRQ $3, CX

max_loop:
	VMAXPS (SI), Y0, Y0
	ADDQ $32, SI
	DECQ CX
	JNZ max_loop
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VMAXPS X1, X0, X0
	VPSHUFD $1, X0, X1
	VMAXSS X1, X0, X0
	MOVSS X0, ret+16(FP)
	VZEROUPPER
	RET
