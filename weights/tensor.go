// Package weights holds typed, read-only tensors over stored bytes (usually a
// memory-mapped safetensors or GGUF file). Tensors keep their stored dtype,
// a float type or a ggml block format; kernels convert on the fly, so a
// bf16 model is not doubled in memory.
package weights

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/gollm/gollm/quant"
	"github.com/x448/float16"
)

// DType is a tensor element type: a ggml type (package quant), so one
// enumeration names safetensors' float types and GGUF's block formats.
type DType = quant.Type

// The float element types safetensors stores.
const (
	F32  = quant.F32
	F16  = quant.F16
	BF16 = quant.BF16
)

// ParseDType maps a safetensors dtype name ("F32", "F16", "BF16") to a DType.
func ParseDType(s string) (DType, error) {
	switch s {
	case "F32":
		return F32, nil
	case "F16":
		return F16, nil
	case "BF16":
		return BF16, nil
	}
	return 0, fmt.Errorf("unsupported dtype %q (supported: F32, F16, BF16)", s)
}

// Tensor is a named, shaped, read-only view of stored elements.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	// Data holds the elements: len(Data) is Elements()/BlockElems() ×
	// BlockBytes() of DType (4 or 2 bytes an element for the floats).
	Data []byte
}

// Elements is the product of the shape.
func (t *Tensor) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// F32 returns the elements of an F32 tensor without copying when the data
// is 4-byte aligned (a copy otherwise).
func (t *Tensor) F32() []float32 {
	n := len(t.Data) / 4
	if n == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(&t.Data[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&t.Data[0])), n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(uint32(t.Data[4*i]) | uint32(t.Data[4*i+1])<<8 | uint32(t.Data[4*i+2])<<16 | uint32(t.Data[4*i+3])<<24)
	}
	return out
}

// U16 returns the raw 16-bit elements of an F16 or BF16 tensor without
// copying when the data is 2-byte aligned (a copy otherwise).
func (t *Tensor) U16() []uint16 {
	n := len(t.Data) / 2
	if n == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(&t.Data[0]))%2 == 0 {
		return unsafe.Slice((*uint16)(unsafe.Pointer(&t.Data[0])), n)
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = uint16(t.Data[2*i]) | uint16(t.Data[2*i+1])<<8
	}
	return out
}

// Float32s returns a float32 copy of all elements, converting or
// dequantizing as needed. Use it for small tensors (norms, biases); large
// weights stay in their stored dtype and go through the kernels. The
// DType must be one quant converts (every type the loader accepts) and
// Data its size, as the loader checks.
func (t *Tensor) Float32s() []float32 {
	switch t.DType {
	case F32:
		return append([]float32(nil), t.F32()...)
	case BF16:
		src := t.U16()
		out := make([]float32, len(src))
		for i, v := range src {
			out[i] = math.Float32frombits(uint32(v) << 16)
		}
		return out
	case F16:
		src := t.U16()
		out := make([]float32, len(src))
		for i, v := range src {
			out[i] = float16.Frombits(v).Float32()
		}
		return out
	}
	out := make([]float32, t.Elements())
	if err := quant.DequantizeRow(t.DType, out, t.Data); err != nil {
		panic(fmt.Sprintf("weights: tensor %q: %v", t.Name, err))
	}
	return out
}
