// Package kernels holds the numerical hot loops of gollm: matrix products
// against weights stored as F32, F16 or BF16, and the small vector helpers
// the model needs. Fast paths are chosen at run time from CPU features; every
// fast path has a portable Go reference it is tested against.
package kernels

import (
	"math"

	"github.com/gollm/gollm/internal/parallel"
)

// MatMulF32 computes out[m×n] = x[m×k] · wᵀ where w is [n×k] row-major
// (the layout of an HF Linear weight: one row per output feature).
func MatMulF32(out, x []float32, m, k int, w []float32, n int) {
	parallel.For(n, 64, func(lo, hi int) {
		for i := 0; i < m; i++ {
			xr := x[i*k : i*k+k]
			for j := lo; j < hi; j++ {
				out[i*n+j] = Dot(xr, w[j*k:j*k+k])
			}
		}
	})
}

// MatMulBF16 is MatMulF32 with w stored as bfloat16 bit patterns.
func MatMulBF16(out, x []float32, m, k int, w []uint16, n int) {
	parallel.For(n, 64, func(lo, hi int) {
		row := make([]float32, k)
		for j := lo; j < hi; j++ {
			BF16ToF32(row, w[j*k:j*k+k])
			for i := 0; i < m; i++ {
				out[i*n+j] = Dot(x[i*k:i*k+k], row)
			}
		}
	})
}

// MatMulF16 is MatMulF32 with w stored as IEEE half-precision bit patterns.
func MatMulF16(out, x []float32, m, k int, w []uint16, n int) {
	parallel.For(n, 64, func(lo, hi int) {
		row := make([]float32, k)
		for j := lo; j < hi; j++ {
			F16ToF32(row, w[j*k:j*k+k])
			for i := 0; i < m; i++ {
				out[i*n+j] = Dot(x[i*k:i*k+k], row)
			}
		}
	})
}

// Dot returns the inner product of a and b (len(b) >= len(a)).
func Dot(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// BF16ToF32 widens bfloat16 bit patterns to float32 (exact).
func BF16ToF32(dst []float32, src []uint16) {
	for i, v := range src {
		dst[i] = math.Float32frombits(uint32(v) << 16)
	}
}
