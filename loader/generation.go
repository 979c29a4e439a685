package loader

import "fmt"

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
		DoSample:          optional(f, f.bool, "do_sample"),
		Temperature:       optional(f, f.float, "temperature"),
		TopP:              optional(f, f.float, "top_p"),
		MinP:              optional(f, f.float, "min_p"),
		RepetitionPenalty: optional(f, f.float, "repetition_penalty"),
		TopK:              optional(f, f.int, "top_k"),
		MaxNewTokens:      optional(f, f.int, "max_new_tokens"),
		BOS:               optional(f, f.int, "bos_token_id"),
		EOS:               f.ints("eos_token_id"),
	}
	if err := f.Err(); err != nil {
		return nil, fmt.Errorf("generation config: %w", err)
	}
	return g, nil
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
