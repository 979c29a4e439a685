package arch

import "fmt"

// GPT2 is GPT-2: learned positions, LayerNorm, biases everywhere, fused
// q/k/v, gelu_new MLP, projections stored as Conv1D ([in × out]).
var GPT2 = &Family{
	ModelType: "gpt2",
	Class:     "GPT2LMHeadModel",
	GGUF:      "gpt2",
	Acts:      geluActs,
	Traits:    Traits{Norm: LayerNorm, LearnedPositions: true},

	ReadConfig: readGPT2,
	Tensors:    gpt2Tensors,
	ReadGGUF:   readGPT2GGUF,
}

func init() { register(GPT2) }

// readGPT2 reads GPT-2's own key names (the generic ones are accepted too).
func readGPT2(r Reader, c *Config) {
	c.TieEmbeddings = r.Bool(true, "tie_word_embeddings")
	c.Hidden = r.Int(0, "n_embd", "hidden_size")
	c.Layers = r.Int(0, "n_layer", "num_hidden_layers")
	c.Heads = r.Int(0, "n_head", "num_attention_heads")
	c.KVHeads = c.Heads
	if c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
	c.Intermediate = r.Int(4*c.Hidden, "n_inner", "intermediate_size")
	c.MaxPositions = r.Int(1024, "n_positions", "max_position_embeddings")
	c.NormEps = r.Float(1e-5, "layer_norm_epsilon", "layer_norm_eps")
	c.Act = r.String("gelu_new", "activation_function", "hidden_act")
	c.AttentionBias, c.MLPBias = true, true
}

// readGPT2GGUF reads a GGUF gpt2 file: LayerNorm epsilon, no RoPE, the
// tanh GELU llama.cpp applies, biases everywhere.
func readGPT2GGUF(r Reader, c *Config, has func(string) bool) {
	readGGUFSizes(r, c, "attention.layer_norm_epsilon")
	readGGUFHead(c, has)
	c.Act = "gelu_new"
	c.AttentionBias, c.MLPBias = true, true
	c.Rope = RopeScaling{Type: "none"}
}

// gpt2Tensors names tensors with or without "transformer." (checkpoints
// of GPT2Model lack it); the head is "lm_head" either way.
func gpt2Tensors(c *Config, has func(string) bool) []Tensor {
	pre := "transformer."
	if has != nil && !has(pre+"wte.weight") && has("wte.weight") {
		pre = ""
	}
	s := sizesOf(c)
	ts := []Tensor{
		{Role: Embedding, Layer: -1, Name: pre + "wte", Out: c.VocabSize, In: s.h},
		{Role: Positions, Layer: -1, Name: pre + "wpe", Out: c.MaxPositions, In: s.h},
	}
	for i := range c.Layers {
		p := fmt.Sprintf("%sh.%d.", pre, i)
		ts = append(ts,
			Tensor{Role: AttnNorm, Layer: i, Name: p + "ln_1", Out: s.h, Bias: true},
			Tensor{Role: MLPNorm, Layer: i, Name: p + "ln_2", Out: s.h, Bias: true},
			Tensor{Role: QKV, Layer: i, Name: p + "attn.c_attn", Out: 3 * s.h, In: s.h, Bias: true, Transposed: true},
			Tensor{Role: O, Layer: i, Name: p + "attn.c_proj", Out: s.h, In: s.h, Bias: true, Transposed: true},
			Tensor{Role: FC1, Layer: i, Name: p + "mlp.c_fc", Out: s.inter, In: s.h, Bias: true, Transposed: true},
			Tensor{Role: FC2, Layer: i, Name: p + "mlp.c_proj", Out: s.h, In: s.inter, Bias: true, Transposed: true},
		)
	}
	ts = append(ts, Tensor{Role: FinalNorm, Layer: -1, Name: pre + "ln_f", Out: s.h, Bias: true})
	return append(ts, head(c, false)...)
}
