package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/gollm/gollm/loader"
)

// benchShape is a built-in model shape for random-weight benchmarks: the
// sizes of a published checkpoint, so users can size hardware without
// downloading it.
type benchShape struct {
	modelType                          string
	hidden, layers, heads, kv, headDim int
	inter, vocab                       int
	ropeTheta, eps                     float64
}

var benchShapes = map[string]benchShape{
	"gutenberg-llama-19m": {"llama", 256, 8, 4, 2, 64, 768, 50257, 500000, 1e-5},
	"smollm2-360m":        {"llama", 960, 32, 15, 5, 64, 2560, 49152, 100000, 1e-5},
	"qwen2.5-0.5b":        {"qwen2", 896, 24, 14, 2, 64, 4864, 151936, 1000000, 1e-6},
	"llama-3.2-1b":        {"llama", 2048, 16, 32, 8, 64, 8192, 128256, 500000, 1e-5},
}

func benchShapeNames() string {
	names := make([]string, 0, len(benchShapes))
	for n := range benchShapes {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// randomCheckpoint builds an in-memory checkpoint of shape s with bf16
// weights drawn from N(0, 0.02²), norms at 1 and biases at 0.
func randomCheckpoint(name string, s benchShape, seed uint64) (*loader.Checkpoint, error) {
	cfg := map[string]any{
		"architectures":           []string{"BenchForCausalLM"},
		"model_type":              s.modelType,
		"hidden_size":             s.hidden,
		"num_hidden_layers":       s.layers,
		"num_attention_heads":     s.heads,
		"num_key_value_heads":     s.kv,
		"head_dim":                s.headDim,
		"intermediate_size":       s.inter,
		"vocab_size":              s.vocab,
		"max_position_embeddings": 131072,
		"rms_norm_eps":            s.eps,
		"rope_theta":              s.ropeTheta,
		"hidden_act":              "silu",
		"tie_word_embeddings":     true,
		"dtype":                   "bfloat16",
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	st := newSafetensorsWriter(seed)
	h, qd, kvd := s.hidden, s.heads*s.headDim, s.kv*s.headDim
	st.add("model.embed_tokens.weight", false, s.vocab, h)
	for i := 0; i < s.layers; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		st.add(p+"input_layernorm.weight", true, h)
		st.add(p+"post_attention_layernorm.weight", true, h)
		st.add(p+"self_attn.q_proj.weight", false, qd, h)
		st.add(p+"self_attn.k_proj.weight", false, kvd, h)
		st.add(p+"self_attn.v_proj.weight", false, kvd, h)
		st.add(p+"self_attn.o_proj.weight", false, h, qd)
		if s.modelType == "qwen2" {
			st.add(p+"self_attn.q_proj.bias", false, qd)
			st.add(p+"self_attn.k_proj.bias", false, kvd)
			st.add(p+"self_attn.v_proj.bias", false, kvd)
		}
		st.add(p+"mlp.gate_proj.weight", false, s.inter, h)
		st.add(p+"mlp.up_proj.weight", false, s.inter, h)
		st.add(p+"mlp.down_proj.weight", false, h, s.inter)
	}
	st.add("model.norm.weight", true, h)
	fsys := fstest.MapFS{
		"config.json":       {Data: cfgJSON},
		"model.safetensors": {Data: st.bytes()},
	}
	c, err := loader.OpenFS(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("random %s checkpoint: %w", name, err)
	}
	return c, nil
}

// safetensorsWriter lays out bf16 tensors in one safetensors file.
type safetensorsWriter struct {
	header map[string]any
	data   []byte
	rng    *rand.Rand
	normal [256]uint16 // bf16 samples of N(0, 0.02²) picked by random bytes
}

func newSafetensorsWriter(seed uint64) *safetensorsWriter {
	w := &safetensorsWriter{header: map[string]any{}, rng: rand.New(rand.NewPCG(seed, 0x5eed))}
	for i := range w.normal {
		w.normal[i] = uint16(math.Float32bits(float32(w.rng.NormFloat64()*0.02)) >> 16)
	}
	return w
}

// add appends a tensor of the given shape: all ones (norm weights), all
// zeros (biases: 1-D, not ones), or random normal values (matrices).
func (w *safetensorsWriter) add(name string, ones bool, shape ...int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	start := len(w.data)
	w.data = slices.Grow(w.data, 2*n)[:start+2*n]
	buf := w.data[start:]
	switch {
	case ones:
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint16(buf[2*i:], 0x3f80)
		}
	case len(shape) == 1:
		clear(buf)
	default:
		for i := 0; i < n; i += 8 {
			r := w.rng.Uint64()
			for j := i; j < min(i+8, n); j++ {
				binary.LittleEndian.PutUint16(buf[2*j:], w.normal[byte(r)])
				r >>= 8
			}
		}
	}
	w.header[name] = map[string]any{"dtype": "BF16", "shape": shape, "data_offsets": []int{start, start + 2*n}}
}

// bytes returns the complete file: header length, JSON header, data.
func (w *safetensorsWriter) bytes() []byte {
	hdr, _ := json.Marshal(w.header) // maps of strings, ints and slices always marshal
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	out := make([]byte, 8, 8+len(hdr)+len(w.data))
	binary.LittleEndian.PutUint64(out, uint64(len(hdr)))
	out = append(out, hdr...)
	return append(out, w.data...)
}
