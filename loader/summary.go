package loader

import "sort"

// kvTokens is the token count that Summary's KV cache figure is for.
const kvTokens = 1024

// Summary is what `gollm info` reports about a checkpoint.
type Summary struct {
	ModelType     string   `json:"model_type"`
	Architectures []string `json:"architectures"`
	// Parameters counts the stored elements (tied embeddings once).
	Parameters int64 `json:"parameters"`
	// DTypes gives the stored parameters per dtype ("BF16", …).
	DTypes map[string]int64 `json:"dtypes"`
	// Tensors is the number of stored tensors.
	Tensors int `json:"tensors"`
	// ContextLength is max_position_embeddings.
	ContextLength int `json:"context_length"`
	// WeightBytes is the size of the weights as stored (and mapped).
	WeightBytes int64 `json:"weight_bytes"`
	// KVCacheBytesPer1K is the f32 key and value cache of all layers for
	// 1024 tokens: 2 × layers × kv_heads × head_dim × 4 bytes × 1024.
	KVCacheBytesPer1K int64 `json:"kv_cache_bytes_per_1k_tokens"`
	// KVCacheBytesContext is the same cache for the longest useful
	// sequence: the context length, or the sliding window when smaller.
	KVCacheBytesContext int64 `json:"kv_cache_bytes_context"`
}

// Summarize counts c's parameters and bytes and sizes its KV cache. It
// does not mark any tensor as used.
func (c *Checkpoint) Summarize() Summary {
	cfg := c.Config
	s := Summary{
		ModelType:     cfg.ModelType,
		Architectures: cfg.Architectures,
		DTypes:        map[string]int64{},
		ContextLength: cfg.MaxPositions,
	}
	for _, t := range c.Tensors() {
		n := int64(t.Elements())
		s.Parameters += n
		s.DTypes[t.DType.String()] += n
		s.WeightBytes += int64(len(t.Data))
		s.Tensors++
	}
	perToken := int64(2*cfg.Layers*cfg.KVHeads*cfg.HeadDim) * 4
	s.KVCacheBytesPer1K = perToken * kvTokens
	tokens := cfg.MaxPositions
	if cfg.SlidingWindow > 0 && cfg.SlidingWindow < tokens {
		tokens = cfg.SlidingWindow
	}
	s.KVCacheBytesContext = perToken * int64(tokens)
	return s
}

// DTypeNames returns the dtypes of s sorted by name.
func (s Summary) DTypeNames() []string {
	names := make([]string, 0, len(s.DTypes))
	for n := range s.DTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
