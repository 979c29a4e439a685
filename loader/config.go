package loader

import (
	"fmt"
	"slices"
	"strings"
)

// Config is an HF config.json normalised across transformers 4 and 5 and
// across the supported architectures. Absent keys take the defaults of the
// architecture's transformers config class.
type Config struct {
	ModelType     string   `json:"model_type"`    // gpt2 | llama | mistral | qwen2 | qwen3 | phi
	Architectures []string `json:"architectures"` // e.g. ["LlamaForCausalLM"]

	VocabSize    int `json:"vocab_size"`
	Hidden       int `json:"hidden_size"`       // hidden_size | n_embd
	Intermediate int `json:"intermediate_size"` // intermediate_size | n_inner (gpt2: 4*hidden when null)
	Layers       int `json:"num_hidden_layers"`
	Heads        int `json:"num_attention_heads"`
	KVHeads      int `json:"num_key_value_heads"`     // num_key_value_heads, Heads when absent
	HeadDim      int `json:"head_dim"`                // head_dim, Hidden/Heads when absent
	MaxPositions int `json:"max_position_embeddings"` // max_position_embeddings | n_positions: the context length

	NormEps float64 `json:"norm_eps"` // rms_norm_eps | layer_norm_eps | layer_norm_epsilon
	Act     string  `json:"act"`      // hidden_act | activation_function ("swish" is reported as "silu")

	// RopeTheta is rope_theta (v4) or rope_parameters.rope_theta (v5),
	// 10000 when absent; 0 for gpt2, which has learned absolute positions.
	RopeTheta float64 `json:"rope_theta"`
	// Rope is the RoPE scaling from rope_scaling (v4) or rope_parameters
	// (v5); Type "default" when absent, "none" for gpt2.
	Rope RopeScaling `json:"rope"`
	// PartialRotary is the fraction of each head's dimensions that are
	// rotated (partial_rotary_factor, top level or in rope_parameters):
	// 1 when absent, except phi whose default is 0.5; 0 for gpt2.
	PartialRotary float64 `json:"partial_rotary_factor"`
	// SlidingWindow is the attention window in tokens (mistral's
	// sliding_window); 0 means full causal attention.
	SlidingWindow int `json:"sliding_window"`

	TieEmbeddings bool `json:"tie_word_embeddings"` // tie_word_embeddings; absent: true for gpt2, false otherwise
	// AttentionBias: the attention projections carry biases. llama and
	// qwen3 read attention_bias (all of q, k, v, o); qwen2 is always true
	// for q, k, v but not o; phi and gpt2 are always true; mistral false.
	AttentionBias bool `json:"attention_bias"`
	// MLPBias: the MLP projections carry biases (llama's mlp_bias; true for
	// phi and gpt2; false otherwise).
	MLPBias bool `json:"mlp_bias"`

	DType string `json:"dtype"`        // torch_dtype | dtype, "torch." prefix removed; "" when absent
	BOS   int    `json:"bos_token_id"` // bos_token_id, -1 when absent
	EOS   []int  `json:"eos_token_id"` // eos_token_id, an int or a list; nil when absent
}

// RopeScaling describes how rotary frequencies are scaled for long context.
type RopeScaling struct {
	// Type is default | linear | dynamic | llama3 | yarn (rope_type, or the
	// legacy "type"), or "none" for a model without RoPE.
	Type string `json:"rope_type"`
	// Factor is the context extension factor (1 for default).
	Factor float64 `json:"factor"`
	// LowFreqFactor and HighFreqFactor are llama3's wavelength bounds.
	LowFreqFactor  float64 `json:"low_freq_factor"`
	HighFreqFactor float64 `json:"high_freq_factor"`
	// AttentionFactor scales attention logits' softmax temperature (yarn):
	// when absent, 0.1*ln(factor)+1 (or the mscale/mscale_all_dim ratio).
	AttentionFactor float64 `json:"attention_factor"`
	// BetaFast and BetaSlow bound yarn's ramp (defaults 32 and 1).
	BetaFast float64 `json:"beta_fast"`
	BetaSlow float64 `json:"beta_slow"`
	// OriginalMaxPositions is the pre-extension context length (llama3,
	// yarn, dynamic); max_position_embeddings when absent.
	OriginalMaxPositions int `json:"original_max_position_embeddings"`
}

