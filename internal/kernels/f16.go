package kernels

import (
	"math"

	"github.com/x448/float16"
)

// F16ToF32 widens IEEE half-precision bit patterns to float32 (exact).
func F16ToF32(dst []float32, src []uint16) { active.cvtF16(dst, src) }

// Widen widens 16-bit values to float32 (exact): bfloat16 bit patterns when
// bf16 is true, IEEE half precision otherwise. It serves 16-bit KV caches.
func Widen(dst []float32, src []uint16, bf16 bool) {
	if bf16 {
		BF16ToF32(dst, src)
	} else {
		F16ToF32(dst, src)
	}
}

// F32ToF16 narrows float32 values to IEEE half-precision bit patterns
// (round to nearest even; overflow gives ±Inf).
func F32ToF16(dst []uint16, src []float32) {
	for i, v := range src {
		dst[i] = float16.Fromfloat32(v).Bits()
	}
}

// F32ToBF16 narrows float32 values to bfloat16 bit patterns, rounding to
// nearest even (NaN stays NaN).
func F32ToBF16(dst []uint16, src []float32) {
	for i, v := range src {
		b := math.Float32bits(v)
		if b&0x7fffffff > 0x7f800000 { // NaN: keep it quiet and non-zero
			dst[i] = uint16(b>>16) | 0x40
			continue
		}
		dst[i] = uint16((b + 0x7fff + (b>>16)&1) >> 16)
	}
}
