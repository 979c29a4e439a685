package loader

import (
	"fmt"
	"strings"

	"github.com/gollm/gollm/arch"
)

// Config is an HF config.json normalised across transformers 4 and 5 and
// across the supported architectures (arch.Config).
type Config = arch.Config

// RopeScaling describes how rotary frequencies are scaled for long context
// (arch.RopeScaling).
type RopeScaling = arch.RopeScaling

// Size limits keep every product computed from a config (parameter
// counts, cache sizes) far from integer overflow.
const (
	maxDim       = 1 << 24
	maxPositions = 1 << 26
)

// ParseConfig normalises and validates the contents of an HF config.json.
// The keys common to all architectures and the RoPE parameters are read
// here, the rest by the model_type's arch.Family. Errors name the
// offending field.
func ParseConfig(data []byte) (*Config, error) {
	f, err := newFields(data)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c := &Config{ModelType: f.String("", "model_type")}
	fam, err := arch.Lookup(c.ModelType)
	if err != nil {
		if ferr := f.Err(); ferr != nil {
			err = ferr
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	c.Architectures = f.strings("architectures")
	c.VocabSize = f.Int(0, "vocab_size")
	c.DType = strings.TrimPrefix(f.String("", "dtype", "torch_dtype"), "torch.")
	c.BOS = f.Int(-1, "bos_token_id")
	c.EOS = f.ints("eos_token_id")
	explicitHeadDim := f.has("head_dim")
	fam.ReadConfig(f, c)
	if fam.LearnedPositions {
		c.Rope = RopeScaling{Type: "none"}
	} else {
		readRope(c, f, fam.PartialRotary)
	}
	if c.Act == "swish" {
		c.Act = "silu"
	}
	if err := f.Err(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := validate(c, fam, explicitHeadDim); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// validate checks sizes and their relations once all fields are read, and
// that the family accepts the activation.
func validate(c *Config, fam *arch.Family, explicitHeadDim bool) error {
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
	if !fam.Accepts(c.Act) {
		return fmt.Errorf("activation %q is not supported by %s (supported: %s)", c.Act, c.ModelType, strings.Join(fam.Acts, ", "))
	}
	if err := validateRope(c); err != nil {
		return err
	}
	return validateTokens(c)
}

// validateTokens checks that the special token ids index the vocabulary.
func validateTokens(c *Config) error {
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
