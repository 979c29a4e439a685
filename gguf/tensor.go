package gguf

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/gollm/gollm/quant"
)

// maxDims is the most dimensions a ggml tensor has.
const maxDims = 4

// TensorInfo describes one tensor of a file. Its type may be one gollm
// cannot read (Type.Loads() false): parsing accepts every type ggml knows
// and leaves the refusal to whoever loads the weights.
type TensorInfo struct {
	Name string
	Type quant.Type
	// Dims is the shape in ggml order: Dims[0] is the row length (the
	// innermost, contiguous dimension), the reverse of a PyTorch shape.
	Dims []uint64
	// Offset is where the tensor's bytes start, from the start of the
	// data section (a multiple of the file's alignment); Size is their
	// length.
	Offset, Size int64
}

// Elems is the number of elements of the tensor.
func (t TensorInfo) Elems() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= int64(d) // cannot overflow: the size was checked
	}
	return n
}

// tensorSize checks a tensor's shape against its type and returns its size
// in bytes: an error names the field when the type is unknown, the number
// of dimensions is not 1 to 4, a row is not a whole number of blocks, or
// the element count or byte size overflows int64.
func tensorSize(t quant.Type, dims []uint64) (int64, error) {
	if !t.Known() {
		return 0, fmt.Errorf("type: unknown ggml type id %d", uint32(t))
	}
	if err := checkNDims(uint64(len(dims))); err != nil {
		return 0, fmt.Errorf("n_dims: %w", err)
	}
	elems := uint64(1)
	for _, d := range dims {
		hi, lo := bits.Mul64(elems, d)
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("dims %v: the element count overflows int64", dims)
		}
		elems = lo
	}
	be, bb := uint64(t.BlockElems()), uint64(t.BlockBytes())
	if dims[0]%be != 0 {
		return 0, fmt.Errorf("dims %v: a row of %d elements is not a whole number of %v blocks (%d elements each)", dims, dims[0], t, be)
	}
	hi, size := bits.Mul64(elems/be, bb)
	if hi != 0 || size > math.MaxInt64 {
		return 0, fmt.Errorf("dims %v: the size of %v data overflows int64", dims, t)
	}
	return int64(size), nil
}

// alignUp rounds n up to a multiple of align, a power of two.
func alignUp(n, align int64) int64 { return (n + align - 1) &^ (align - 1) }
