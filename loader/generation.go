package loader

import (
	"fmt"
	"slices"
)

// GenerationConfig is the sampling part of generation_config.json. Nil
// pointers (and a nil EOS) mean the key is absent or null.
type GenerationConfig struct {
	DoSample          *bool
	Temperature       *float64
	TopP              *float64
	MinP              *float64
	RepetitionPenalty *float64
	TopK              *int
	MaxNewTokens      *int
	BOS               *int
	EOS               []int
}

// ParseGenerationConfig reads generation_config.json. Errors name the field.
func ParseGenerationConfig(data []byte) (*GenerationConfig, error) {
	f, err := newFields(data)
	if err != nil {
		return nil, fmt.Errorf("generation config: %w", err)
	}
	g := &GenerationConfig{
		DoSample:          optional(f, f.Bool, "do_sample"),
		Temperature:       optional(f, f.Float, "temperature"),
		TopP:              optional(f, f.Float, "top_p"),
		MinP:              optional(f, f.Float, "min_p"),
		RepetitionPenalty: optional(f, f.Float, "repetition_penalty"),
		TopK:              optional(f, f.Int, "top_k"),
		MaxNewTokens:      optional(f, f.Int, "max_new_tokens"),
		BOS:               optional(f, f.Int, "bos_token_id"),
		EOS:               f.ints("eos_token_id"),
	}
	if err := f.Err(); err != nil {
		return nil, fmt.Errorf("generation config: %w", err)
	}
	if err := g.validate(); err != nil {
		return nil, fmt.Errorf("generation config: %w", err)
	}
	return g, nil
}

// validate checks that the present values are in range.
func (g *GenerationConfig) validate() error {
	checks := []struct {
		name string
		bad  bool
	}{
		{"temperature", g.Temperature != nil && !(*g.Temperature >= 0)},
		{"top_p", g.TopP != nil && !(*g.TopP >= 0 && *g.TopP <= 1)},
		{"min_p", g.MinP != nil && !(*g.MinP >= 0 && *g.MinP <= 1)},
		{"repetition_penalty", g.RepetitionPenalty != nil && !(*g.RepetitionPenalty > 0)},
		{"top_k", g.TopK != nil && *g.TopK < 0},
		{"max_new_tokens", g.MaxNewTokens != nil && *g.MaxNewTokens < 0},
		{"bos_token_id", g.BOS != nil && *g.BOS < 0},
		{"eos_token_id", slices.ContainsFunc(g.EOS, func(id int) bool { return id < 0 })},
	}
	for _, c := range checks {
		if c.bad {
			return fmt.Errorf("field %q is out of range", c.name)
		}
	}
	return nil
}

// optional reads key with get and returns a pointer to it, or nil when
// the key is absent, null or of the wrong type (the error stays in f).
func optional[T any](f *fields, get func(T, ...string) T, key string) *T {
	if !f.has(key) {
		return nil
	}
	var zero T
	v := get(zero, key)
	return &v
}
