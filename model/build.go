package model

import (
	"fmt"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/weights"
)

// builder fetches tensors by name with shape checks; the first error sticks
// so the architecture loaders read as a list of tensors.
type builder struct {
	c   *loader.Checkpoint
	err error
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

// optVector reads a 1-D tensor when present (nil otherwise).
func (b *builder) optVector(name string, n int) []float32 {
	if !b.c.Has(name) {
		return nil
	}
	return b.vector(name, n)
}

// linear reads W [out×in] and, when withBias, b [out].
func (b *builder) linear(prefix string, out, in int, withBias bool) linear {
	w := b.tensor(prefix+".weight", out, in)
	var bias []float32
	if withBias {
		bias = b.vector(prefix+".bias", out)
	}
	if b.err != nil {
		return linear{}
	}
	l, err := newLinear(w, bias)
	if err != nil {
		b.err = err
	}
	return l
}

// conv1D reads a GPT-2 Conv1D (weight stored [in×out]) as a linear.
func (b *builder) conv1D(prefix string, in, out int) linear {
	w := b.tensor(prefix+".weight", in, out)
	bias := b.vector(prefix+".bias", out)
	if b.err != nil {
		return linear{}
	}
	l, err := newLinear(transposed(w), bias)
	if err != nil {
		b.err = err
	}
	return l
}

func (b *builder) norm(prefix string, kind normKind, n int, eps float64) norm {
	nm := norm{kind: kind, eps: float32(eps), w: b.vector(prefix+".weight", n)}
	if kind == layerNorm {
		nm.b = b.vector(prefix+".bias", n)
	}
	return nm
}

// norm is an RMSNorm or LayerNorm with its weights.
type norm struct {
	kind normKind
	eps  float32
	w, b []float32
}

// apply normalises each of the rows of x (width len(w)) into dst.
func (n *norm) apply(dst, x []float32, rows int) {
	d := len(n.w)
	for i := 0; i < rows; i++ {
		if n.kind == rmsNorm {
			kernels.RMSNorm(dst[i*d:(i+1)*d], x[i*d:(i+1)*d], n.w, n.eps)
		} else {
			kernels.LayerNorm(dst[i*d:(i+1)*d], x[i*d:(i+1)*d], n.w, n.b, n.eps)
		}
	}
}

// head picks the output projection: lm_head.weight, or the embedding when
// the config ties them (or the checkpoint has no separate head).
func (b *builder) head(embed linear, vocab, hidden int, withBias bool) linear {
	if !b.c.Config.TieEmbeddings && b.c.Has("lm_head.weight") {
		return b.linear("lm_head", vocab, hidden, withBias)
	}
	if !b.c.Config.TieEmbeddings && b.err == nil {
		b.err = fmt.Errorf("tie_word_embeddings is false but the checkpoint has no lm_head.weight")
	}
	return embed
}

func activation(name string) (func([]float32), error) {
	switch name {
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast":
		return kernels.GELUTanh, nil
	case "gelu":
		return kernels.GELU, nil
	case "silu", "swish":
		return nil, nil // fused in SiLUMul for gated MLPs
	}
	return nil, fmt.Errorf("unsupported activation %q", name)
}