// SupportedModelTypes lists the model_type values ParseConfig accepts.
var SupportedModelTypes = []string{"gpt2", "llama", "mistral", "qwen2", "qwen3", "phi"}

// supportedActs lists the activation names ParseConfig accepts.
var supportedActs = []string{"silu", "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu"}

// Size limits keep every product computed from a config (parameter
// counts, cache sizes) far from integer overflow.
const (
	maxDim       = 1 << 24
	maxPositions = 1 << 26
)

// ParseConfig normalises and validates the contents of an HF config.json.
// Errors name the offending field.
func ParseConfig(data []byte) (*Config, error) {
	f, err := newFields(data)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c := &Config{ModelType: f.string("", "model_type")}
	if !slices.Contains(SupportedModelTypes, c.ModelType) {
		if err := f.Err(); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if c.ModelType == "" {
			return nil, fmt.Errorf("config: no model_type (supported: %s)", strings.Join(SupportedModelTypes, ", "))
		}
		return nil, fmt.Errorf("config: model_type %q is not supported (supported: %s)", c.ModelType, strings.Join(SupportedModelTypes, ", "))
	}
	c.Architectures = f.strings("architectures")
	c.VocabSize = f.int(0, "vocab_size")
	c.DType = strings.TrimPrefix(f.string("", "dtype", "torch_dtype"), "torch.")
	c.BOS = f.int(-1, "bos_token_id")
	c.EOS = f.ints("eos_token_id")
	c.TieEmbeddings = f.bool(c.ModelType == "gpt2", "tie_word_embeddings")
	explicitHeadDim := f.has("head_dim")
	if c.ModelType == "gpt2" {
		c.readGPT2(f)
	} else {
		c.readRotary(f)
	}
	if c.Act == "swish" {
		c.Act = "silu"
	}
	if err := f.Err(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.validate(explicitHeadDim); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// readGPT2 reads GPT-2's own key names (the generic ones are accepted too).
func (c *Config) readGPT2(f *fields) {
	c.Hidden = f.int(0, "n_embd", "hidden_size")
	c.Layers = f.int(0, "n_layer", "num_hidden_layers")
	c.Heads = f.int(0, "n_head", "num_attention_heads")
	c.KVHeads = c.Heads
	if c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
	c.Intermediate = f.int(4*c.Hidden, "n_inner", "intermediate_size")
	c.MaxPositions = f.int(1024, "n_positions", "max_position_embeddings")
	c.NormEps = f.float(1e-5, "layer_norm_epsilon", "layer_norm_eps")
	c.Act = f.string("gelu_new", "activation_function", "hidden_act")
	c.Rope = RopeScaling{Type: "none"}
	c.AttentionBias, c.MLPBias = true, true
}

// rotaryDefaults are the transformers config-class defaults that differ
// between the RoPE architectures.
type rotaryDefaults struct {
	maxPositions  int
	normEps       float64
	act           string
	partialRotary float64
}

var rotaryArchs = map[string]rotaryDefaults{
	"llama":   {2048, 1e-6, "silu", 1},
	"mistral": {32768, 1e-6, "silu", 1},
	"qwen2":   {32768, 1e-6, "silu", 1},
	"qwen3":   {32768, 1e-6, "silu", 1},
	"phi":     {2048, 1e-5, "gelu_new", 0.5},
}

// readRotary reads the llama-family and phi keys.
func (c *Config) readRotary(f *fields) {
	d := rotaryArchs[c.ModelType]
	c.Hidden = f.int(0, "hidden_size")
	c.Intermediate = f.int(0, "intermediate_size")
	c.Layers = f.int(0, "num_hidden_layers")
	c.Heads = f.int(0, "num_attention_heads")
	c.KVHeads = f.int(c.Heads, "num_key_value_heads")
	if c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
	c.HeadDim = f.int(c.HeadDim, "head_dim")
	c.MaxPositions = f.int(d.maxPositions, "max_position_embeddings")
	c.NormEps = f.float(d.normEps, "rms_norm_eps", "layer_norm_eps")
	c.Act = f.string(d.act, "hidden_act")
	c.readRope(f, d.partialRotary)
	switch c.ModelType {
	case "llama":
		c.AttentionBias = f.bool(false, "attention_bias")
		c.MLPBias = f.bool(false, "mlp_bias")
	case "qwen3":
		c.AttentionBias = f.bool(false, "attention_bias")
	case "qwen2":
		c.AttentionBias = true
	case "phi":
		c.AttentionBias, c.MLPBias = true, true
	}
	c.readSlidingWindow(f)
}

// readSlidingWindow reads mistral's sliding_window (absent: the class
// default 4096; null: none). qwen2/qwen3 windows apply to a subset of
// layers, which Config cannot express, so enabling them is an error.
func (c *Config) readSlidingWindow(f *fields) {
	switch c.ModelType {
	case "mistral":
		if !f.present("sliding_window") {
			c.SlidingWindow = 4096
		}
		c.SlidingWindow = f.int(c.SlidingWindow, "sliding_window")
	case "qwen2", "qwen3":
		if f.bool(false, "use_sliding_window") && *f.err == nil {
			*f.err = fmt.Errorf("field \"use_sliding_window\": true is not supported")
		}
	case "phi":
		if f.bool(false, "qk_layernorm") && *f.err == nil {
			*f.err = fmt.Errorf("field \"qk_layernorm\": true is not supported")
		}
	}
}

// validate checks sizes and their relations once all fields are read.
func (c *Config) validate(explicitHeadDim bool) error {
	sizes := []struct {
		name string
		v    int
		max  int
	}{
		{"vocab_size", c.VocabSize, maxDim},
		{"hidden_size", c.Hidden, maxDim},
		{"intermediate_size", c.Intermediate, maxDim},
		{"num_hidden_layers", c.Layers, 1 << 12},
		{"num_attention_heads", c.Heads, 1 << 12},
		{"num_key_value_heads", c.KVHeads, 1 << 12},
		{"head_dim", c.HeadDim, 1 << 16},
		{"max_position_embeddings", c.MaxPositions, maxPositions},
		{"sliding_window", c.SlidingWindow, maxPositions},
	}
	for _, s := range sizes {
		if s.name == "sliding_window" && s.v == 0 {
			continue
		}
		if s.v == 0 {
			return fmt.Errorf("field %q: missing or 0 (want 1..%d)", s.name, s.max)
		}
		if s.v < 0 || s.v > s.max {
			return fmt.Errorf("field %q: %d is out of range (want 1..%d)", s.name, s.v, s.max)
		}
	}
	if !explicitHeadDim && c.Hidden%c.Heads != 0 {
		return fmt.Errorf("hidden_size %d is not a multiple of num_attention_heads %d", c.Hidden, c.Heads)
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("num_attention_heads %d is not a multiple of num_key_value_heads %d", c.Heads, c.KVHeads)
	}
	if !(c.NormEps > 0 && c.NormEps < 1) {
		return fmt.Errorf("norm epsilon %g is out of range (want 0 < eps < 1)", c.NormEps)
	}
	if !slices.Contains(supportedActs, c.Act) {
		return fmt.Errorf("activation %q is not supported (supported: %s)", c.Act, strings.Join(supportedActs, ", "))
	}
	if err := c.validateRope(); err != nil {
		return err
	}
	return c.validateTokens()
}

// validateTokens checks that the special token ids index the vocabulary.
func (c *Config) validateTokens() error {
	if c.BOS < -1 || c.BOS >= c.VocabSize {
		return fmt.Errorf("field \"bos_token_id\": %d is outside the vocabulary (size %d)", c.BOS, c.VocabSize)
	}
	for _, id := range c.EOS {
		if id < 0 || id >= c.VocabSize {
			return fmt.Errorf("field \"eos_token_id\": %d is outside the vocabulary (size %d)", id, c.VocabSize)
		}
	}
	return nil
}
