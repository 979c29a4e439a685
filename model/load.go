package model

import (
	"fmt"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/internal/kernels"
)

// load reads the tensors the family lists into m, then sets up its
// activation and rotary embeddings.
func (m *Model) load(b *builder, fam *arch.Family) error {
	c := b.c.Config
	act, err := activation(fam, c.Act)
	if err != nil {
		return err
	}
	m.act = act
	m.layers = make([]layer, c.Layers)
	for _, t := range b.c.Layout(fam) {
		if t.Role.IsNorm() {
			*m.normOf(t) = b.norm(t, fam.Norm, c.NormEps)
			continue
		}
		if t.Role == arch.QKV {
			l := &m.layers[t.Layer]
			l.q, l.k, l.v = splitRows(b.linear(t), m.heads*m.headDim, m.kvHeads*m.headDim)
			continue
		}
		*m.linearOf(t) = b.linear(t)
	}
	if c.TieEmbeddings {
		m.head = m.embed
	}
	if b.err != nil || fam.LearnedPositions {
		return b.err
	}
	m.rope, err = newRope(c, c.HeadDim)
	return err
}

// ungated are the kernels of the activations of fc1→act→fc2 MLPs, by
// hidden_act name.
var ungated = map[string]func([]float32){
	"gelu":              kernels.GELU,
	"gelu_new":          kernels.GELUTanh,
	"gelu_pytorch_tanh": kernels.GELUTanh,
	"gelu_fast":         kernels.GELUTanh,
}

// activation is the MLP activation of a model of family fam: nil for a
// gated MLP, whose SiLU is fused in kernels.SiLUMul.
func activation(fam *arch.Family, name string) (func([]float32), error) {
	if fam.GatedMLP {
		if name != "silu" && name != "swish" {
			return nil, fmt.Errorf("unsupported hidden_act %q for %s (want silu)", name, fam.ModelType)
		}
		return nil, nil
	}
	act, ok := ungated[name]
	if !ok {
		return nil, fmt.Errorf("unsupported activation %q for %s", name, fam.ModelType)
	}
	return act, nil
}

// linearOf is where the linear map t goes in m.
func (m *Model) linearOf(t arch.Tensor) *linear {
	switch t.Role {
	case arch.Embedding:
		return &m.embed
	case arch.Positions:
		m.posEmb = new(linear)
		return m.posEmb
	case arch.Head:
		return &m.head
	}
	l := &m.layers[t.Layer]
	switch t.Role {
	case arch.Q:
		return &l.q
	case arch.K:
		return &l.k
	case arch.V:
		return &l.v
	case arch.O:
		return &l.o
	case arch.Gate:
		return &l.gate
	case arch.Up:
		return &l.up
	case arch.Down:
		return &l.down
	case arch.FC1:
		return &l.fc1
	case arch.FC2:
		return &l.fc2
	}
	panic(fmt.Sprintf("model: tensor %q has role %d, not a linear map", t.Name, t.Role))
}

// normOf is where the norm t goes in m.
func (m *Model) normOf(t arch.Tensor) *norm {
	if t.Role == arch.FinalNorm {
		return &m.final
	}
	l := &m.layers[t.Layer]
	switch t.Role {
	case arch.AttnNorm:
		return &l.attnNorm
	case arch.MLPNorm:
		return &l.mlpNorm
	case arch.QNorm:
		l.qNorm = new(norm)
		return l.qNorm
	case arch.KNorm:
		l.kNorm = new(norm)
		return l.kNorm
	}
	panic(fmt.Sprintf("model: tensor %q has role %d, not a norm", t.Name, t.Role))
}

// splitRows cuts a fused projection into its q [qd×in], k and v [kvd×in]
// parts.
func splitRows(l linear, qd, kvd int) (q, k, v linear) {
	part := func(r0, n int) linear {
		p := l
		p.out = n
		if l.f32 != nil {
			p.f32 = l.f32[r0*l.in : (r0+n)*l.in]
		} else if l.u16 != nil {
			p.u16 = l.u16[r0*l.in : (r0+n)*l.in]
		} else {
			rb := l.rowBytes()
			p.q = l.q[r0*rb : (r0+n)*rb]
		}
		p.m = l.m.Rows(r0, n)
		if l.bias != nil {
			p.bias = l.bias[r0 : r0+n]
		}
		return p
	}
	return part(0, qd), part(qd, kvd), part(qd+kvd, kvd)
}
