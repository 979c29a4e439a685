package attention

import "golang.org/x/sys/cpu"

// useSIMD selects the AVX2+FMA micro-kernels.
var useSIMD = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// gemm4x16 computes c[4×16] += a[4×k] · b[k×16] (leading dimensions in
// elements). Implemented in simd_amd64.s.
//
//go:noescape
func gemm4x16(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)

// expSub8 is expSub on n elements, n a positive multiple of 8.
//
//go:noescape
func expSub8(x *float32, n int, m float32) float32
