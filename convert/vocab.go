package convert

import (
	"github.com/gollm/gollm/gguf"
	"github.com/gollm/gollm/tokenizer"
)

// vocabKVs are the tokenizer.ggml.* keys (and tokenizer.chat_template) of
// v, the keys v's nil fields stand for left out.
func vocabKVs(v *tokenizer.GGUFVocab) []gguf.KV {
	kvs := []gguf.KV{{Key: "tokenizer.ggml.model", Value: gguf.ValueOf(v.Model)}}
	if v.Pre != "" {
		kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.pre", Value: gguf.ValueOf(v.Pre)})
	}
	kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.tokens", Value: gguf.ArrayOf(v.Tokens)})
	if v.Scores != nil {
		kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.scores", Value: gguf.ArrayOf(v.Scores)})
	}
	if v.Types != nil {
		kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.token_type", Value: gguf.ArrayOf(v.Types)})
	}
	if v.Merges != nil {
		kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.merges", Value: gguf.ArrayOf(v.Merges)})
	}
	ids := []struct {
		key string
		id  *int
	}{{"bos", v.BOS}, {"eos", v.EOS}, {"eot", v.EOT}, {"unknown", v.UNK}, {"padding", v.PAD}}
	for _, s := range ids {
		if s.id != nil {
			kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml." + s.key + "_token_id", Value: gguf.ValueOf(uint32(*s.id))})
		}
	}
	flags := []struct {
		key string
		on  *bool
	}{{"add_bos_token", v.AddBOS}, {"add_eos_token", v.AddEOS}, {"add_space_prefix", v.AddSpacePrefix}}
	for _, f := range flags {
		if f.on != nil {
			kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml." + f.key, Value: gguf.ValueOf(*f.on)})
		}
	}
	if v.ChatTemplate != "" {
		kvs = append(kvs, gguf.KV{Key: "tokenizer.chat_template", Value: gguf.ValueOf(v.ChatTemplate)})
	}
	return kvs
}
