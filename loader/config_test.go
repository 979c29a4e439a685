package loader

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// defaultRope is the scaling of a model without rope_scaling.
func defaultRope(maxPos int) RopeScaling {
	return RopeScaling{Type: "default", Factor: 1, OriginalMaxPositions: maxPos}
}

// TestParseConfigSamples checks every architecture in both the
// transformers 4 (rope_theta, rope_scaling, torch_dtype) and 5
// (rope_parameters, dtype) conventions against hand-derived values.
func TestParseConfigSamples(t *testing.T) {
	want := map[string]Config{
		"gpt2-v4": {ModelType: "gpt2", Architectures: []string{"GPT2LMHeadModel"}, VocabSize: 50257, Hidden: 768, Intermediate: 3072,
			Layers: 12, Heads: 12, KVHeads: 12, HeadDim: 64, MaxPositions: 1024, NormEps: 1e-5, Act: "gelu_new",
			Rope: RopeScaling{Type: "none"}, TieEmbeddings: true, AttentionBias: true, MLPBias: true, DType: "float32", BOS: 50256, EOS: []int{50256}},
		"gpt2-v5": {ModelType: "gpt2", Architectures: []string{"GPT2LMHeadModel"}, VocabSize: 50257, Hidden: 256, Intermediate: 512,
			Layers: 2, Heads: 4, KVHeads: 4, HeadDim: 64, MaxPositions: 512, NormEps: 1e-5, Act: "gelu_new",
			Rope: RopeScaling{Type: "none"}, TieEmbeddings: true, AttentionBias: true, MLPBias: true, DType: "float32", BOS: 50256, EOS: []int{50256}},
		"llama-v4": {ModelType: "llama", Architectures: []string{"LlamaForCausalLM"}, VocabSize: 128256, Hidden: 4096, Intermediate: 14336,
			Layers: 32, Heads: 32, KVHeads: 8, HeadDim: 128, MaxPositions: 131072, NormEps: 1e-5, Act: "silu", RopeTheta: 500000,
			Rope:          RopeScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192},
			PartialRotary: 1, DType: "bfloat16", BOS: 128000, EOS: []int{128001, 128008, 128009}},
		"llama-v5": {ModelType: "llama", Architectures: []string{"LlamaForCausalLM"}, VocabSize: 128256, Hidden: 2048, Intermediate: 8192,
			Layers: 16, Heads: 32, KVHeads: 8, HeadDim: 64, MaxPositions: 131072, NormEps: 1e-5, Act: "silu", RopeTheta: 500000,
			Rope:          RopeScaling{Type: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192},
			PartialRotary: 1, TieEmbeddings: true, DType: "bfloat16", BOS: 128000, EOS: []int{128001}},
		"mistral-v4": {ModelType: "mistral", Architectures: []string{"MistralForCausalLM"}, VocabSize: 32000, Hidden: 4096, Intermediate: 14336,
			Layers: 32, Heads: 32, KVHeads: 8, HeadDim: 128, MaxPositions: 32768, NormEps: 1e-5, Act: "silu", RopeTheta: 10000,
			Rope: defaultRope(32768), PartialRotary: 1, SlidingWindow: 4096, DType: "bfloat16", BOS: 1, EOS: []int{2}},
		"mistral-v5": {ModelType: "mistral", Architectures: []string{"MistralForCausalLM"}, VocabSize: 131072, Hidden: 5120, Intermediate: 14336,
			Layers: 40, Heads: 32, KVHeads: 8, HeadDim: 128, MaxPositions: 1024000, NormEps: 1e-5, Act: "silu", RopeTheta: 1e6,
			Rope: defaultRope(1024000), PartialRotary: 1, DType: "bfloat16", BOS: 1, EOS: []int{2}},
		"qwen2-v4": {ModelType: "qwen2", Architectures: []string{"Qwen2ForCausalLM"}, VocabSize: 151936, Hidden: 896, Intermediate: 4864,
			Layers: 24, Heads: 14, KVHeads: 2, HeadDim: 64, MaxPositions: 32768, NormEps: 1e-6, Act: "silu", RopeTheta: 1e6,
			Rope: defaultRope(32768), PartialRotary: 1, TieEmbeddings: true, AttentionBias: true, DType: "bfloat16", BOS: 151643, EOS: []int{151645}},
		"qwen2-v5": {ModelType: "qwen2", Architectures: []string{"Qwen2ForCausalLM"}, VocabSize: 152064, Hidden: 3584, Intermediate: 18944,
			Layers: 28, Heads: 28, KVHeads: 4, HeadDim: 128, MaxPositions: 131072, NormEps: 1e-6, Act: "silu", RopeTheta: 1e6,
			Rope:          RopeScaling{Type: "yarn", Factor: 4, AttentionFactor: 0.1*math.Log(4) + 1, BetaFast: 32, BetaSlow: 1, OriginalMaxPositions: 32768},
			PartialRotary: 1, AttentionBias: true, DType: "bfloat16", BOS: 151643, EOS: []int{151643}},
		"qwen3-v4": {ModelType: "qwen3", Architectures: []string{"Qwen3ForCausalLM"}, VocabSize: 151936, Hidden: 1024, Intermediate: 3072,
			Layers: 28, Heads: 16, KVHeads: 8, HeadDim: 128, MaxPositions: 40960, NormEps: 1e-6, Act: "silu", RopeTheta: 1e6,
			Rope: defaultRope(40960), PartialRotary: 1, TieEmbeddings: true, DType: "bfloat16", BOS: 151643, EOS: []int{151645}},
		"qwen3-v5": {ModelType: "qwen3", Architectures: []string{"Qwen3ForCausalLM"}, VocabSize: 151936, Hidden: 2560, Intermediate: 9728,
			Layers: 36, Heads: 32, KVHeads: 8, HeadDim: 128, MaxPositions: 40960, NormEps: 1e-6, Act: "silu", RopeTheta: 1e6,
			Rope: defaultRope(40960), PartialRotary: 1, TieEmbeddings: true, DType: "bfloat16", BOS: 151643, EOS: []int{151645}},
		"phi-v4": {ModelType: "phi", Architectures: []string{"PhiForCausalLM"}, VocabSize: 51200, Hidden: 2560, Intermediate: 10240,
			Layers: 32, Heads: 32, KVHeads: 32, HeadDim: 80, MaxPositions: 2048, NormEps: 1e-5, Act: "gelu_new", RopeTheta: 10000,
			Rope: defaultRope(2048), PartialRotary: 0.4, AttentionBias: true, MLPBias: true, DType: "float16", BOS: 50256, EOS: []int{50256}},
		"phi-v5": {ModelType: "phi", Architectures: []string{"PhiForCausalLM"}, VocabSize: 51200, Hidden: 2048, Intermediate: 8192,
			Layers: 24, Heads: 32, KVHeads: 32, HeadDim: 64, MaxPositions: 2048, NormEps: 1e-5, Act: "gelu_new", RopeTheta: 10000,
			Rope: defaultRope(2048), PartialRotary: 0.5, AttentionBias: true, MLPBias: true, DType: "float16", BOS: -1},
	}
	files, _ := filepath.Glob("testdata/configs/*.json")
	if len(files) != len(want) {
		t.Fatalf("found %d samples in testdata/configs, want %d", len(files), len(want))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseConfig(data)
			if err != nil {
				t.Fatal(err)
			}
			w := want[name]
			if !reflect.DeepEqual(*got, w) {
				t.Errorf("got  %+v\nwant %+v", *got, w)
			}
		})
	}
}

