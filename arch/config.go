package arch

import "fmt"

// Config is an HF config.json normalised across transformers 4 and 5 and
// across the supported architectures. Absent keys take the defaults of the
// architecture's transformers config class (its Family's ReadConfig).
type Config struct {
	ModelType     string   `json:"model_type"`    // a registered Family's ModelType
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
	// RopeInterleaved: RoPE rotates adjacent pairs (2i, 2i+1) of each
	// head's dimensions rather than HF's halves (i, i+rot/2). GGUF files
	// of llama hold q and k rows permuted to that order by llama.cpp's
	// converter (ggml's LLAMA_ROPE_TYPE_NORM); false for HF folders.
	RopeInterleaved bool `json:"rope_interleaved,omitempty"`
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
	// legacy "type"), "factors" for a GGUF file's FreqFactors, or "none"
	// for a model without RoPE.
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
	// FreqFactors divide the rotary frequencies one by one: Type
	// "factors", what a GGUF file's rope_freqs tensor holds (llama3
	// scaling as llama.cpp's converter stores it); nil otherwise.
	FreqFactors []float32 `json:"freq_factors,omitempty"`
}

// RotaryDim is the number of dimensions of each head that RoPE rotates:
// HeadDim × PartialRotary, rounded down as transformers does.
func (c *Config) RotaryDim() int {
	return int(float64(c.HeadDim) * c.PartialRotary)
}

// Reader reads typed keys of a config.json object. Each getter returns
// the value of the first of keys that is present and not null, or def
// when none is; a value of the wrong type is recorded as the reader's
// error (the first one sticks) and def is returned.
type Reader interface {
	Int(def int, keys ...string) int
	Float(def float64, keys ...string) float64
	Bool(def bool, keys ...string) bool
	String(def string, keys ...string) string
	// Present reports whether key is in the object at all, null included.
	Present(key string) bool
	// Fail records err unless an error is already recorded.
	Fail(err error)
}

// sizeKeys names the keys of a model's sizes in one metadata convention.
type sizeKeys struct {
	hidden, intermediate, layers, heads, kvHeads, headDim, context string
}

// hfSizeKeys are config.json's names (transformers' generic ones),
// ggufSizeKeys GGUF's (without the "{arch}." prefix).
var (
	hfSizeKeys = sizeKeys{"hidden_size", "intermediate_size", "num_hidden_layers",
		"num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings"}
	ggufSizeKeys = sizeKeys{"embedding_length", "feed_forward_length", "block_count",
		"attention.head_count", "attention.head_count_kv", "attention.key_length", "context_length"}
)

// readSizes reads the sizes under k's names: KV heads default to the
// heads, the head dimension to hidden / heads, the context to
// maxPositions.
func readSizes(r Reader, c *Config, k sizeKeys, maxPositions int) {
	c.Hidden = r.Int(0, k.hidden)
	c.Intermediate = r.Int(0, k.intermediate)
	c.Layers = r.Int(0, k.layers)
	c.Heads = r.Int(0, k.heads)
	c.KVHeads = r.Int(c.Heads, k.kvHeads)
	if c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
	c.HeadDim = r.Int(c.HeadDim, k.headDim)
	c.MaxPositions = r.Int(maxPositions, k.context)
}

// readRotarySizes reads the sizes of a RoPE model under the generic key
// names, with the family's default context length and norm epsilon.
func readRotarySizes(r Reader, c *Config, maxPositions int, normEps float64) {
	readSizes(r, c, hfSizeKeys, maxPositions)
	c.NormEps = r.Float(normEps, "rms_norm_eps", "layer_norm_eps")
}

// refuse records an error when the boolean key is true: a variant of
// the architecture that gollm does not run.
func refuse(r Reader, key string) {
	if r.Bool(false, key) {
		r.Fail(fmt.Errorf("field %q: true is not supported", key))
	}
}
