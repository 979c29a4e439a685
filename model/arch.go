package model

import (
	"fmt"
)

// loadLlama reads Llama, Mistral, Qwen2 and Qwen3 checkpoints: RMSNorm,
// rotary positions, SwiGLU MLP, optional q/k/v(/o) biases, Qwen3's per-head
// q/k RMSNorm.
func (m *Model) loadLlama(b *builder) error {
	c := b.c.Config
	if c.Act != "silu" && c.Act != "swish" {
		return fmt.Errorf("unsupported hidden_act %q for %s (want silu)", c.Act, c.ModelType)
	}
	m.normKind, m.gated = rmsNorm, true
	h, qd, kvd := c.Hidden, c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	qkvBias := c.AttentionBias || c.ModelType == "qwen2"
	oBias := c.AttentionBias && c.ModelType != "qwen2"
	m.embed = b.linear("model.embed_tokens", c.VocabSize, h, false)
	m.layers = make([]layer, c.Layers)
	for i := range m.layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		l := &m.layers[i]
		l.attnNorm = b.norm(p+"input_layernorm", rmsNorm, h, c.NormEps)
		l.mlpNorm = b.norm(p+"post_attention_layernorm", rmsNorm, h, c.NormEps)
		l.q = b.linear(p+"self_attn.q_proj", qd, h, qkvBias)
		l.k = b.linear(p+"self_attn.k_proj", kvd, h, qkvBias)
		l.v = b.linear(p+"self_attn.v_proj", kvd, h, qkvBias)
		l.o = b.linear(p+"self_attn.o_proj", h, qd, oBias)
		if c.ModelType == "qwen3" {
			qn := b.norm(p+"self_attn.q_norm", rmsNorm, c.HeadDim, c.NormEps)
			kn := b.norm(p+"self_attn.k_norm", rmsNorm, c.HeadDim, c.NormEps)
			l.qNorm, l.kNorm = &qn, &kn
		}
		l.gate = b.linear(p+"mlp.gate_proj", c.Intermediate, h, c.MLPBias)
		l.up = b.linear(p+"mlp.up_proj", c.Intermediate, h, c.MLPBias)
		l.down = b.linear(p+"mlp.down_proj", h, c.Intermediate, c.MLPBias)
	}
	m.final = b.norm("model.norm", rmsNorm, h, c.NormEps)
	m.head = b.head(m.embed, c.VocabSize, h, false)
	if b.err != nil {
		return b.err
	}
	var err error
	m.rope, err = newRope(c, c.HeadDim)
	return err
}

// loadPhi reads Phi-1/1.5/2: LayerNorm with bias, one norm feeding attention
// and MLP in parallel, partial rotary, biases everywhere, gelu_new.
func (m *Model) loadPhi(b *builder) error {
	c := b.c.Config
	act, err := activation(c.Act)
	if err != nil || act == nil {
		return fmt.Errorf("unsupported hidden_act %q for phi", c.Act)
	}
	m.normKind, m.parallelBlock, m.act = layerNorm, true, act
	h, qd, kvd := c.Hidden, c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	m.embed = b.linear("model.embed_tokens", c.VocabSize, h, false)
	m.layers = make([]layer, c.Layers)
	for i := range m.layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		l := &m.layers[i]
		l.attnNorm = b.norm(p+"input_layernorm", layerNorm, h, c.NormEps)
		l.q = b.linear(p+"self_attn.q_proj", qd, h, true)
		l.k = b.linear(p+"self_attn.k_proj", kvd, h, true)
		l.v = b.linear(p+"self_attn.v_proj", kvd, h, true)
		l.o = b.linear(p+"self_attn.dense", h, qd, true)
		if b.c.Has(p + "self_attn.q_layernorm.weight") {
			qn := b.norm(p+"self_attn.q_layernorm", layerNorm, c.HeadDim, c.NormEps)
			kn := b.norm(p+"self_attn.k_layernorm", layerNorm, c.HeadDim, c.NormEps)
			l.qNorm, l.kNorm = &qn, &kn
		}
		l.fc1 = b.linear(p+"mlp.fc1", c.Intermediate, h, true)
		l.fc2 = b.linear(p+"mlp.fc2", h, c.Intermediate, true)
	}
	m.final = b.norm("model.final_layernorm", layerNorm, h, c.NormEps)
	m.head = b.head(m.embed, c.VocabSize, h, true)
	if b.err != nil {
		return b.err
	}
	m.rope, err = newRope(c, c.HeadDim)
	return err
}

// loadGPT2 reads GPT-2: learned positions, LayerNorm, fused Conv1D qkv,
// gelu_new MLP. Checkpoints name tensors with or without "transformer.".
func (m *Model) loadGPT2(b *builder) error {
	c := b.c.Config
	act, err := activation(c.Act)
	if err != nil || act == nil {
		return fmt.Errorf("unsupported activation_function %q for gpt2", c.Act)
	}
	m.normKind, m.act = layerNorm, act
	pre := "transformer."
	if !b.c.Has(pre+"wte.weight") && b.c.Has("wte.weight") {
		pre = ""
	}
	h := c.Hidden
	m.embed = b.linear(pre+"wte", c.VocabSize, h, false)
	pos := b.linear(pre+"wpe", c.MaxPositions, h, false)
	m.posEmb = &pos
	m.layers = make([]layer, c.Layers)
	for i := range m.layers {
		p := fmt.Sprintf("%sh.%d.", pre, i)
		l := &m.layers[i]
		l.attnNorm = b.norm(p+"ln_1", layerNorm, h, c.NormEps)
		l.mlpNorm = b.norm(p+"ln_2", layerNorm, h, c.NormEps)
		qkv := b.conv1D(p+"attn.c_attn", h, 3*h)
		if b.err == nil {
			l.q, l.k, l.v = splitRows(qkv, h)
		}
		l.o = b.conv1D(p+"attn.c_proj", h, h)
		l.fc1 = b.conv1D(p+"mlp.c_fc", h, c.Intermediate)
		l.fc2 = b.conv1D(p+"mlp.c_proj", c.Intermediate, h)
	}
	m.final = b.norm(pre+"ln_f", layerNorm, h, c.NormEps)
	m.head = b.head(m.embed, c.VocabSize, h, false)
	return b.err
}

// splitRows cuts a fused [3n×in] projection into three [n×in] ones.
func splitRows(l linear, n int) (q, k, v linear) {
	part := func(i int) linear {
		p := l
		p.out = n
		if l.f32 != nil {
			p.f32 = l.f32[i*n*l.in : (i+1)*n*l.in]
		} else {
			p.u16 = l.u16[i*n*l.in : (i+1)*n*l.in]
		}
		if l.bias != nil {
			p.bias = l.bias[i*n : (i+1)*n]
		}
		return p
	}
	return part(0), part(1), part(2)
}
