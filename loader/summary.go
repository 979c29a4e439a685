package loader

import (
	"sort"

	"github.com/gollm/gollm/arch"
)

// kvTokens is the token count that Summary's KV cache figure is for.
const kvTokens = 1024

// Summary is what `gollm info` reports about a checkpoint.
type Summary struct {
	ModelType     string   `json:"model_type"`
	Architectures []string `json:"architectures"`
	// Parameters counts the stored elements (tied embeddings once).
	Parameters int64 `json:"parameters"`
	// DTypes gives the stored parameters per dtype ("BF16", "Q4_K", …).
	DTypes map[string]int64 `json:"dtypes"`
	// DTypeTensors and DTypeBytes give the tensors and stored bytes per
	// dtype.
	DTypeTensors map[string]int   `json:"dtype_tensors"`
	DTypeBytes   map[string]int64 `json:"dtype_bytes"`
	// Tensors is the number of stored tensors.
	Tensors int `json:"tensors"`
	// ContextLength is max_position_embeddings.
	ContextLength int `json:"context_length"`
	// WeightBytes is the size of the weights as stored (and mapped).
	WeightBytes int64 `json:"weight_bytes"`
	// BytesPerWeight is WeightBytes over Parameters.
	BytesPerWeight float64 `json:"bytes_per_weight"`
	// DecodeBytesPerToken is the weight bytes one decode step reads, the
	// bound of decode speed by memory bandwidth: every tensor but the
	// embeddings, of which one row is read (the token embedding in full
	// when it is the tied head).
	DecodeBytesPerToken int64 `json:"decode_bytes_per_token"`
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
		DTypeTensors:  map[string]int{},
		DTypeBytes:    map[string]int64{},
		ContextLength: cfg.MaxPositions,
	}
	rowRead := c.embeddingNames()
	for _, t := range c.Tensors() {
		n, b, dt := int64(t.Elements()), int64(len(t.Data)), t.DType.String()
		s.Parameters += n
		s.DTypes[dt] += n
		s.DTypeTensors[dt]++
		s.DTypeBytes[dt] += b
		s.WeightBytes += b
		s.Tensors++
		if !rowRead[t.Name] {
			s.DecodeBytesPerToken += b
		}
	}
	if s.Parameters > 0 {
		s.BytesPerWeight = float64(s.WeightBytes) / float64(s.Parameters)
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

// embeddingNames are the stored names of the embeddings decode reads a
// row of: the token embedding unless it is the tied head, and learned
// positions.
func (c *Checkpoint) embeddingNames() map[string]bool {
	names := map[string]bool{}
	fam, err := arch.Lookup(c.Config.ModelType)
	if err != nil {
		return names
	}
	for _, t := range c.Layout(fam) {
		if t.Role == arch.Positions || t.Role == arch.Embedding && !c.Config.TieEmbeddings {
			names[t.WeightName()] = true
		}
	}
	return names
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
