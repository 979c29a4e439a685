package llama2c

import (
	"encoding/binary"
	"fmt"
)

// Config is the header of a llama2.c model file.
type Config struct {
	Dim       int // width of the residual stream
	Hidden    int // width of the SwiGLU feed-forward layer
	Layers    int
	Heads     int
	KVHeads   int
	VocabSize int // always positive; the legacy sign flag is in SharedClassifier
	SeqLen    int // the context length the model was trained at

	// SharedClassifier reports that the output head is the token embedding.
	SharedClassifier bool
	// Version is 0 for the legacy headerless layout, 1 for "ak42" float32
	// and 2 for "ak42" Q8_0.
	Version int
	// GroupSize is the number of weights sharing one Q8_0 scale (version 2;
	// 0 otherwise).
	GroupSize int
}

// HeadDim is the width of one attention head.
func (c *Config) HeadDim() int { return c.Dim / c.Heads }

// KVDim is the width of the key and value projections.
func (c *Config) KVDim() int { return c.KVHeads * c.HeadDim() }

// magic is "ak42" read as a little-endian uint32: the start of version 1
// and 2 files.
const magic = 0x616b3432

// Header sizes: seven int32 for the legacy layout, a fixed 256 bytes for
// the versioned ones.
const (
	legacyHeaderSize    = 7 * 4
	versionedHeaderSize = 256
)

// Limits on header values, far above any real llama2.c model; they keep
// every size computed from a header well inside int64.
const (
	maxWidth  = 1 << 20
	maxLayers = 1 << 12
	maxVocab  = 1 << 24
)

// parseHeader decodes the header at the start of data and returns the
// config and the header's size in bytes.
func parseHeader(data []byte) (Config, int, error) {
	if len(data) < legacyHeaderSize {
		return Config{}, 0, fmt.Errorf("file is %d bytes, too short for a llama2.c header (truncated?)", len(data))
	}
	var c Config
	size := legacyHeaderSize
	params := data[:legacyHeaderSize]
	if binary.LittleEndian.Uint32(data) == magic {
		if len(data) < versionedHeaderSize {
			return Config{}, 0, fmt.Errorf("file is %d bytes, too short for its %d-byte \"ak42\" header (truncated?)", len(data), versionedHeaderSize)
		}
		c.Version = int(int32(binary.LittleEndian.Uint32(data[4:])))
		if c.Version != 1 && c.Version != 2 {
			return Config{}, 0, fmt.Errorf("\"ak42\" header: version %d is not supported (supported: 1 float32, 2 Q8_0)", c.Version)
		}
		params = data[8 : 8+legacyHeaderSize]
		switch flag := data[8+legacyHeaderSize]; flag {
		case 0, 1:
			c.SharedClassifier = flag == 1
		default:
			return Config{}, 0, fmt.Errorf("\"ak42\" header: shared_classifier flag is %d, want 0 or 1", flag)
		}
		if c.Version == 2 {
			c.GroupSize = int(int32(binary.LittleEndian.Uint32(data[9+legacyHeaderSize:])))
		}
		size = versionedHeaderSize
	}
	v := make([]int, 7)
	for i := range v {
		v[i] = int(int32(binary.LittleEndian.Uint32(params[4*i:])))
	}
	c.Dim, c.Hidden, c.Layers, c.Heads, c.KVHeads, c.VocabSize, c.SeqLen = v[0], v[1], v[2], v[3], v[4], v[5], v[6]
	if c.Version == 0 {
		// The legacy layout flags an unshared classifier by a negative vocab_size.
		c.SharedClassifier = c.VocabSize > 0
		if c.VocabSize < 0 {
			c.VocabSize = -c.VocabSize
		}
	}
	if err := c.validate(); err != nil {
		return Config{}, 0, fmt.Errorf("header: %w", err)
	}
	return c, size, nil
}

// validate checks the header's values and their relations.
func (c *Config) validate() error {
	fields := []struct {
		name string
		v    int
		max  int
	}{
		{"dim", c.Dim, maxWidth},
		{"hidden_dim", c.Hidden, maxWidth},
		{"n_layers", c.Layers, maxLayers},
		{"n_heads", c.Heads, maxWidth},
		{"n_kv_heads", c.KVHeads, maxWidth},
		{"vocab_size", c.VocabSize, maxVocab},
		{"seq_len", c.SeqLen, maxVocab},
	}
	for _, f := range fields {
		if f.v < 1 || f.v > f.max {
			return fmt.Errorf("%s %d is out of range (want 1..%d; not a llama2.c model file?)", f.name, f.v, f.max)
		}
	}
	if c.Dim%c.Heads != 0 {
		return fmt.Errorf("dim %d is not a multiple of n_heads %d", c.Dim, c.Heads)
	}
	if c.HeadDim()%2 != 0 {
		return fmt.Errorf("head size %d (dim %d / n_heads %d) is odd; rotary embeddings need pairs", c.HeadDim(), c.Dim, c.Heads)
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("n_heads %d is not a multiple of n_kv_heads %d", c.Heads, c.KVHeads)
	}
	if c.Version == 2 && (c.GroupSize < 1 || c.GroupSize > maxWidth) {
		return fmt.Errorf("Q8_0 group_size %d is out of range (want 1..%d)", c.GroupSize, maxWidth)
	}
	return nil
}
