package model

import (
	"fmt"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/weights"
)

// builder fetches tensors by name with shape checks; the first error sticks,
// so Model.load walks a family's tensor list without a check per tensor.
type builder struct {
	c    *loader.Checkpoint
	conv *converter // re-stores the linear maps; nil keeps them as stored
	err  error
}

func newBuilder(c *loader.Checkpoint) (*builder, error) {
	if c == nil || c.Config == nil {
		return nil, fmt.Errorf("model: no checkpoint")
	}
	return &builder{c: c}, nil
}

func (b *builder) tensor(name string, shape ...int) *weights.Tensor {
	if b.err != nil {
		return nil
	}
	t, err := b.c.Tensor(name, shape...)
	if err != nil {
		b.err = err
		return nil
	}
	return t
}

// vector reads a 1-D tensor as float32.
func (b *builder) vector(name string, n int) []float32 {
	t := b.tensor(name, n)
	if t == nil {
		return nil
	}
	return t.Float32s()
}

// linear reads the linear map t: W [Out×In] (stored [In×Out] when
// Transposed) and its bias.
func (b *builder) linear(t arch.Tensor) linear {
	if t.Role == arch.Head && b.err == nil && !b.c.Has(t.WeightName()) {
		b.err = fmt.Errorf("tie_word_embeddings is false but the checkpoint has no %s", t.WeightName())
	}
	w := b.tensor(t.WeightName(), t.WeightShape()...)
	var bias []float32
	if t.Bias {
		bias = b.vector(t.BiasName(), t.Out)
	}
	if b.err != nil {
		return linear{}
	}
	if t.Transposed {
		w = transposed(w)
	}
	if b.conv != nil {
		var err error
		if w, err = b.conv.convert(w); err != nil {
			b.err = err
			return linear{}
		}
	}
	l, err := newLinear(w, bias)
	if err != nil {
		b.err = err
	}
	return l
}

// norm reads the norm t of the given kind.
func (b *builder) norm(t arch.Tensor, kind arch.NormKind, eps float64) norm {
	nm := norm{kind: kind, eps: float32(eps), w: b.vector(t.WeightName(), t.Out)}
	if t.Bias {
		nm.b = b.vector(t.BiasName(), t.Out)
	}
	return nm
}

// norm is an RMSNorm or LayerNorm with its weights.
type norm struct {
	kind arch.NormKind
	eps  float32
	w, b []float32
}

// apply normalises each of the rows of x (width len(w)) into dst.
func (n *norm) apply(dst, x []float32, rows int) {
	d := len(n.w)
	for i := 0; i < rows; i++ {
		if n.kind == arch.RMSNorm {
			kernels.RMSNorm(dst[i*d:(i+1)*d], x[i*d:(i+1)*d], n.w, n.eps)
		} else {
			kernels.LayerNorm(dst[i*d:(i+1)*d], x[i*d:(i+1)*d], n.w, n.b, n.eps)
		}
	}
}
