package llama2c

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// llama2.c's fixed choices, which its files do not record.
const (
	normEps   = 1e-5
	ropeTheta = 10000.0
	bosID     = 1
	eosID     = 2
)

// hfConfig is the config.json of a converted model.
type hfConfig struct {
	Architectures    []string `json:"architectures"`
	ModelType        string   `json:"model_type"`
	VocabSize        int      `json:"vocab_size"`
	HiddenSize       int      `json:"hidden_size"`
	Intermediate     int      `json:"intermediate_size"`
	Layers           int      `json:"num_hidden_layers"`
	Heads            int      `json:"num_attention_heads"`
	KVHeads          int      `json:"num_key_value_heads"`
	HeadDim          int      `json:"head_dim"`
	MaxPositions     int      `json:"max_position_embeddings"`
	NormEps          float64  `json:"rms_norm_eps"`
	RopeTheta        float64  `json:"rope_theta"`
	HiddenAct        string   `json:"hidden_act"`
	TieEmbeddings    bool     `json:"tie_word_embeddings"`
	AttentionBias    bool     `json:"attention_bias"`
	MLPBias          bool     `json:"mlp_bias"`
	BOS              int      `json:"bos_token_id"`
	EOS              int      `json:"eos_token_id"`
	DType            string   `json:"torch_dtype"`
	InitializerRange float64  `json:"initializer_range"`
	UseCache         bool     `json:"use_cache"`
}

// WriteHF writes c and its tokenizer v as an HF Llama model folder in dir
// (created if needed; files of the same names are replaced, and a
// model.safetensors.index.json, which loaders would prefer, is removed):
// config.json, model.safetensors (F32), tokenizer.json,
// tokenizer_config.json and generation_config.json.
//
// generation_config.json lists both </s> and <s> as end tokens, because
// llama2.c models end a story by starting the next one (llama2.c's run
// stops at BOS).
func WriteHF(dir string, c *Checkpoint, v *Vocab) error {
	cfg := &c.Config
	if len(v.Pieces) != cfg.VocabSize {
		return fmt.Errorf("llama2c: the tokenizer has %d tokens but the model's vocab_size is %d", len(v.Pieces), cfg.VocabSize)
	}
	tok, err := tokenizerJSON(v)
	if err != nil {
		return fmt.Errorf("llama2c: tokenizer: %w", err)
	}
	files := []struct {
		name string
		v    any
	}{
		{"config.json", hfConfig{
			Architectures: []string{"LlamaForCausalLM"}, ModelType: "llama",
			VocabSize: cfg.VocabSize, HiddenSize: cfg.Dim, Intermediate: cfg.Hidden,
			Layers: cfg.Layers, Heads: cfg.Heads, KVHeads: cfg.KVHeads, HeadDim: cfg.HeadDim(),
			MaxPositions: cfg.SeqLen, NormEps: normEps, RopeTheta: ropeTheta, HiddenAct: "silu",
			TieEmbeddings: cfg.SharedClassifier, BOS: bosID, EOS: eosID, DType: "float32",
			InitializerRange: 0.02, UseCache: true,
		}},
		{"generation_config.json", map[string]any{"bos_token_id": bosID, "eos_token_id": []int{eosID, bosID}}},
		{"tokenizer_config.json", map[string]any{
			"tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": true, "add_eos_token": false,
			"bos_token": specialPieces[bosID], "eos_token": specialPieces[eosID], "unk_token": specialPieces[0],
			"model_max_length": cfg.SeqLen, "clean_up_tokenization_spaces": false,
		}},
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("llama2c: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644); err != nil {
		return fmt.Errorf("llama2c: %w", err)
	}
	for _, f := range files {
		data, err := marshalJSON(f.v)
		if err != nil {
			return fmt.Errorf("llama2c: %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), data, 0o644); err != nil {
			return fmt.Errorf("llama2c: %w", err)
		}
	}
	if err := os.Remove(filepath.Join(dir, "model.safetensors.index.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("llama2c: %w", err)
	}
	if err := writeSafetensors(filepath.Join(dir, "model.safetensors"), c.hfTensors()); err != nil {
		return fmt.Errorf("llama2c: %s: %w", filepath.Join(dir, "model.safetensors"), err)
	}
	return nil
}

// hfTensors names c's weights as HF Llama does, with the query and key
// rows permuted for "rotate half" RoPE.
func (c *Checkpoint) hfTensors() []tensor {
	cfg := &c.Config
	d, kv, h, hd := cfg.Dim, cfg.KVDim(), cfg.Hidden, cfg.HeadDim()
	ts := []tensor{{"model.embed_tokens.weight", []int{cfg.VocabSize, d}, c.Embedding}}
	for i, l := range c.Layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			tensor{p + "input_layernorm.weight", []int{d}, l.AttnNorm},
			tensor{p + "self_attn.q_proj.weight", []int{d, d}, rotateHalfRows(l.WQ, cfg.Heads, hd, d)},
			tensor{p + "self_attn.k_proj.weight", []int{kv, d}, rotateHalfRows(l.WK, cfg.KVHeads, hd, d)},
			tensor{p + "self_attn.v_proj.weight", []int{kv, d}, l.WV},
			tensor{p + "self_attn.o_proj.weight", []int{d, d}, l.WO},
			tensor{p + "post_attention_layernorm.weight", []int{d}, l.FFNNorm},
			tensor{p + "mlp.gate_proj.weight", []int{h, d}, l.W1},
			tensor{p + "mlp.up_proj.weight", []int{h, d}, l.W3},
			tensor{p + "mlp.down_proj.weight", []int{d, h}, l.W2},
		)
	}
	ts = append(ts, tensor{"model.norm.weight", []int{d}, c.FinalNorm})
	if !cfg.SharedClassifier {
		ts = append(ts, tensor{"lm_head.weight", []int{cfg.VocabSize, d}, c.Classifier})
	}
	return ts
}
