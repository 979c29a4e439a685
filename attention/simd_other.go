//go:build !amd64

package attention

// useSIMD is false where no assembly micro-kernels exist.
const useSIMD = false

func gemm4x16(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int) {
	panic("attention: no SIMD gemm on this architecture")
}

func expSub8(x *float32, n int, m float32) float32 {
	panic("attention: no SIMD exp on this architecture")
}
