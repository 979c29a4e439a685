package llama2c

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gollm/gollm/internal/readlimit"
)

// Checkpoint is a llama2.c model read into memory, its weights in float32
// and in llama2.c's own layout: projections are [out×in] row-major as in
// PyTorch's nn.Linear, and the query and key rows of each head hold
// interleaved rotary pairs.
type Checkpoint struct {
	Config    Config
	Embedding []float32 // [VocabSize×Dim]
	Layers    []Layer
	FinalNorm []float32 // [Dim]
	// Classifier is the output head [VocabSize×Dim]; nil when
	// Config.SharedClassifier (the head is Embedding).
	Classifier []float32
}

// Layer holds the weights of one decoder layer.
type Layer struct {
	AttnNorm, FFNNorm []float32 // [Dim]
	WQ                []float32 // [Dim×Dim]
	WK, WV            []float32 // [KVDim×Dim]
	WO                []float32 // [Dim×Dim]
	W1, W3            []float32 // gate and up projections [Hidden×Dim]
	W2                []float32 // down projection [Dim×Hidden]
}

// ReadFile reads a llama2.c model file.
func ReadFile(path string) (*Checkpoint, error) {
	data, err := readlimit.ReadFile(path, readlimit.Weights)
	if err != nil {
		return nil, fmt.Errorf("llama2c: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("llama2c: %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a llama2.c model file of any supported version. The file's
// size must be exactly what its header implies; Q8_0 weights (version 2)
// are dequantised to float32.
func Parse(data []byte) (*Checkpoint, error) {
	cfg, off, err := parseHeader(data)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Config: cfg, Layers: make([]Layer, cfg.Layers)}
	secs := c.sections()
	want := int64(off)
	for _, s := range secs {
		if s.quantised && s.n%cfg.GroupSize != 0 {
			return nil, fmt.Errorf("%s: %d weights are not a multiple of the Q8_0 group_size %d", s.label(), s.n, cfg.GroupSize)
		}
		want += s.bytes(cfg.GroupSize)
	}
	if int64(len(data)) != want {
		what := "truncated?"
		if int64(len(data)) > want {
			what = "trailing bytes, or a header that does not match the weights"
		}
		return nil, fmt.Errorf("file is %d bytes, but its header (version %d, dim %d, hidden_dim %d, %d layers, %d heads, %d kv heads, vocab %d, seq_len %d, shared classifier %v) implies %d (%s)",
			len(data), cfg.Version, cfg.Dim, cfg.Hidden, cfg.Layers, cfg.Heads, cfg.KVHeads, cfg.VocabSize, cfg.SeqLen, cfg.SharedClassifier, want, what)
	}
	rest := data[off:]
	for _, s := range secs {
		n := int(s.bytes(cfg.GroupSize))
		if s.dst != nil {
			if s.quantised {
				*s.dst = dequantise(rest[:n], s.n, cfg.GroupSize)
			} else {
				*s.dst = float32s(rest[:n])
			}
		}
		rest = rest[n:]
	}
	return c, nil
}

// section is one tensor in file order: dst receives it (nil: skipped).
type section struct {
	name      string
	layer     int // -1 for a tensor outside the layers
	n         int // elements
	quantised bool
	dst       *[]float32
}

// label names the section in messages.
func (s section) label() string {
	if s.layer < 0 {
		return s.name
	}
	return fmt.Sprintf("layer %d %s", s.layer, s.name)
}

// bytes is the section's size in the file: float32 values, or int8 values
// followed by one float32 scale per group.
func (s section) bytes(group int) int64 {
	if s.quantised {
		return int64(s.n) + 4*int64(s.n/group)
	}
	return 4 * int64(s.n)
}

// sections lists the tensors of the file in the order of c's version.
func (c *Checkpoint) sections() []section {
	cfg := &c.Config
	d, kv, h, v := cfg.Dim, cfg.KVDim(), cfg.Hidden, cfg.VocabSize
	perLayer := func(name string, n int, q bool, field func(*Layer) *[]float32) []section {
		out := make([]section, len(c.Layers))
		for i := range c.Layers {
			out[i] = section{name, i, n, q, field(&c.Layers[i])}
		}
		return out
	}
	q := cfg.Version == 2
	attnNorm := perLayer("rms_att", d, false, func(l *Layer) *[]float32 { return &l.AttnNorm })
	ffnNorm := perLayer("rms_ffn", d, false, func(l *Layer) *[]float32 { return &l.FFNNorm })
	final := section{"rms_final", -1, d, false, &c.FinalNorm}
	embed := section{"token_embedding", -1, v * d, q, &c.Embedding}
	matrices := [][]section{
		perLayer("wq", d*d, q, func(l *Layer) *[]float32 { return &l.WQ }),
		perLayer("wk", kv*d, q, func(l *Layer) *[]float32 { return &l.WK }),
		perLayer("wv", kv*d, q, func(l *Layer) *[]float32 { return &l.WV }),
		perLayer("wo", d*d, q, func(l *Layer) *[]float32 { return &l.WO }),
	}
	ffn := [][]section{
		perLayer("w1", h*d, q, func(l *Layer) *[]float32 { return &l.W1 }),
		perLayer("w2", d*h, q, func(l *Layer) *[]float32 { return &l.W2 }),
		perLayer("w3", h*d, q, func(l *Layer) *[]float32 { return &l.W3 }),
	}
	var out []section
	if cfg.Version == 0 {
		out = append(out, embed)
		out = append(out, attnNorm...)
		for _, m := range matrices {
			out = append(out, m...)
		}
		out = append(out, ffnNorm...)
		for _, m := range ffn {
			out = append(out, m...)
		}
		half := cfg.SeqLen * cfg.HeadDim() / 2
		out = append(out, final, section{"freq_cis_real", -1, half, false, nil}, section{"freq_cis_imag", -1, half, false, nil})
	} else {
		out = append(out, attnNorm...)
		out = append(out, ffnNorm...)
		out = append(out, final, embed)
		for _, m := range append(matrices, ffn...) {
			out = append(out, m...)
		}
	}
	if !cfg.SharedClassifier {
		out = append(out, section{"classifier", -1, v * d, q, &c.Classifier})
	}
	return out
}

// float32s decodes little-endian float32 values.
func float32s(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// dequantise decodes n Q8_0 weights: n int8 values, then n/group float32
// scales; weight i is value i times scale i/group.
func dequantise(b []byte, n, group int) []float32 {
	scales := float32s(b[n:])
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(int8(b[i])) * scales[i/group]
	}
	return out
}
