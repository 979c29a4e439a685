package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gollmBin is the CLI built once for the tests that run it as a user does.
var gollmBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gollm-cli")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gollmBin = filepath.Join(dir, "gollm")
	if out, err := exec.Command("go", "build", "-o", gollmBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building gollm: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runCLI runs the built gollm and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return runCLIEnv(t, nil, stdin, args...)
}

// runCLIEnv is runCLI with env added to the test's environment, when env
// is not nil, less every batch engine variable that --shard auto reads.
func runCLIEnv(t *testing.T, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(gollmBin, args...)
	if env != nil {
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, envK8sIndex+"=") && !strings.HasPrefix(kv, "SLURM_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, env...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, strings.NewReader(stdin)
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// tinyConfig is a one-layer Llama small enough to write in a test.
const (
	tinyHidden = 8
	tinyInter  = 16
	tinyVocab  = 257
	tinyCtx    = 64
)

func tinyConfig() map[string]any {
	return map[string]any{
		"model_type": "llama", "architectures": []string{"LlamaForCausalLM"},
		"vocab_size": tinyVocab, "hidden_size": tinyHidden, "intermediate_size": tinyInter,
		"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
		"max_position_embeddings": tinyCtx, "rms_norm_eps": 1e-5, "hidden_act": "silu",
		"tie_word_embeddings": true, "eos_token_id": 256, "bos_token_id": 256,
	}
}

type stTensor struct {
	name  string
	shape []int
}

func tinyTensors() []stTensor {
	h, i := tinyHidden, tinyInter
	return []stTensor{
		{"model.embed_tokens.weight", []int{tinyVocab, h}},
		{"model.layers.0.input_layernorm.weight", []int{h}},
		{"model.layers.0.post_attention_layernorm.weight", []int{h}},
		{"model.layers.0.self_attn.q_proj.weight", []int{h, h}},
		{"model.layers.0.self_attn.k_proj.weight", []int{h / 2, h}},
		{"model.layers.0.self_attn.v_proj.weight", []int{h / 2, h}},
		{"model.layers.0.self_attn.o_proj.weight", []int{h, h}},
		{"model.layers.0.mlp.gate_proj.weight", []int{i, h}},
		{"model.layers.0.mlp.up_proj.weight", []int{i, h}},
		{"model.layers.0.mlp.down_proj.weight", []int{h, i}},
		{"model.norm.weight", []int{h}},
	}
}

// safetensorsFile encodes F32 tensors with random values.
func safetensorsFile(tensors []stTensor) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	header := map[string]any{}
	var data bytes.Buffer
	for _, t := range tensors {
		n := 1
		for _, d := range t.shape {
			n *= d
		}
		begin := data.Len()
		for j := 0; j < n; j++ {
			binary.Write(&data, binary.LittleEndian, float32(rng.NormFloat64()*0.5))
		}
		header[t.name] = map[string]any{"dtype": "F32", "shape": t.shape, "data_offsets": []int{begin, data.Len()}}
	}
	hj, _ := json.Marshal(header)
	for len(hj)%8 != 0 {
		hj = append(hj, ' ')
	}
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint64(len(hj)))
	out.Write(hj)
	out.Write(data.Bytes())
	return out.Bytes()
}

// byteTokenizerJSON is a byte-level BPE tokenizer.json with one token per
// byte (GPT-2's byte-to-unicode alphabet) and no merges.
func byteTokenizerJSON() []byte {
	vocab := map[string]int{}
	next := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !(b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF) {
			r = rune(256 + next)
			next++
		}
		vocab[string(r)] = b
	}
	tok := map[string]any{
		"added_tokens":  []any{map[string]any{"id": 256, "content": "<|endoftext|>", "special": true}},
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
		"decoder":       map[string]any{"type": "ByteLevel"},
		"model":         map[string]any{"type": "BPE", "vocab": vocab, "merges": []string{}},
	}
	b, _ := json.Marshal(tok)
	return b
}

