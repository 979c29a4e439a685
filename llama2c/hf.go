package llama2c

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/internal/atomicfile"
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
// tokenizer_config.json and generation_config.json. The files are made in a
// temporary folder beside dir and moved in only once all are written
// (internal/atomicfile.WriteDir), so a failure leaves dir as it was; so
// does cancelling ctx, which stops the write before the next tensor and
// returns ctx's error.
//
// generation_config.json lists both </s> and <s> as end tokens, because
// llama2.c models end a story by starting the next one (llama2.c's run
// stops at BOS).
func WriteHF(ctx context.Context, dir string, c *Checkpoint, v *Vocab) error {
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
			Architectures: []string{arch.Llama.Class}, ModelType: arch.Llama.ModelType,
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
	err = atomicfile.WriteDir(dir, func(tmp string) error {
		if err := os.WriteFile(filepath.Join(tmp, "tokenizer.json"), tok, 0o644); err != nil {
			return err
		}
		for _, f := range files {
			data, err := marshalJSON(f.v)
			if err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
			if err := os.WriteFile(filepath.Join(tmp, f.name), data, 0o644); err != nil {
				return err
			}
		}
		if err := writeSafetensors(ctx, filepath.Join(tmp, "model.safetensors"), c.hfTensors()); err != nil {
			return fmt.Errorf("model.safetensors: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("llama2c: %w", err)
	}
	if err := os.Remove(filepath.Join(dir, "model.safetensors.index.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("llama2c: %w", err)
	}
	return nil
}

// hfArch is c as the config of an HF Llama (the sizes its tensors need).
func (c *Config) hfArch() arch.Config {
	return arch.Config{
		ModelType: arch.Llama.ModelType, VocabSize: c.VocabSize, Hidden: c.Dim, Intermediate: c.Hidden,
		Layers: c.Layers, Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim(),
		TieEmbeddings: c.SharedClassifier,
	}
}

// hfTensors names c's weights as HF Llama does (arch.Llama's list), with
// the query and key rows permuted for "rotate half" RoPE.
func (c *Checkpoint) hfTensors() []tensor {
	hf := c.Config.hfArch()
	list := arch.Llama.Tensors(&hf, nil)
	ts := make([]tensor, len(list))
	for i, t := range list {
		ts[i] = tensor{t.WeightName(), t.WeightShape(), c.weight(t)}
	}
	return ts
}

// weight is the data of tensor t; nil for a role llama2.c files lack,
// which writeSafetensors then reports.
func (c *Checkpoint) weight(t arch.Tensor) []float32 {
	switch t.Role {
	case arch.Embedding:
		return c.Embedding
	case arch.FinalNorm:
		return c.FinalNorm
	case arch.Head:
		return c.Classifier
	}
	cfg, l := &c.Config, &c.Layers[t.Layer]
	switch t.Role {
	case arch.AttnNorm:
		return l.AttnNorm
	case arch.MLPNorm:
		return l.FFNNorm
	case arch.Q:
		return rotateHalfRows(l.WQ, cfg.Heads, cfg.HeadDim(), cfg.Dim)
	case arch.K:
		return rotateHalfRows(l.WK, cfg.KVHeads, cfg.HeadDim(), cfg.Dim)
	case arch.V:
		return l.WV
	case arch.O:
		return l.WO
	case arch.Gate:
		return l.W1
	case arch.Up:
		return l.W3
	case arch.Down:
		return l.W2
	}
	return nil
}
