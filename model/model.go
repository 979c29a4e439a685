// Package model runs decoder-only Transformers (GPT-2, the Llama family —
// Llama, Mistral, Qwen2, Qwen3 — and Phi) from a loaded HF checkpoint: the
// forward pass for prefill and decode over a KV cache, with the attention
// kernel of each layer chosen by an attention.Plan.
package model

import (
	"fmt"
	"math"

	"github.com/gollm/gollm/loader"
)

// Supported lists the config.json model_type values gollm runs.
var Supported = []string{"gpt2", "llama", "mistral", "qwen2", "qwen3", "phi"}

// Model is a loaded checkpoint ready to run. Its weights stay in their
// stored dtype (memory-mapped); a Model is read-only during inference and
// can serve several States one at a time.
type Model struct {
	Config *loader.Config

	hidden, heads, kvHeads, headDim int
	normKind                        normKind
	parallelBlock                   bool // phi: attention and MLP read the same normed input
	gated                           bool // SwiGLU MLP (llama family) vs fc1→act→fc2
	act                             func([]float32)

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

type normKind int

const (
	rmsNorm normKind = iota
	layerNorm
)

// Load builds a Model from an opened checkpoint, checking every tensor the
// architecture needs against the config's shapes.
func Load(c *loader.Checkpoint) (*Model, error) {
	cfg := c.Config
	b, err := newBuilder(c)
	if err != nil {
		return nil, err
	}
	m := &Model{
		Config:  cfg,
		hidden:  cfg.Hidden,
		heads:   cfg.Heads,
		kvHeads: cfg.KVHeads,
		headDim: cfg.HeadDim,
	}
	switch cfg.ModelType {
	case "gpt2":
		err = m.loadGPT2(b)
	case "llama", "mistral", "qwen2", "qwen3":
		err = m.loadLlama(b)
	case "phi":
		err = m.loadPhi(b)
	default:
		err = fmt.Errorf("unsupported model_type %q (supported: %v)", cfg.ModelType, Supported)
	}
	if err != nil {
		return nil, fmt.Errorf("model (%s): %w", cfg.ModelType, err)
	}
	return m, nil
}

// VocabSize is the number of logits per position.
func (m *Model) VocabSize() int { return m.head.out }

// Layers is the number of decoder layers.
func (m *Model) Layers() int { return len(m.layers) }

// HiddenSize is the width of the residual stream.
func (m *Model) HiddenSize() int { return m.hidden }

// attentionScale is the softmax temperature: 1/sqrt(head_dim).
func (m *Model) attentionScale() float32 { return float32(1 / math.Sqrt(float64(m.headDim))) }
