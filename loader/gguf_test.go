package loader

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/gguf"
	"github.com/gollm/gollm/quant"
)

// tinyGGUF writes a one-layer llama GGUF (hidden 32, 2 heads, 1 KV head,
// MLP 64, 16 tokens) with its linear maps in typ, after edit has changed
// the metadata and tensors; it returns the path.
func tinyGGUF(t *testing.T, typ quant.Type, edit func(kvs []gguf.KV, ts []gguf.Tensor) ([]gguf.KV, []gguf.Tensor)) string {
	t.Helper()
	u32 := func(k string, n uint32) gguf.KV { return gguf.KV{Key: k, Value: gguf.ValueOf(n)} }
	kvs := []gguf.KV{
		{Key: "general.architecture", Value: gguf.ValueOf("llama")},
		u32("llama.context_length", 128), u32("llama.embedding_length", 32), u32("llama.block_count", 1),
		u32("llama.feed_forward_length", 64), u32("llama.attention.head_count", 2), u32("llama.attention.head_count_kv", 1),
		{Key: "llama.attention.layer_norm_rms_epsilon", Value: gguf.ValueOf(float32(1e-5))},
		{Key: "llama.rope.freq_base", Value: gguf.ValueOf(float32(500000))},
		{Key: "tokenizer.ggml.model", Value: gguf.ValueOf("gpt2")},
		{Key: "tokenizer.ggml.tokens", Value: gguf.ArrayOf(strings.Split("abcdefghijklmnop", ""))},
		u32("tokenizer.ggml.bos_token_id", 1), u32("tokenizer.ggml.eos_token_id", 2),
	}
	c := &Config{ModelType: "llama", VocabSize: 16, Hidden: 32, Intermediate: 64, Layers: 1, Heads: 2, KVHeads: 1, HeadDim: 16, TieEmbeddings: true}
	var ts []gguf.Tensor
	for _, tt := range arch.GGUFTensors(arch.Llama, c, func(string) bool { return false }) {
		ty, dims := typ, []uint64{uint64(tt.In), uint64(tt.Out)}
		if tt.Role.IsNorm() {
			ty, dims = quant.F32, []uint64{uint64(tt.Out)}
		}
		ts = append(ts, tensorOf(tt.WeightName(), ty, dims...))
	}
	if edit != nil {
		kvs, ts = edit(kvs, ts)
	}
	path := filepath.Join(t.TempDir(), "tiny.bin") // found by its magic
	if err := gguf.WriteFile(path, kvs, ts); err != nil {
		t.Fatal(err)
	}
	return path
}

// tensorOf is a zero tensor of type ty and ggml dims.
func tensorOf(name string, ty quant.Type, dims ...uint64) gguf.Tensor {
	n := uint64(1)
	for _, d := range dims[1:] {
		n *= d
	}
	rb, _ := ty.RowBytes(int(dims[0]))
	data := make([]byte, int(n)*rb)
	return gguf.Tensor{Name: name, Type: ty, Dims: dims, Data: func() ([]byte, error) { return data, nil }}
}

func TestOpenGGUF(t *testing.T) {
	c, err := Open(tinyGGUF(t, quant.Q8_0, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := c.Config
	if cfg.ModelType != "llama" || cfg.VocabSize != 16 || cfg.HeadDim != 16 || cfg.RopeTheta != 500000 || !cfg.RopeInterleaved ||
		!cfg.TieEmbeddings || cfg.BOS != 1 || len(cfg.EOS) != 1 || cfg.EOS[0] != 2 || cfg.NormEps != float64(float32(1e-5)) {
		t.Errorf("config %+v", cfg)
	}
	w, err := c.Tensor("blk.0.ffn_down.weight", 32, 64)
	if err != nil || w.DType != quant.Q8_0 || len(w.Data) != 32*2*34 {
		t.Errorf("ffn_down: %v, %v", w, err)
	}
	s := c.Summarize()
	if s.DTypeTensors["Q8_0"] != 8 || s.DTypeTensors["F32"] != 3 || s.DecodeBytesPerToken != s.WeightBytes {
		t.Errorf("summary %+v", s)
	}
	v, err := c.ReadGGUFVocab()
	if err != nil || v.Model != "gpt2" || len(v.Tokens) != 16 || v.BOS == nil || *v.BOS != 1 || v.UNK != nil || v.AddBOS != nil {
		t.Errorf("vocab %+v, %v", v, err)
	}
}

func TestGGUFRefusals(t *testing.T) {
	replace := func(key string, v gguf.Value) func([]gguf.KV, []gguf.Tensor) ([]gguf.KV, []gguf.Tensor) {
		return func(kvs []gguf.KV, ts []gguf.Tensor) ([]gguf.KV, []gguf.Tensor) {
			for i := range kvs {
				if kvs[i].Key == key {
					kvs[i].Value = v
				}
			}
			return kvs, ts
		}
	}
	for _, tc := range []struct {
		name string
		typ  quant.Type
		edit func([]gguf.KV, []gguf.Tensor) ([]gguf.KV, []gguf.Tensor)
		want string
	}{
		{"type", quant.IQ4_NL, nil, `tensor "token_embd.weight": type IQ4_NL is not supported (supported: F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, BF16)`},
		{"arch", quant.F32, replace("general.architecture", gguf.ValueOf("mamba")), `general.architecture "mamba" is not supported (supported: gpt2, llama, qwen2, qwen3, phi2)`},
		{"key type", quant.F32, replace("llama.block_count", gguf.ValueOf("one")), `key "llama.block_count": want an integer, found string`},
		{"heads", quant.F32, replace("llama.attention.head_count_kv", gguf.ValueOf(uint32(3))), "num_attention_heads 2 is not a multiple of num_key_value_heads 3"},
		{"rope", quant.F32, replace("llama.rope.freq_base", gguf.ValueOf(float32(1))), "rope_theta 1 is out of range"},
		{"rope_freqs", quant.F32, func(kvs []gguf.KV, ts []gguf.Tensor) ([]gguf.KV, []gguf.Tensor) {
			return kvs, append(ts, tensorOf("rope_freqs.weight", quant.F32, 8))
		}, `tensor "rope_freqs.weight": factor 0 is 0 (want > 0)`},
		{"rope_freqs shape", quant.F32, func(kvs []gguf.KV, ts []gguf.Tensor) ([]gguf.KV, []gguf.Tensor) {
			return kvs, append(ts, tensorOf("rope_freqs.weight", quant.F32, 4))
		}, `tensor "rope_freqs.weight": F32 [4], want F32 [8] (half the rotary dimension)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Open(tinyGGUF(t, tc.typ, tc.edit))
			if err == nil {
				c.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "tiny.bin") {
				t.Errorf("error %q, want it to name the file and contain %q", err, tc.want)
			}
		})
	}
}
