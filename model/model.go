// Package model runs decoder-only Transformers (GPT-2, the Llama family —
// Llama, Mistral, Qwen2, Qwen3 — and Phi) from a loaded HF checkpoint: the
// forward pass for prefill and decode over a KV cache, with the attention
// kernel of each layer chosen by an attention.Plan.
package model

import (
	"fmt"
	"math"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/loader"
)

// Model is a loaded checkpoint ready to run. Its weights stay in their
// stored dtype (memory-mapped); a Model is read-only during inference and
// can serve several States one at a time.
type Model struct {
	Config *loader.Config

	hidden, heads, kvHeads, headDim int
	traits                          arch.Traits     // of the architecture's family
	act                             func([]float32) // of an ungated MLP

	embed  linear  // [vocab × hidden]
	posEmb *linear // gpt2 learned positions, nil otherwise
	layers []layer
	final  norm
	head   linear // [vocab × hidden]; the embedding when tied
	rope   *rope  // nil for learned positions
}

type layer struct {
	attnNorm, mlpNorm norm
	q, k, v, o        linear
	qNorm, kNorm      *norm // qwen3: RMSNorm over each head's vector
	gate, up, down    linear
	fc1, fc2          linear
}

// Load builds a Model from an opened checkpoint, checking every tensor the
// architecture needs (its arch.Family's list) against the config's shapes.
func Load(c *loader.Checkpoint) (*Model, error) { return LoadWith(c, LoadOptions{}) }

// load is LoadWith once the options are checked.
func load(c *loader.Checkpoint, o LoadOptions) (*Model, error) {
	b, err := newBuilder(c)
	if err != nil {
		return nil, err
	}
	cfg := c.Config
	fam, err := arch.Lookup(cfg.ModelType)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m := &Model{
		Config:  cfg,
		hidden:  cfg.Hidden,
		heads:   cfg.Heads,
		kvHeads: cfg.KVHeads,
		headDim: cfg.HeadDim,
		traits:  fam.Traits,
	}
	if o.Convert {
		b.conv = newConverter(o, c.Layout(fam))
	}
	if err := m.load(b, fam); err != nil {
		return nil, fmt.Errorf("model (%s): %w", cfg.ModelType, err)
	}
	return m, nil
}

// VocabSize is the number of logits per position.
func (m *Model) VocabSize() int { return m.head.out }

// Layers is the number of decoder layers.
func (m *Model) Layers() int { return len(m.layers) }

// DecodeWeightBytes is the weight bytes one decode step reads: every
// matrix of the layers and the head in full (of the embedding one row, not
// counted), as stored after any --weights conversion.
func (m *Model) DecodeWeightBytes() int64 {
	n := m.head.bytes()
	for i := range m.layers {
		l := &m.layers[i]
		for _, w := range []*linear{&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down, &l.fc1, &l.fc2} {
			n += w.bytes()
		}
	}
	return n
}

// HiddenSize is the width of the residual stream.
func (m *Model) HiddenSize() int { return m.hidden }

// attentionScale is the softmax temperature: 1/sqrt(head_dim).
func (m *Model) attentionScale() float32 { return float32(1 / math.Sqrt(float64(m.headDim))) }