// minimal is a valid llama config that tests modify one key at a time.
const minimal = `{"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
 "num_hidden_layers": 2, "num_attention_heads": 4`

// cfg closes minimal with extra keys, which replace minimal's of the same
// name (a key given twice is an error of its own).
func cfg(extra string) []byte {
	var base, more map[string]json.RawMessage
	if err := json.Unmarshal([]byte(minimal+"}"), &base); err != nil {
		panic(err)
	}
	if extra != "" {
		if err := json.Unmarshal([]byte("{"+extra+"}"), &more); err != nil {
			panic(err)
		}
	}
	for k, v := range more {
		base[k] = v
	}
	b, err := json.Marshal(base)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(cfg(""))
	if err != nil {
		t.Fatal(err)
	}
	if c.KVHeads != 4 || c.HeadDim != 16 || c.MaxPositions != 2048 || c.RopeTheta != 10000 ||
		c.Rope.Type != "default" || c.PartialRotary != 1 || c.BOS != -1 || c.EOS != nil || c.TieEmbeddings || c.NormEps != 1e-6 {
		t.Errorf("defaults: %+v", *c)
	}
	if c.RotaryDim() != 16 {
		t.Errorf("RotaryDim = %d, want 16", c.RotaryDim())
	}
}

func TestParseConfigVariants(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		check func(*Config) bool
	}{
		{"legacy type key", `"rope_scaling": {"type": "linear", "factor": 4}`,
			func(c *Config) bool { return c.Rope.Type == "linear" && c.Rope.Factor == 4 }},
		{"dynamic", `"rope_scaling": {"rope_type": "dynamic", "factor": 2.0}`,
			func(c *Config) bool { return c.Rope.Type == "dynamic" && c.Rope.OriginalMaxPositions == 2048 }},
		{"yarn mscale", `"rope_parameters": {"rope_type": "yarn", "factor": 40, "mscale": 1.0, "mscale_all_dim": 0.5, "beta_fast": 16}`,
			func(c *Config) bool {
				want := (0.1*math.Log(40) + 1) / (0.05*math.Log(40) + 1)
				return math.Abs(c.Rope.AttentionFactor-want) < 1e-12 && c.Rope.BetaFast == 16 && c.Rope.BetaSlow == 1
			}},
		{"yarn explicit attention factor", `"rope_scaling": {"rope_type": "yarn", "factor": 4, "attention_factor": 1.5}`,
			func(c *Config) bool { return c.Rope.AttentionFactor == 1.5 }},
		{"v5 wins over v4", `"rope_theta": 1000, "rope_parameters": {"rope_theta": 2000}`,
			func(c *Config) bool { return c.RopeTheta == 2000 }},
		{"torch prefix", `"torch_dtype": "torch.float16"`, func(c *Config) bool { return c.DType == "float16" }},
		{"dtype wins over torch_dtype", `"dtype": "bfloat16", "torch_dtype": "float32"`,
			func(c *Config) bool { return c.DType == "bfloat16" }},
		{"swish", `"hidden_act": "swish"`, func(c *Config) bool { return c.Act == "silu" }},
		{"integral float", `"num_key_value_heads": 2.0`, func(c *Config) bool { return c.KVHeads == 2 }},
		{"null eos", `"eos_token_id": null, "bos_token_id": null`, func(c *Config) bool { return c.EOS == nil && c.BOS == -1 }},
		{"llama biases", `"attention_bias": true, "mlp_bias": true`, func(c *Config) bool { return c.AttentionBias && c.MLPBias }},
		{"explicit head_dim", `"head_dim": 32`, func(c *Config) bool { return c.HeadDim == 32 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig(cfg(tt.extra))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("unexpected config %+v", *c)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // a substring of the error
	}{
		{"not json", `{`, "invalid JSON"},
		{"array", `[]`, "invalid JSON"},
		{"null", `null`, "want an object"},
		{"no model_type", `{"hidden_size": 4}`, "no model_type (supported: gpt2, llama"},
		{"unknown model_type", `{"model_type": "bert"}`, `model_type "bert" is not supported (supported: gpt2, llama, mistral, qwen2, qwen3, phi)`},
		{"model_type not string", `{"model_type": 3}`, `field "model_type": want a string`},
		{"string size", string(cfg(`"num_key_value_heads": "2"`)), `field "num_key_value_heads": want an integer`},
		{"fractional size", string(cfg(`"num_key_value_heads": 2.5`)), `field "num_key_value_heads": want an integer`},
		{"zero layers", `{"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 0, "num_attention_heads": 4}`, `"num_hidden_layers": missing or 0`},
		{"missing hidden", `{"model_type": "qwen2", "vocab_size": 100, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4}`, `"hidden_size": missing or 0`},
		{"huge vocab", string(cfg(`"vocab_size": 1e15`)), `"vocab_size"`},
		{"hidden % heads", string(cfg(`"num_attention_heads": 3`)), "not a multiple of num_attention_heads"},
		{"heads % kv", string(cfg(`"num_key_value_heads": 3`)), "not a multiple of num_key_value_heads"},
		{"bad eps", string(cfg(`"rms_norm_eps": -1`)), "norm epsilon"},
		{"bad act", string(cfg(`"hidden_act": "tanh"`)), `activation "tanh" is not supported`},
		{"act of another family", string(cfg(`"hidden_act": "gelu"`)), `activation "gelu" is not supported by llama (supported: silu)`},
		{"gated act for gpt2", `{"model_type": "gpt2", "vocab_size": 10, "n_embd": 8, "n_layer": 1, "n_head": 2, "activation_function": "silu"}`, `activation "silu" is not supported by gpt2`},
		{"unknown rope", string(cfg(`"rope_scaling": {"rope_type": "longrope", "factor": 2}`)), `rope_type "longrope" is not supported (supported: default, linear, dynamic, llama3, yarn)`},
		{"rope not object", string(cfg(`"rope_scaling": 3`)), `field "rope_scaling": want an object`},
		{"rope factor type", string(cfg(`"rope_scaling": {"rope_type": "linear", "factor": "x"}`)), `field "rope_scaling.factor": want a number`},
		{"rope factor missing", string(cfg(`"rope_scaling": {"rope_type": "linear"}`)), `field "rope_scaling.factor": required`},
		{"rope factor < 1", string(cfg(`"rope_scaling": {"rope_type": "linear", "factor": 0.5}`)), "rope scaling factor 0.5"},
		{"llama3 incomplete", string(cfg(`"rope_parameters": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1}`)), `field "rope_parameters.high_freq_factor": required`},
		{"llama3 order", string(cfg(`"rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 4, "high_freq_factor": 1, "original_max_position_embeddings": 8192}`)), "low_freq_factor < high_freq_factor"},
		{"theta", string(cfg(`"rope_theta": 0`)), "rope_theta 0"},
		{"partial rotary", string(cfg(`"partial_rotary_factor": 1.5`)), "partial_rotary_factor 1.5"},
		{"odd rotary dim", string(cfg(`"partial_rotary_factor": 0.1`)), "rotary dimension 1"},
		{"eos list type", string(cfg(`"eos_token_id": [1, "a"]`)), `field "eos_token_id": want an integer or a list`},
		{"eos out of vocab", string(cfg(`"eos_token_id": [1, 100]`)), `"eos_token_id": 100 is outside the vocabulary`},
		{"bos out of vocab", string(cfg(`"bos_token_id": 1000`)), `"bos_token_id": 1000 is outside the vocabulary`},
		{"qwen2 sliding", `{"model_type": "qwen2", "use_sliding_window": true}`, `"use_sliding_window": true is not supported`},
		{"phi qk norm", `{"model_type": "phi", "qk_layernorm": true}`, `"qk_layernorm": true is not supported`},
		{"tie type", string(cfg(`"tie_word_embeddings": 1`)), `field "tie_word_embeddings": want true or false`},
		{"architectures type", string(cfg(`"architectures": "LlamaForCausalLM"`)), `field "architectures": want a list of strings`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.data))
			if err == nil {
				t.Fatalf("no error; got %+v", *c)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseGenerationConfig(t *testing.T) {
	g, err := ParseGenerationConfig([]byte(`{"do_sample": true, "temperature": 0.6, "top_p": 0.9, "top_k": 20,
		"min_p": 0, "repetition_penalty": 1.1, "max_new_tokens": 64, "bos_token_id": 1, "eos_token_id": [2, 3], "transformers_version": "4.51.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !*g.DoSample || *g.Temperature != 0.6 || *g.TopP != 0.9 || *g.TopK != 20 || *g.MinP != 0 ||
		*g.RepetitionPenalty != 1.1 || *g.MaxNewTokens != 64 || *g.BOS != 1 || !reflect.DeepEqual(g.EOS, []int{2, 3}) {
		t.Errorf("got %+v", *g)
	}
	g, err = ParseGenerationConfig([]byte(`{"temperature": null, "eos_token_id": 7}`))
	if err != nil {
		t.Fatal(err)
	}
	if g.Temperature != nil || g.DoSample != nil || g.TopK != nil || !reflect.DeepEqual(g.EOS, []int{7}) {
		t.Errorf("absent keys: got %+v", *g)
	}
	for data, want := range map[string]string{
		`{"temperature": "hot"}`: `field "temperature": want a number`,
		`{"top_p": 1.5}`:         `field "top_p" is out of range`,
		`{"top_k": -1}`:          `field "top_k" is out of range`,
		`{"do_sample": "yes"}`:   `field "do_sample": want true or false`,
		`[1]`:                    "invalid JSON",
	} {
		if _, err := ParseGenerationConfig([]byte(data)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", data, err, want)
		}
	}
}
