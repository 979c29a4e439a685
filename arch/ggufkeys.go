package arch

import "fmt"

// GGUFKey is one metadata key of a GGUF file with its value: a uint32, a
// float32 or a string.
type GGUFKey struct {
	Key   string
	Value any
}

// GGUFPairsRope reports whether GGUF files of f store the q and k rows
// permuted for RoPE on adjacent pairs (llama.cpp's converter does so for
// "llama", Mistral included) rather than in HF's rotate-half order.
func (f *Family) GGUFPairsRope() bool { return ggufPairsRope(f.GGUF) }

func ggufPairsRope(gguf string) bool { return gguf == "llama" }

// GGUFName is the GGUF name of t, without ".weight" ("blk.0.attn_q").
func (t Tensor) GGUFName() string { return ggufName(t.Role, t.Layer) }

// GGUFKeys returns the hyper-parameter keys of config c of family f, named
// as llama.cpp's converter names them (prefixed by f.GGUF): the inverse of
// f.ReadGGUF, which reads the tied head and the biases from the tensors a
// file holds. key_length and value_length are always written. A config
// that GGUF metadata cannot express is an error: a family without a GGUF
// name, RoPE scaling other than linear (llama3 and YaRN need keys or
// tensors this writer does not make), a sliding window shorter than the
// context.
func GGUFKeys(f *Family, c *Config) ([]GGUFKey, error) {
	if f.GGUF == "" {
		return nil, fmt.Errorf("model_type %q has no GGUF architecture name", f.ModelType)
	}
	if c.SlidingWindow > 0 && c.SlidingWindow < c.MaxPositions {
		return nil, fmt.Errorf("sliding_window %d: GGUF %s files have no sliding window key (context %d)", c.SlidingWindow, f.GGUF, c.MaxPositions)
	}
	key := func(k string, v any) GGUFKey { return GGUFKey{f.GGUF + "." + k, v} }
	u := func(k string, v int) GGUFKey { return key(k, uint32(v)) }
	eps := "attention.layer_norm_epsilon"
	if f.Norm == RMSNorm {
		eps = "attention.layer_norm_rms_epsilon"
	}
	keys := []GGUFKey{
		u("vocab_size", c.VocabSize),
		u("context_length", c.MaxPositions),
		u("embedding_length", c.Hidden),
		u("block_count", c.Layers),
		u("feed_forward_length", c.Intermediate),
		u("attention.head_count", c.Heads),
		u("attention.head_count_kv", c.KVHeads),
		u("attention.key_length", c.HeadDim),
		u("attention.value_length", c.HeadDim),
		key(eps, float32(c.NormEps)),
	}
	if f.LearnedPositions {
		return keys, nil
	}
	keys = append(keys, key("rope.freq_base", float32(c.RopeTheta)), u("rope.dimension_count", c.RotaryDim()))
	switch c.Rope.Type {
	case "default":
	case "linear":
		keys = append(keys, key("rope.scaling.type", "linear"), key("rope.scaling.factor", float32(c.Rope.Factor)))
	default:
		return nil, fmt.Errorf("rope_type %q: not written to GGUF (default and linear are)", c.Rope.Type)
	}
	return keys, nil
}
