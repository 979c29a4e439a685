package arch

import "fmt"

// The Llama family: RMSNorm, rotary positions, SwiGLU MLP. Its members
// differ in their config defaults, biases, q/k norm and windows.
var (
	// Llama reads attention_bias (q, k, v and o) and mlp_bias.
	Llama = llamaFamily(llamaVariant{modelType: "llama", class: "LlamaForCausalLM", gguf: "llama", maxPositions: 2048,
		read: func(r Reader, c *Config) {
			c.AttentionBias = r.Bool(false, "attention_bias")
			c.MLPBias = r.Bool(false, "mlp_bias")
		}})
	// Mistral has no biases and a sliding window (absent: the class
	// default 4096; null: none).
	Mistral = llamaFamily(llamaVariant{modelType: "mistral", class: "MistralForCausalLM", gguf: "llama", maxPositions: 32768,
		read: func(r Reader, c *Config) {
			if !r.Present("sliding_window") {
				c.SlidingWindow = 4096
			}
			c.SlidingWindow = r.Int(c.SlidingWindow, "sliding_window")
		}})
	// Qwen2 always has q, k and v biases and never an o bias. Its window
	// applies to a subset of layers, which Config cannot express, so
	// enabling it is refused.
	Qwen2 = llamaFamily(llamaVariant{modelType: "qwen2", class: "Qwen2ForCausalLM", gguf: "qwen2", maxPositions: 32768,
		qkvBiasOnly: true,
		read: func(r Reader, c *Config) {
			c.AttentionBias = true
			refuse(r, "use_sliding_window")
		}})
	// Qwen3 reads attention_bias and norms q and k per head; its window
	// is refused as Qwen2's.
	Qwen3 = llamaFamily(llamaVariant{modelType: "qwen3", class: "Qwen3ForCausalLM", gguf: "qwen3", maxPositions: 32768,
		qkNorm: true,
		read: func(r Reader, c *Config) {
			c.AttentionBias = r.Bool(false, "attention_bias")
			refuse(r, "use_sliding_window")
		}})
)

func init() {
	for _, f := range []*Family{Llama, Mistral, Qwen2, Qwen3} {
		register(f)
	}
}

// llamaVariant is what sets a member of the Llama family apart.
type llamaVariant struct {
	modelType, class, gguf string
	maxPositions           int  // max_position_embeddings when absent
	qkvBiasOnly            bool // the attention bias is on q, k and v, not o
	qkNorm                 bool
	read                   func(Reader, *Config) // biases and windows
}

// llamaFamily builds the Family of a member of the Llama family.
func llamaFamily(v llamaVariant) *Family {
	return &Family{
		ModelType:     v.modelType,
		Class:         v.class,
		GGUF:          v.gguf,
		Acts:          []string{"silu"},
		PartialRotary: 1,
		Traits:        Traits{Norm: RMSNorm, GatedMLP: true, QKNorm: v.qkNorm},
		ReadConfig: func(r Reader, c *Config) {
			c.TieEmbeddings = r.Bool(false, "tie_word_embeddings")
			readRotarySizes(r, c, v.maxPositions, 1e-6)
			c.Act = r.String("silu", "hidden_act")
			v.read(r, c)
		},
		Tensors:  func(c *Config, _ func(string) bool) []Tensor { return v.tensors(c) },
		ReadGGUF: v.readGGUF,
	}
}

// readGGUF reads a GGUF file of the variant. llama.cpp's converter
// permutes llama's q and k rows for adjacent-pair RoPE; qwen2 and qwen3
// keep HF's halves. Biases are read where the file has them (qwen2's q,
// k and v biases always).
func (v llamaVariant) readGGUF(r Reader, c *Config, has func(string) bool) {
	readGGUFSizes(r, c, "attention.layer_norm_rms_epsilon")
	readGGUFRope(r, c)
	readGGUFHead(c, has)
	c.Act = "silu"
	c.RopeInterleaved = ggufPairsRope(v.gguf)
	c.AttentionBias = v.qkvBiasOnly || has(ggufName(Q, 0)+".bias") || has(ggufName(QKV, 0)+".bias")
	c.MLPBias = has(ggufName(Up, 0) + ".bias")
}

// tensors lists a checkpoint of the variant, named as transformers does.
func (v llamaVariant) tensors(c *Config) []Tensor {
	s := sizesOf(c)
	qkvBias := c.AttentionBias
	oBias := c.AttentionBias && !v.qkvBiasOnly
	ts := []Tensor{{Role: Embedding, Layer: -1, Name: "model.embed_tokens", Out: c.VocabSize, In: s.h}}
	for i := range c.Layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			Tensor{Role: AttnNorm, Layer: i, Name: p + "input_layernorm", Out: s.h},
			Tensor{Role: MLPNorm, Layer: i, Name: p + "post_attention_layernorm", Out: s.h},
			Tensor{Role: Q, Layer: i, Name: p + "self_attn.q_proj", Out: s.qd, In: s.h, Bias: qkvBias},
			Tensor{Role: K, Layer: i, Name: p + "self_attn.k_proj", Out: s.kvd, In: s.h, Bias: qkvBias},
			Tensor{Role: V, Layer: i, Name: p + "self_attn.v_proj", Out: s.kvd, In: s.h, Bias: qkvBias},
			Tensor{Role: O, Layer: i, Name: p + "self_attn.o_proj", Out: s.h, In: s.qd, Bias: oBias},
		)
		if v.qkNorm {
			ts = append(ts,
				Tensor{Role: QNorm, Layer: i, Name: p + "self_attn.q_norm", Out: c.HeadDim},
				Tensor{Role: KNorm, Layer: i, Name: p + "self_attn.k_norm", Out: c.HeadDim},
			)
		}
		ts = append(ts,
			Tensor{Role: Gate, Layer: i, Name: p + "mlp.gate_proj", Out: s.inter, In: s.h, Bias: c.MLPBias},
			Tensor{Role: Up, Layer: i, Name: p + "mlp.up_proj", Out: s.inter, In: s.h, Bias: c.MLPBias},
			Tensor{Role: Down, Layer: i, Name: p + "mlp.down_proj", Out: s.h, In: s.inter, Bias: c.MLPBias},
		)
	}
	ts = append(ts, Tensor{Role: FinalNorm, Layer: -1, Name: "model.norm", Out: s.h})
	return append(ts, head(c, false)...)
}
