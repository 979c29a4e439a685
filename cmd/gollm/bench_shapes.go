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
	var st safetensorsPlan
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
		"model.safetensors": {Data: st.build(seed)},
	}
	c, err := loader.OpenFS(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("random %s checkpoint: %w", name, err)
	}
	return c, nil
}

// safetensorsPlan lists bf16 tensors for one safetensors file; build
// writes the file in a single allocation.
type safetensorsPlan struct {
	tensors []plannedTensor
	size    int // data bytes
}

type plannedTensor struct {
	name  string
	ones  bool // norm weights: all ones; 1-D otherwise: zeros; else N(0, 0.02²)
	shape []int
	start int // offset in the data section
	bytes int
}

func (p *safetensorsPlan) add(name string, ones bool, shape ...int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	p.tensors = append(p.tensors, plannedTensor{name, ones, shape, p.size, 2 * n})
	p.size += 2 * n
}

// build returns the complete file: header length, JSON header, data.
func (p *safetensorsPlan) build(seed uint64) []byte {
	header := map[string]any{}
	for _, t := range p.tensors {
		header[t.name] = map[string]any{"dtype": "BF16", "shape": t.shape, "data_offsets": []int{t.start, t.start + t.bytes}}
	}
	hdr, _ := json.Marshal(header) // maps of strings, ints and slices always marshal
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	out := make([]byte, 8+len(hdr)+p.size)
	binary.LittleEndian.PutUint64(out, uint64(len(hdr)))
	copy(out[8:], hdr)
	data := out[8+len(hdr):]
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var normal [256]uint16 // bf16 samples of N(0, 0.02²), picked by random bytes
	for i := range normal {
		normal[i] = uint16(math.Float32bits(float32(rng.NormFloat64()*0.02)) >> 16)
	}
	for _, t := range p.tensors {
		buf := data[t.start : t.start+t.bytes]
		switch {
		case t.ones:
			for i := 0; i < len(buf); i += 2 {
				binary.LittleEndian.PutUint16(buf[i:], 0x3f80)
			}
		case len(t.shape) == 1: // biases: already zero
		default:
			for i := 0; i < len(buf); i += 16 {
				r := rng.Uint64()
				for j := i; j < min(i+16, len(buf)); j += 2 {
					binary.LittleEndian.PutUint16(buf[j:], normal[byte(r)])
					r >>= 8
				}
			}
		}
	}
	return out
}