// tinyModel writes a working model folder and returns its path.
func tinyModel(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg, _ := json.Marshal(tinyConfig())
	write(t, filepath.Join(dir, "config.json"), cfg)
	write(t, filepath.Join(dir, "model.safetensors"), safetensorsFile(tinyTensors()))
	write(t, filepath.Join(dir, "tokenizer.json"), byteTokenizerJSON())
	return dir
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTinyModelRuns(t *testing.T) {
	dir := tinyModel(t)
	out, errs, code := runCLI(t, "", "run", "--model", dir, "--max-tokens", "4", "--json", "hi")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res runResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("run --json printed %q: %v", out, err)
	}
	if len(res.PromptIDs) != 2 || res.PromptIDs[0] != 'h' || res.PromptIDs[1] != 'i' {
		t.Errorf("prompt ids %v, want [104 105]", res.PromptIDs)
	}
}

// TestAllowUnusedTensors loads a model holding a layer its config lacks
// only with --allow-unused-tensors.
func TestAllowUnusedTensors(t *testing.T) {
	dir := tinyModel(t)
	extra := append(tinyTensors(), stTensor{"model.layers.1.mlp.up_proj.weight", []int{tinyInter, tinyHidden}})
	write(t, filepath.Join(dir, "model.safetensors"), safetensorsFile(extra))
	if _, errs, code := runCLI(t, "", "run", "--model", dir, "--max-tokens", "2", "--allow-unused-tensors", "hi"); code != 0 {
		t.Errorf("--allow-unused-tensors: exit %d: %s", code, errs)
	}
}

// TestBackendFlag runs the tiny model on the portable kernels and refuses
// a kernel set the CPU lacks.
func TestBackendFlag(t *testing.T) {
	dir := tinyModel(t)
	if _, errs, code := runCLI(t, "", "run", "--backend", "go", "--model", dir, "--max-tokens", "2", "hi"); code != 0 {
		t.Errorf("--backend go: exit %d: %s", code, errs)
	}
	_, errs, code := runCLI(t, "", "run", "--backend", "nope", "--model", dir, "hi")
	if code == 0 || !strings.Contains(errs, "--backend") {
		t.Errorf("--backend nope: exit %d, %q", code, errs)
	}
}

// TestEvalRetrieval runs the retrieval probe on the embedded model: one
// JSON object per distance with its fields in range, and bad specs refused
// before any work.
func TestEvalRetrieval(t *testing.T) {
	png := filepath.Join(t.TempDir(), "retrieval.png")
	out, errs, code := runCLI(t, "", "eval", "retrieval", "--file", "../../testdata/heldout.txt", "--ctx", "256", "--span", "32",
		"--distance", "64,0", "--windows", "1", "--json", "--plot", png)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("plot: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got %q", out)
	}
	for i, want := range []int{64, 224} {
		var r struct {
			Distance int     `json:"distance"`
			NLL      float64 `json:"nll"`
			Accuracy float64 `json:"accuracy"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &r); err != nil || r.Distance != want || !(r.NLL > 0) || r.Accuracy < 0 || r.Accuracy > 1 {
			t.Errorf("line %d: %q (%v), want distance %d", i, lines[i], err, want)
		}
	}
	for _, args := range [][]string{{"--span", "1"}, {"--distance", "10"}, {"--windows", "0"}, {"--ctx", "100000"}} {
		_, errs, code := runCLI(t, "", append([]string{"eval", "retrieval", "--file", "../../testdata/heldout.txt", "--ctx", "256", "--span", "32"}, args...)...)
		if code != 1 || !strings.Contains(errs, "eval retrieval:") {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
}

// TestEvalPasskey runs a small passkey grid on the embedded model: one JSON
// object per cell, a PNG heatmap, and bad grids refused.
func TestEvalPasskey(t *testing.T) {
	png := filepath.Join(t.TempDir(), "pk.png")
	out, errs, code := runCLI(t, "", "eval", "passkey", "--lengths", "128,256", "--depths", "0,1", "--trials", "1", "--json", "--plot", png)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != 4 || !strings.Contains(out, `"accuracy"`) {
		t.Errorf("want 4 JSON cells, got %q", out)
	}
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("heatmap: %v", err)
	}
	for _, args := range [][]string{{"--depths", "2"}, {"--lengths", "10"}, {"--trials", "0"}, {"--lengths", "100000"}} {
		_, errs, code := runCLI(t, "", append([]string{"eval", "passkey"}, args...)...)
		if code != 1 || !strings.Contains(errs, "eval passkey:") {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
}
