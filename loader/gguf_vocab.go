package loader

import (
	"fmt"
	"math"

	"github.com/gollm/gollm/tokenizer"
)

// ReadGGUFVocab reads the tokenizer keys of the checkpoint's GGUF file.
// An HF folder, a file without tokenizer.ggml.model or tokens, and keys
// of the wrong type are errors naming the key; the tokenizer checks the
// rest.
func (c *Checkpoint) ReadGGUFVocab() (*tokenizer.GGUFVocab, error) {
	f := c.GGUF
	if f == nil {
		return nil, fmt.Errorf("loader: %s: not a GGUF file", c.Dir)
	}
	var err error
	r := &ggufReader{f: f, err: &err}
	v := &tokenizer.GGUFVocab{
		Model:          r.String("", "tokenizer.ggml.model"),
		Pre:            r.String("", "tokenizer.ggml.pre"),
		BOS:            optionalInt(r, "tokenizer.ggml.bos_token_id"),
		EOS:            optionalInt(r, "tokenizer.ggml.eos_token_id"),
		EOT:            optionalInt(r, "tokenizer.ggml.eot_token_id"),
		UNK:            optionalInt(r, "tokenizer.ggml.unknown_token_id"),
		PAD:            optionalInt(r, "tokenizer.ggml.padding_token_id"),
		AddBOS:         optionalBool(r, "tokenizer.ggml.add_bos_token"),
		AddEOS:         optionalBool(r, "tokenizer.ggml.add_eos_token"),
		AddSpacePrefix: optionalBool(r, "tokenizer.ggml.add_space_prefix"),
		ChatTemplate:   r.String("", "tokenizer.chat_template"),
	}
	if err == nil && v.Model == "" {
		err = fmt.Errorf(`gguf: %s: key "tokenizer.ggml.model" is missing`, c.Dir)
	}
	if err == nil {
		v.Tokens, err = f.Strings("tokenizer.ggml.tokens")
	}
	if err == nil && f.Has("tokenizer.ggml.scores") {
		v.Scores, err = f.Float32s("tokenizer.ggml.scores")
	}
	if err == nil && f.Has("tokenizer.ggml.token_type") {
		v.Types, err = f.Int32s("tokenizer.ggml.token_type")
	}
	if err == nil && f.Has("tokenizer.ggml.merges") {
		v.Merges, err = f.Strings("tokenizer.ggml.merges")
	}
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err) // gguf's errors name the file
	}
	return v, nil
}

// optionalInt reads key as an *int, nil when absent.
func optionalInt(r *ggufReader, key string) *int {
	if !r.Present(key) {
		return nil
	}
	n := r.Int(math.MinInt32, key)
	return &n
}

// optionalBool reads key as a *bool, nil when absent.
func optionalBool(r *ggufReader, key string) *bool {
	if !r.Present(key) {
		return nil
	}
	b := r.Bool(false, key)
	return &b
}
