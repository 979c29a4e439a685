package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/gguf"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/quant"
)

// tinyGGUF writes the tiny model folder's F32 weights as a GGUF file
// (without the tokenizer) and returns the folder and the file.
func tinyGGUF(t *testing.T) (dir, path string) {
	t.Helper()
	dir = tinyModel(t)
	c, err := loader.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := c.Config
	u32 := func(k string, n int) gguf.KV { return gguf.KV{Key: "llama." + k, Value: gguf.ValueOf(uint32(n))} }
	kvs := []gguf.KV{
		{Key: "general.architecture", Value: gguf.ValueOf("llama")},
		u32("context_length", cfg.MaxPositions), u32("embedding_length", cfg.Hidden), u32("block_count", cfg.Layers),
		u32("feed_forward_length", cfg.Intermediate), u32("attention.head_count", cfg.Heads),
		u32("attention.head_count_kv", cfg.KVHeads), u32("vocab_size", cfg.VocabSize),
		{Key: "llama.attention.layer_norm_rms_epsilon", Value: gguf.ValueOf(float32(cfg.NormEps))},
		{Key: "tokenizer.ggml.model", Value: gguf.ValueOf("gpt2")},
		{Key: "tokenizer.ggml.pre", Value: gguf.ValueOf("gpt-2")},
		{Key: "tokenizer.ggml.tokens", Value: gguf.ArrayOf(byteTokens(t))},
		{Key: "tokenizer.ggml.merges", Value: gguf.ArrayOf([]string{})},
	}
	hf := arch.Llama.Tensors(cfg, nil)
	var ts []gguf.Tensor
	for i, g := range arch.GGUFTensors(arch.Llama, cfg, func(string) bool { return false }) {
		w, err := c.Tensor(hf[i].WeightName())
		if err != nil {
			t.Fatal(err)
		}
		dims := []uint64{uint64(g.Out)}
		if !g.Role.IsNorm() {
			dims = []uint64{uint64(g.In), uint64(g.Out)}
		}
		data := append([]byte(nil), w.Data...)
		ts = append(ts, gguf.Tensor{Name: g.WeightName(), Type: quant.F32, Dims: dims, Data: func() ([]byte, error) { return data, nil }})
	}
	path = filepath.Join(t.TempDir(), "tiny.gguf")
	if err := gguf.WriteFile(path, kvs, ts); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// byteTokens is byteTokenizerJSON's vocabulary as a GGUF token list.
func byteTokens(t *testing.T) []string {
	var tok struct {
		Added []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
		} `json:"added_tokens"`
		Model struct {
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
	}
	if err := json.Unmarshal(byteTokenizerJSON(), &tok); err != nil {
		t.Fatal(err)
	}
	out := make([]string, tinyVocab)
	for s, id := range tok.Model.Vocab {
		out[id] = s
	}
	for _, a := range tok.Added {
		out[a.ID] = a.Content
	}
	return out
}

// TestGGUFCommands runs the commands that take --model on a GGUF file,
// and --weights on a folder.
func TestGGUFCommands(t *testing.T) {
	dir, path := tinyGGUF(t)
	text := filepath.Join(t.TempDir(), "text.txt")
	write(t, text, []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", 8)))
	for _, tc := range []struct {
		args []string
		code int
		want string // in stdout (code 0) or stderr
	}{
		{[]string{"info", "--model", path}, 0, "F32 2.7K in 11 tensors (10.4 KiB)"},
		{[]string{"run", "--model", path, "--tokenizer", dir, "--max-tokens", "3", "hi"}, 0, ""},
		{[]string{"perplexity", "--model", path, "--tokenizer", dir, "--file", text, "--ctx", "32", "--windows", "1"}, 0, "PPL"},
		{[]string{"bench", "model", "--model", path, "--pp", "8", "--tg", "2", "--reps", "1"}, 0, ""},
		{[]string{"run", "--model", path, "--max-tokens", "3", "hi"}, 0, ""},
		{[]string{"run", "--model", dir, "--weights", "q8_0", "--max-tokens", "3", "hi"}, 0, ""},
		{[]string{"run", "--model", dir, "--weights", "q3_k", "hi"}, 1, `--weights "q3_k": want f32, bf16, q8_0 or q4_k`},
		{[]string{"run", "--model", path, "--tokenizer", dir, "--weights", "q8_0", "hi"}, 1, "converting the weights of a GGUF file is not supported"},
	} {
		out, errs, code := runCLI(t, "", tc.args...)
		got := out
		if tc.code != 0 {
			got = errs
		}
		if code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("gollm %s: exit %d, want %d with %q in\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errs)
		}
	}
}

// TestGGUFTokenize: the tokenizer read from a GGUF file's metadata gives
// the ids of the HF folder it was written from.
func TestGGUFTokenize(t *testing.T) {
	dir, path := tinyGGUF(t)
	text := "the quick brown fox, 42 times!"
	fromDir, errs, code := runCLI(t, "", "tokenize", "--model", dir, "--", text)
	if code != 0 {
		t.Fatalf("tokenize --model %s: exit %d: %s", dir, code, errs)
	}
	fromGGUF, errs, code := runCLI(t, "", "tokenize", "--model", path, "--", text)
	if code != 0 {
		t.Fatalf("tokenize --model %s: exit %d: %s", path, code, errs)
	}
	if fromGGUF != fromDir || fromDir == "" {
		t.Errorf("ids from the GGUF metadata:\n%s\nfrom the folder:\n%s", fromGGUF, fromDir)
	}
}
