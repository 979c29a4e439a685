package arch

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// GGUF files name each family by general.architecture and keep its
// hyper-parameters under keys prefixed by that name ("llama.block_count");
// a Reader of GGUF metadata given to a family's ReadGGUF takes the keys
// without the prefix. Tensors are named by role, the same way for every
// architecture llama.cpp runs: ggufNames.

// LookupGGUF returns the family of a GGUF general.architecture. Families
// sharing a GGUF name (llama and mistral) resolve to the first
// registered. The error names the supported ones.
func LookupGGUF(name string) (*Family, error) {
	var names []string
	for _, f := range families {
		if f.GGUF == name {
			return f, nil
		}
		if f.GGUF != "" && !slices.Contains(names, f.GGUF) {
			names = append(names, f.GGUF)
		}
	}
	return nil, fmt.Errorf("general.architecture %q is not supported (supported: %s)", name, strings.Join(names, ", "))
}

// ggufNames are the GGUF tensor names of the roles, as llama.cpp's
// llama-arch.cpp gives them ("%d" is the layer); an ungated MLP's fc1 and
// fc2 are ffn_up and ffn_down.
var ggufNames = map[Role]string{
	Embedding: "token_embd",
	Positions: "position_embd",
	FinalNorm: "output_norm",
	Head:      "output",
	AttnNorm:  "blk.%d.attn_norm",
	MLPNorm:   "blk.%d.ffn_norm",
	QKV:       "blk.%d.attn_qkv",
	Q:         "blk.%d.attn_q",
	K:         "blk.%d.attn_k",
	V:         "blk.%d.attn_v",
	O:         "blk.%d.attn_output",
	QNorm:     "blk.%d.attn_q_norm",
	KNorm:     "blk.%d.attn_k_norm",
	Gate:      "blk.%d.ffn_gate",
	Up:        "blk.%d.ffn_up",
	Down:      "blk.%d.ffn_down",
	FC1:       "blk.%d.ffn_up",
	FC2:       "blk.%d.ffn_down",
}

// ggufName is the GGUF name of role r in layer (−1: model-wide), without
// ".weight".
func ggufName(r Role, layer int) string {
	if layer < 0 {
		return ggufNames[r]
	}
	return fmt.Sprintf(ggufNames[r], layer)
}

// GGUFTensors lists the tensors a GGUF file of family f and config c
// holds, named as GGUF names them and stored [Out × In] (GGUF dims
// [In, Out]; converters undo GPT-2's Conv1D layout). A layer's q, k and v
// are read fused, as attn_qkv, when has reports that the file holds it
// (llama.cpp accepts either form for every family).
func GGUFTensors(f *Family, c *Config, has func(name string) bool) []Tensor {
	var out []Tensor
	for _, t := range f.Tensors(c, nil) {
		t.Name, t.Transposed = ggufName(t.Role, t.Layer), false
		switch {
		case t.Role == Q && has(ggufName(QKV, t.Layer)+".weight"):
			s := sizesOf(c)
			t.Role, t.Name, t.Out = QKV, ggufName(QKV, t.Layer), s.qd+2*s.kvd
		case (t.Role == K || t.Role == V) && has(ggufName(QKV, t.Layer)+".weight"):
			continue
		}
		out = append(out, t)
	}
	return out
}

// readGGUFSizes reads the sizes common to every family and the norm
// epsilon under epsKey; the head dimension is key_length, or
// embedding_length / head_count when absent.
func readGGUFSizes(r Reader, c *Config, epsKey string) {
	readSizes(r, c, ggufSizeKeys, 0)
	c.NormEps = r.Float(0, epsKey)
	if c.NormEps == 0 {
		r.Fail(fmt.Errorf("key %q: missing", epsKey))
	}
}

// readGGUFRope reads the RoPE parameters of a RoPE family from GGUF
// metadata (keys without the architecture prefix): rope.freq_base (10000
// when absent), rope.dimension_count (the whole head when absent) as a
// partial rotary factor, and rope.scaling.type, factor and
// original_context_length. GGUF's "none" is "default"; other types keep
// their name, so that a type gollm does not run is refused by name.
func readGGUFRope(r Reader, c *Config) {
	c.RopeTheta = r.Float(10000, "rope.freq_base")
	c.PartialRotary = 1
	if c.HeadDim > 0 {
		c.PartialRotary = rotaryFraction(r.Int(c.HeadDim, "rope.dimension_count"), c.HeadDim)
	}
	s := RopeScaling{Type: r.String("none", "rope.scaling.type"), Factor: r.Float(1, "rope.scaling.factor")}
	s.OriginalMaxPositions = r.Int(c.MaxPositions, "rope.scaling.original_context_length")
	switch s.Type {
	case "none":
		s = RopeScaling{Type: "default", Factor: 1, OriginalMaxPositions: c.MaxPositions}
	case "yarn":
		s.BetaFast = r.Float(32, "rope.scaling.yarn_beta_fast")
		s.BetaSlow = r.Float(1, "rope.scaling.yarn_beta_slow")
		s.AttentionFactor = 1
		if s.Factor > 1 {
			s.AttentionFactor = 0.1*math.Log(s.Factor) + 1
		}
	}
	c.Rope = s
}

// rotaryFraction is dims/headDim, nudged up when float rounding would
// make Config.RotaryDim give one dimension fewer than dims.
func rotaryFraction(dims, headDim int) float64 {
	p := float64(dims) / float64(headDim)
	for int(float64(headDim)*p) < dims {
		p = math.Nextafter(p, 2)
	}
	return p
}

// readGGUFHead reads the tied head as GGUF records it: a file without
// output.weight reuses token_embd.
func readGGUFHead(c *Config, has func(string) bool) {
	c.TieEmbeddings = !has(ggufName(Head, -1) + ".weight")
}
