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

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/loader"
)

// benchShapes are built-in model shapes for random-weight benchmarks: the
// sizes of published checkpoints, so users can size hardware without
// downloading them. shapeConfig completes each into a config.json that the
// loader validates; its arch.Family lists the tensors.
var benchShapes = map[string]loader.Config{
	"gutenberg-llama-19m": {ModelType: "llama", Hidden: 256, Layers: 8, Heads: 4, KVHeads: 2, HeadDim: 64, Intermediate: 768, VocabSize: 50257, RopeTheta: 500000, NormEps: 1e-5},
	"smollm2-360m":        {ModelType: "llama", Hidden: 960, Layers: 32, Heads: 15, KVHeads: 5, HeadDim: 64, Intermediate: 2560, VocabSize: 49152, RopeTheta: 100000, NormEps: 1e-5},
	"qwen2.5-0.5b":        {ModelType: "qwen2", Hidden: 896, Layers: 24, Heads: 14, KVHeads: 2, HeadDim: 64, Intermediate: 4864, VocabSize: 151936, RopeTheta: 1000000, NormEps: 1e-6},
	"llama-3.2-1b":        {ModelType: "llama", Hidden: 2048, Layers: 16, Heads: 32, KVHeads: 8, HeadDim: 64, Intermediate: 8192, VocabSize: 128256, RopeTheta: 500000, NormEps: 1e-5},
}

func benchShapeNames() string {
	names := make([]string, 0, len(benchShapes))
	for n := range benchShapes {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// shapeConfig writes shape s as a config.json of a RoPE family (131072
// positions, silu, tied embeddings, bf16) and parses it back.
func shapeConfig(s loader.Config) ([]byte, *loader.Config, error) {
	data, err := json.Marshal(map[string]any{
		"architectures":           []string{"BenchForCausalLM"},
		"model_type":              s.ModelType,
		"hidden_size":             s.Hidden,
		"num_hidden_layers":       s.Layers,
		"num_attention_heads":     s.Heads,
		"num_key_value_heads":     s.KVHeads,
		"head_dim":                s.HeadDim,
		"intermediate_size":       s.Intermediate,
		"vocab_size":              s.VocabSize,
		"max_position_embeddings": 131072,
		"rms_norm_eps":            s.NormEps,
		"rope_theta":              s.RopeTheta,
		"hidden_act":              "silu",
		"tie_word_embeddings":     true,
		"dtype":                   "bfloat16",
	})
	if err != nil {
		return nil, nil, err
	}
	c, err := loader.ParseConfig(data)
	return data, c, err
}

// randomCheckpoint builds an in-memory checkpoint of shape s with bf16
// weights drawn from N(0, 0.02²), norms at 1 and biases at 0.
func randomCheckpoint(name string, s loader.Config, seed uint64) (*loader.Checkpoint, error) {
	cfgJSON, cfg, err := shapeConfig(s)
	if err != nil {
		return nil, fmt.Errorf("shape %s: %w", name, err)
	}
	fam, err := arch.Lookup(cfg.ModelType)
	if err != nil {
		return nil, err
	}
	var st safetensorsPlan
	for _, t := range fam.Tensors(cfg, nil) {
		st.add(t.WeightName(), t.Role.IsNorm(), t.WeightShape()...)
		if t.Bias {
			st.add(t.BiasName(), false, t.Out)
		}
	}
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
