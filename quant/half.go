package quant

import (
	"encoding/binary"
	"math"

	"github.com/x448/float16"
)

// FP32ToFP16 converts f to IEEE half precision as ggml's GGML_FP32_TO_FP16
// does: round to nearest, ties to even, subnormal halves kept, magnitudes
// past 65504 (after rounding) to ±Inf, and every NaN to the quiet NaN 0x7E00
// carrying f's sign (the payload is dropped, unlike float16.Fromfloat32).
func FP32ToFP16(f float32) uint16 {
	if f != f {
		return uint16(math.Float32bits(f)>>16)&0x8000 | 0x7E00
	}
	return float16.Fromfloat32(f).Bits()
}

// FP16ToFP32 widens the half h to float32; every half is exact in float32.
func FP16ToFP32(h uint16) float32 { return float16.Frombits(h).Float32() }

// FP32ToBF16 converts f to bfloat16 as ggml's GGML_FP32_TO_BF16 does: round
// to nearest, ties to even, subnormals kept, a NaN made quiet (payload's top
// bits kept).
func FP32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 64
	}
	return uint16((u + 0x7fff + (u>>16)&1) >> 16)
}

// BF16ToFP32 widens the bfloat16 h to float32.
func BF16ToFP32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// half reads the little-endian half at b[0:2] as float32.
func half(b []byte) float32 { return FP16ToFP32(binary.LittleEndian.Uint16(b)) }

// putHalf stores f as a little-endian half at b[0:2].
func putHalf(b []byte, f float32) { binary.LittleEndian.PutUint16(b, FP32ToFP16(f)) }

// The plain float formats, one element a "block".

func dequantF32(dst []float32, b []byte) {
	dst[0] = math.Float32frombits(binary.LittleEndian.Uint32(b))
}

func quantF32(b []byte, x []float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(x[0])) }

func dequantF16(dst []float32, b []byte) { dst[0] = half(b) }

func quantF16(b []byte, x []float32) { putHalf(b, x[0]) }

func dequantBF16(dst []float32, b []byte) { dst[0] = BF16ToFP32(binary.LittleEndian.Uint16(b)) }

func quantBF16(b []byte, x []float32) { binary.LittleEndian.PutUint16(b, FP32ToBF16(x[0])) }
