package loader

import (
	"errors"
	"fmt"
)

// GGUFVocab is the tokenizer a GGUF file's metadata describes: its
// tokenizer.ggml.* keys, for a tokenizer to be built from.
type GGUFVocab struct {
	// Model is tokenizer.ggml.model: "gpt2" (byte-level BPE), "llama"
	// (SentencePiece) and so on.
	Model string
	// Pre is tokenizer.ggml.pre, the pre-tokenizer's name ("" when absent).
	Pre    string
	Tokens []string  // tokenizer.ggml.tokens, by id
	Scores []float32 // tokenizer.ggml.scores, nil when absent
	Types  []int32   // tokenizer.ggml.token_type, nil when absent
	Merges []string  // tokenizer.ggml.merges ("a b"), nil when absent
	// The special tokens' ids, −1 when absent.
	BOS, EOS, UNK, PAD int
	// AddBOS and AddEOS are tokenizer.ggml.add_bos_token and
	// add_eos_token, nil when absent.
	AddBOS, AddEOS *bool
}

// ReadGGUFVocab reads the vocabulary keys of the checkpoint's GGUF file.
// An HF folder, a file without tokenizer.ggml.model or tokens, arrays of
// other lengths than the token list and ids outside it are errors naming
// the key.
func (c *Checkpoint) ReadGGUFVocab() (*GGUFVocab, error) {
	f := c.GGUF
	if f == nil {
		return nil, fmt.Errorf("loader: %s: not a GGUF file", c.Dir)
	}
	var rerr error
	r := &ggufReader{f: f, err: &rerr}
	v := &GGUFVocab{
		Model: r.String("", "tokenizer.ggml.model"),
		Pre:   r.String("", "tokenizer.ggml.pre"),
		BOS:   r.Int(-1, "tokenizer.ggml.bos_token_id"),
		EOS:   r.Int(-1, "tokenizer.ggml.eos_token_id"),
		UNK:   r.Int(-1, "tokenizer.ggml.unknown_token_id"),
		PAD:   r.Int(-1, "tokenizer.ggml.padding_token_id"),
	}
	v.AddBOS = optionalBool(r, "tokenizer.ggml.add_bos_token")
	v.AddEOS = optionalBool(r, "tokenizer.ggml.add_eos_token")
	if rerr != nil {
		return nil, fmt.Errorf("loader: %w", rerr)
	}
	var err error
	if v.Tokens, err = f.Strings("tokenizer.ggml.tokens"); err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	if f.Has("tokenizer.ggml.scores") {
		v.Scores, err = f.Float32s("tokenizer.ggml.scores")
	}
	if err == nil && f.Has("tokenizer.ggml.token_type") {
		v.Types, err = f.Int32s("tokenizer.ggml.token_type")
	}
	if err == nil && f.Has("tokenizer.ggml.merges") {
		v.Merges, err = f.Strings("tokenizer.ggml.merges")
	}
	if err == nil {
		err = v.check()
	}
	if err != nil {
		return nil, fmt.Errorf("loader: %s: %w", c.Dir, err)
	}
	return v, nil
}

// check verifies the lengths and ids against the token list.
func (v *GGUFVocab) check() error {
	n := len(v.Tokens)
	switch {
	case v.Model == "":
		return errors.New(`key "tokenizer.ggml.model" is missing`)
	case n == 0:
		return errors.New(`key "tokenizer.ggml.tokens": empty`)
	case v.Scores != nil && len(v.Scores) != n:
		return fmt.Errorf(`key "tokenizer.ggml.scores": %d scores for %d tokens`, len(v.Scores), n)
	case v.Types != nil && len(v.Types) != n:
		return fmt.Errorf(`key "tokenizer.ggml.token_type": %d types for %d tokens`, len(v.Types), n)
	}
	for key, id := range map[string]int{"bos_token_id": v.BOS, "eos_token_id": v.EOS, "unknown_token_id": v.UNK, "padding_token_id": v.PAD} {
		if id < -1 || id >= n {
			return fmt.Errorf("key %q: id %d is outside the vocabulary (%d tokens)", "tokenizer.ggml."+key, id, n)
		}
	}
	return nil
}

// optionalBool reads key as a *bool, nil when absent.
func optionalBool(r *ggufReader, key string) *bool {
	if !r.Present(key) {
		return nil
	}
	b := r.Bool(false, key)
	return &b
}
