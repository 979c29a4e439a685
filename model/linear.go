package model

import (
	"fmt"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/quant"
	"github.com/gollm/gollm/weights"
)

// linear is y = x·Wᵀ (+ b) with W [out×in] kept in its stored dtype: a
// float type, or a ggml block format read by kernels.QuantMat.
type linear struct {
	in, out int
	dtype   weights.DType
	f32     []float32   // W when stored as F32
	u16     []uint16    // W when stored as F16 or BF16
	q       []byte      // W when stored in a block format: out rows of rowBytes
	bias    []float32   // nil when the layer has none
	m       kernels.Mat // W as the kernels see it, built (and checked) at load
}

// bytes is the size of W as stored.
func (l *linear) bytes() int64 { return int64(4*len(l.f32) + 2*len(l.u16) + len(l.q)) }

func newLinear(w *weights.Tensor, bias []float32) (linear, error) {
	if len(w.Shape) != 2 {
		return linear{}, fmt.Errorf("tensor %q: want 2 dimensions, got shape %v", w.Name, w.Shape)
	}
	l := linear{out: w.Shape[0], in: w.Shape[1], dtype: w.DType, bias: bias}
	switch w.DType {
	case weights.F32:
		l.f32 = w.F32()
		l.m = kernels.F32Mat(l.f32, l.out, l.in)
	case weights.F16:
		l.u16 = w.U16()
		l.m = kernels.F16Mat(l.u16, l.out, l.in)
	case weights.BF16:
		l.u16 = w.U16()
		l.m = kernels.BF16Mat(l.u16, l.out, l.in)
	default:
		m, err := kernels.QuantMat(w.DType, w.Data, l.out, l.in)
		if err != nil {
			return linear{}, fmt.Errorf("tensor %q: %w", w.Name, err)
		}
		l.q, l.m = w.Data, m
	}
	return l, nil
}

// rowBytes is the size of one stored row of a block-format W.
func (l *linear) rowBytes() int { return len(l.q) / l.out }

// apply computes out[m×l.out] = x[m×l.in]·Wᵀ + b.
func (l *linear) apply(out, x []float32, m int) {
	l.m.MatMul(out, x, m)
	l.addBias(out, m)
}

// addBias adds b to each of the m rows of out.
func (l *linear) addBias(out []float32, m int) {
	if l.bias != nil {
		for i := 0; i < m; i++ {
			kernels.Add(out[i*l.out:(i+1)*l.out], l.bias)
		}
	}
}

// applyEach computes outs[i] = x·Wᵢᵀ + bᵢ for layers ls of the same input
// width: one parallel region for all of them when decoding.
func applyEach(x []float32, m int, ls []*linear, outs ...[]float32) {
	mats := make([]kernels.Mat, len(ls))
	for i, l := range ls {
		mats[i] = l.m
	}
	kernels.MatMulEach(outs, x, m, mats)
	for i, l := range ls {
		l.addBias(outs[i], m)
	}
}

// row writes row r of W, converted to float32, into dst (embedding lookup).
func (l *linear) row(dst []float32, r int) {
	switch {
	case l.q != nil:
		rb := l.rowBytes()
		if err := quant.DequantizeRow(l.dtype, dst[:l.in], l.q[r*rb:(r+1)*rb]); err != nil {
			panic(fmt.Sprintf("model: %v (checked at load)", err))
		}
	case l.dtype == weights.F32:
		copy(dst, l.f32[r*l.in:(r+1)*l.in])
	case l.dtype == weights.BF16:
		kernels.BF16ToF32(dst, l.u16[r*l.in:(r+1)*l.in])
	default:
		kernels.F16ToF32(dst, l.u16[r*l.in:(r+1)*l.in])
	}
}

// transposed returns a copy of the 2-D tensor t with its axes swapped, in
// the same dtype. GPT-2 stores its projections as Conv1D [in×out]; gollm
// keeps every projection as [out×in].
func transposed(t *weights.Tensor) *weights.Tensor {
	rows, cols := t.Shape[0], t.Shape[1]
	es := t.DType.BlockBytes() // a float type: one element a block
	data := make([]byte, len(t.Data))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			copy(data[(c*rows+r)*es:(c*rows+r+1)*es], t.Data[(r*cols+c)*es:(r*cols+c+1)*es])
		}
	}
	return &weights.Tensor{Name: t.Name, DType: t.DType, Shape: []int{cols, rows}, Data: data}
}
