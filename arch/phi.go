package arch

import "fmt"

// Phi is Phi-1, 1.5 and 2: LayerNorm with bias, one norm feeding
// attention and the MLP in parallel, partial rotary, biases everywhere,
// gelu_new MLP.
var Phi = &Family{
	ModelType:     "phi",
	Class:         "PhiForCausalLM",
	GGUF:          "phi2",
	Acts:          geluActs,
	PartialRotary: 0.5,
	Traits:        Traits{Norm: LayerNorm, ParallelBlock: true},

	ReadConfig: readPhi,
	Tensors:    phiTensors,
	ReadGGUF:   readPhiGGUF,
}

func init() { register(Phi) }

// readPhi reads PhiConfig's keys; its q/k LayerNorm variant is refused.
func readPhi(r Reader, c *Config) {
	c.TieEmbeddings = r.Bool(false, "tie_word_embeddings")
	readRotarySizes(r, c, 2048, 1e-5)
	c.Act = r.String("gelu_new", "hidden_act")
	c.AttentionBias, c.MLPBias = true, true
	refuse(r, "qk_layernorm")
}

// readPhiGGUF reads a GGUF phi2 file: LayerNorm epsilon, partial rotary
// from rope.dimension_count in HF's halves layout, the tanh GELU, biases
// everywhere.
func readPhiGGUF(r Reader, c *Config, has func(string) bool) {
	readGGUFSizes(r, c, "attention.layer_norm_epsilon")
	readGGUFRope(r, c)
	readGGUFHead(c, has)
	c.Act = "gelu_new"
	c.AttentionBias, c.MLPBias = true, true
}

// phiTensors lists a Phi checkpoint. Per-head q/k LayerNorms are read
// when the checkpoint holds them.
func phiTensors(c *Config, has func(string) bool) []Tensor {
	s := sizesOf(c)
	ts := []Tensor{{Role: Embedding, Layer: -1, Name: "model.embed_tokens", Out: c.VocabSize, In: s.h}}
	for i := range c.Layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			Tensor{Role: AttnNorm, Layer: i, Name: p + "input_layernorm", Out: s.h, Bias: true},
			Tensor{Role: Q, Layer: i, Name: p + "self_attn.q_proj", Out: s.qd, In: s.h, Bias: true},
			Tensor{Role: K, Layer: i, Name: p + "self_attn.k_proj", Out: s.kvd, In: s.h, Bias: true},
			Tensor{Role: V, Layer: i, Name: p + "self_attn.v_proj", Out: s.kvd, In: s.h, Bias: true},
			Tensor{Role: O, Layer: i, Name: p + "self_attn.dense", Out: s.h, In: s.qd, Bias: true},
		)
		if has != nil && has(p+"self_attn.q_layernorm.weight") {
			ts = append(ts,
				Tensor{Role: QNorm, Layer: i, Name: p + "self_attn.q_layernorm", Out: c.HeadDim, Bias: true},
				Tensor{Role: KNorm, Layer: i, Name: p + "self_attn.k_layernorm", Out: c.HeadDim, Bias: true},
			)
		}
		ts = append(ts,
			Tensor{Role: FC1, Layer: i, Name: p + "mlp.fc1", Out: s.inter, In: s.h, Bias: true},
			Tensor{Role: FC2, Layer: i, Name: p + "mlp.fc2", Out: s.h, In: s.inter, Bias: true},
		)
	}
	ts = append(ts, Tensor{Role: FinalNorm, Layer: -1, Name: "model.final_layernorm", Out: s.h, Bias: true})
	return append(ts, head(c, true)...)
}
