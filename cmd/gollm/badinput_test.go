package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gollm/gollm/internal/sysmem"
)

// badCase is one row of the bad-input matrix (docs/bad-input.md): a way to
// break a working model folder or command line, and what the one error line
// must say.
type badCase struct {
	name  string
	setup func(t *testing.T, dir string) []string // breaks dir, returns the gollm arguments
	want  []string                                // substrings of the error line
}

func runArgs(dir string, extra ...string) []string {
	return append([]string{"run", "--model", dir, "--max-tokens", "2"}, append(extra, "hello")...)
}

func pplArgs(t *testing.T, dir string, extra ...string) []string {
	text := filepath.Join(t.TempDir(), "text.txt")
	write(t, text, []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", 20)))
	return append([]string{"perplexity", "--model", dir, "--file", text}, extra...)
}

// editConfig rewrites config.json of dir with f applied.
func editConfig(t *testing.T, dir string, f func(c map[string]any)) {
	c := tinyConfig()
	f(c)
	b, _ := json.Marshal(c)
	write(t, filepath.Join(dir, "config.json"), b)
}

// editWeights rewrites model.safetensors with f applied to its bytes.
func editWeights(t *testing.T, dir string, f func(b []byte) []byte) {
	p := filepath.Join(dir, "model.safetensors")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	write(t, p, f(b))
}

// editHeader rewrites the safetensors JSON header, keeping the data.
func editHeader(t *testing.T, dir string, f func(h map[string]map[string]any)) {
	editWeights(t, dir, func(b []byte) []byte {
		n := binary.LittleEndian.Uint64(b)
		var h map[string]map[string]any
		if err := json.Unmarshal(b[8:8+n], &h); err != nil {
			t.Fatal(err)
		}
		f(h)
		hj, _ := json.Marshal(h)
		out := binary.LittleEndian.AppendUint64(nil, uint64(len(hj)))
		return append(append(out, hj...), b[8+n:]...)
	})
}

// appendHeaderEntry adds the JSON member entry (`"name":{…}`) at the end
// of the safetensors header as written, without decoding it: a duplicate
// key survives.
func appendHeaderEntry(t *testing.T, dir, entry string) {
	editWeights(t, dir, func(b []byte) []byte {
		n := binary.LittleEndian.Uint64(b)
		h := strings.TrimRight(string(b[8:8+n]), " ")
		h = strings.TrimSuffix(h, "}") + "," + entry + "}"
		out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
		return append(append(out, h...), b[8+n:]...)
	})
}

// poisonWeight sets the first value of an F32 tensor to NaN.
func poisonWeight(t *testing.T, dir, name string) {
	editWeights(t, dir, func(b []byte) []byte {
		n := binary.LittleEndian.Uint64(b)
		var h map[string]struct {
			Offsets [2]uint64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(b[8:8+n], &h); err != nil {
			t.Fatal(err)
		}
		binary.LittleEndian.PutUint32(b[8+n+h[name].Offsets[0]:], 0x7fc00000)
		return b
	})
}

func badInputCases() []badCase {
	const emb = "model.embed_tokens.weight"
	return []badCase{
		{"truncated shard", func(t *testing.T, d string) []string {
			editWeights(t, d, func(b []byte) []byte { return b[:len(b)-100] })
			return runArgs(d)
		}, []string{"model.safetensors"}},
		{"header length beyond the file", func(t *testing.T, d string) []string {
			editWeights(t, d, func(b []byte) []byte { binary.LittleEndian.PutUint64(b, uint64(len(b))); return b })
			return runArgs(d)
		}, []string{"model.safetensors", "header"}},
		{"header of 200 MB claimed", func(t *testing.T, d string) []string {
			editWeights(t, d, func(b []byte) []byte { binary.LittleEndian.PutUint64(b, 200<<20); return b })
			return runArgs(d)
		}, []string{"model.safetensors", "header"}},
		{"invalid JSON header", func(t *testing.T, d string) []string {
			editWeights(t, d, func(b []byte) []byte { b[8] = '#'; return b })
			return runArgs(d)
		}, []string{"model.safetensors"}},
		{"unknown dtype", func(t *testing.T, d string) []string {
			editHeader(t, d, func(h map[string]map[string]any) { h[emb]["dtype"] = "Q4_K" })
			return runArgs(d)
		}, []string{"model.safetensors", "dtype"}},
		{"offsets out of range", func(t *testing.T, d string) []string {
			editHeader(t, d, func(h map[string]map[string]any) { h["model.norm.weight"]["data_offsets"] = []int{0, 1 << 30} })
			return runArgs(d)
		}, []string{"model.safetensors", "model.norm.weight"}},
		{"overlapping offsets", func(t *testing.T, d string) []string {
			editHeader(t, d, func(h map[string]map[string]any) {
				h["model.norm.weight"]["data_offsets"] = h["model.layers.0.input_layernorm.weight"]["data_offsets"]
			})
			return runArgs(d)
		}, []string{"model.safetensors"}},
		{"byte length not shape × dtype", func(t *testing.T, d string) []string {
			editHeader(t, d, func(h map[string]map[string]any) { h["model.norm.weight"]["shape"] = []int{tinyHidden + 1} })
			return runArgs(d)
		}, []string{"model.safetensors", "model.norm.weight"}},
		{"duplicate tensor name", func(t *testing.T, d string) []string {
			appendHeaderEntry(t, d, `"model.norm.weight":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}`)
			return runArgs(d)
		}, []string{"model.safetensors", `"model.norm.weight" appears twice`}},
		{"index names a missing shard", func(t *testing.T, d string) []string {
			os.Remove(filepath.Join(d, "model.safetensors"))
			idx := map[string]any{"weight_map": map[string]string{emb: "model-00001-of-00002.safetensors"}}
			b, _ := json.Marshal(idx)
			write(t, filepath.Join(d, "model.safetensors.index.json"), b)
			return runArgs(d)
		}, []string{"model-00001-of-00002.safetensors"}},
		{"tensor missing", func(t *testing.T, d string) []string {
			var ts []stTensor
			for _, x := range tinyTensors() {
				if x.name != "model.layers.0.mlp.up_proj.weight" {
					ts = append(ts, x)
				}
			}
			write(t, filepath.Join(d, "model.safetensors"), safetensorsFile(ts))
			return runArgs(d)
		}, []string{"model.layers.0.mlp.up_proj.weight"}},
		{"tensors beyond num_hidden_layers", func(t *testing.T, d string) []string {
			extra := append(tinyTensors(), stTensor{"model.layers.1.mlp.up_proj.weight", []int{tinyInter, tinyHidden}},
				stTensor{"model.layers.1.mlp.down_proj.weight", []int{tinyHidden, tinyInter}})
			write(t, filepath.Join(d, "model.safetensors"), safetensorsFile(extra))
			return runArgs(d)
		}, []string{"2 tensors the config does not use", `"model.layers.1.mlp.down_proj.weight"`, "--allow-unused-tensors"}},
		{"NaN in a weight (run)", func(t *testing.T, d string) []string {
			poisonWeight(t, d, "model.norm.weight")
			return runArgs(d)
		}, []string{"non-finite logits at position 4", "the weights or the input are bad"}},
		{"NaN in a weight (perplexity)", func(t *testing.T, d string) []string {
			poisonWeight(t, d, "model.norm.weight")
			return pplArgs(t, d, "--ctx", "16")
		}, []string{"non-finite logits at position 0 of document 0", "the weights or the input are bad"}},
		{"shape contradicts config.json", func(t *testing.T, d string) []string {
			editConfig(t, d, func(c map[string]any) { c["intermediate_size"] = 32 })
			return runArgs(d)
		}, []string{"model.layers.0.mlp.gate_proj.weight", "32"}},
		{"config missing hidden_size", func(t *testing.T, d string) []string {
			editConfig(t, d, func(c map[string]any) { delete(c, "hidden_size") })
			return runArgs(d)
		}, []string{"config.json", "hidden_size"}},
		{"config with a negative size", func(t *testing.T, d string) []string {
			editConfig(t, d, func(c map[string]any) { c["num_hidden_layers"] = -1 })
			return runArgs(d)
		}, []string{"config.json", "num_hidden_layers"}},
		{"hidden not divisible by heads", func(t *testing.T, d string) []string {
			editConfig(t, d, func(c map[string]any) { c["num_attention_heads"] = 3 })
			return runArgs(d)
		}, []string{"config.json", "num_attention_heads"}},
		{"unknown model_type", func(t *testing.T, d string) []string {
			editConfig(t, d, func(c map[string]any) { c["model_type"] = "mamba" })
			return runArgs(d)
		}, []string{"config.json", "mamba", "llama"}},
		{"duplicate config.json key", func(t *testing.T, d string) []string {
			b, _ := json.Marshal(tinyConfig())
			write(t, filepath.Join(d, "config.json"), append(b[:len(b)-1], `,"hidden_size":16}`...))
			return runArgs(d)
		}, []string{"config.json", `"hidden_size" appears twice`}},
		{"config.json is not JSON", func(t *testing.T, d string) []string {
			write(t, filepath.Join(d, "config.json"), []byte("{model_type: llama"))
			return runArgs(d)
		}, []string{"config.json"}},
		{"malformed tokenizer.json", func(t *testing.T, d string) []string {
			write(t, filepath.Join(d, "tokenizer.json"), []byte(`{"model": {"type": "Unigram"}}`))
			return runArgs(d)
		}, []string{"tokenizer.json"}},
		{"empty prompt", func(t *testing.T, d string) []string {
			return []string{"run", "--model", d, ""}
		}, []string{"prompt"}},
		{"empty prompt file", func(t *testing.T, d string) []string {
			p := filepath.Join(t.TempDir(), "empty.txt")
			write(t, p, nil)
			return []string{"run", "--model", d, "--prompt-file", p}
		}, []string{"empty.txt", "empty"}},
		{"prompt longer than the context", func(t *testing.T, d string) []string {
			return []string{"run", "--model", d, "--max-tokens", "8", strings.Repeat("x", tinyCtx)}
		}, []string{"64 tokens", "context"}},
		{"ctx of 1", func(t *testing.T, d string) []string { return pplArgs(t, d, "--ctx", "1") }, []string{"1"}},
		{"ctx beyond the model", func(t *testing.T, d string) []string { return pplArgs(t, d, "--ctx", "4096") }, []string{"4096", "64"}},
		{"layer spec out of range", func(t *testing.T, d string) []string {
			return runArgs(d, "--layer-attn", "0-5:hyper")
		}, []string{"5"}},
		{"unknown kernel", func(t *testing.T, d string) []string { return runArgs(d, "--attn", "fast") }, []string{"fast"}},
		{"zero hyper block", func(t *testing.T, d string) []string {
			return runArgs(d, "--attn", "hyper", "--hyper-block", "0")
		}, []string{"block"}},
		{"bad flag", func(t *testing.T, d string) []string { return runArgs(d, "--temprature", "1") }, []string{"temprature"}},
		{"unknown KV cache type", func(t *testing.T, d string) []string { return runArgs(d, "--kv-type", "f8") }, []string{"--kv-type", "f8"}},
		{"--hyper-decode without Hyper layers", func(t *testing.T, d string) []string { return runArgs(d, "--hyper-decode") }, []string{"--hyper-decode", "--hyper-layers"}},
		{"--hyper-decode without --decode-last", func(t *testing.T, d string) []string {
			return pplArgs(t, d, "--ctx", "16", "--hyper-layers", "1", "--hyper-decode")
		}, []string{"--hyper-decode", "--decode-last"}},
		{"--decode-last beyond the window", func(t *testing.T, d string) []string {
			return pplArgs(t, d, "--ctx", "16", "--decode-last", "16")
		}, []string{"16", "15"}},
		{"absurd --threads", func(t *testing.T, d string) []string { return runArgs(d, "--threads", "1000000") }, []string{"--threads", "4096", "1000000"}},
		{"absurd --repeats", func(t *testing.T, d string) []string { return pplArgs(t, d, "--ctx", "16", "--repeats", "1000000000") }, []string{"--repeats", "1000"}},
		{"unknown truncation", func(t *testing.T, d string) []string { return runArgs(d, "--truncate", "right") }, []string{"--truncate", "right"}},
		{"missing folder", func(t *testing.T, d string) []string {
			return runArgs(filepath.Join(d, "nope"))
		}, []string{"nope"}},
		{"folder with no model", func(t *testing.T, d string) []string { return runArgs(t.TempDir()) }, []string{"config.json"}},
		{"model folder that is a file", func(t *testing.T, d string) []string {
			return runArgs(filepath.Join(d, "config.json"))
		}, []string{"config.json"}},
	}
}

// TestBadInput runs every case through the real CLI: non-zero exit, one
// error line naming what is wrong, and no panic or goroutine dump.
func TestBadInput(t *testing.T) {
	for _, c := range badInputCases() {
		t.Run(c.name, func(t *testing.T) {
			dir := tinyModel(t)
			args := c.setup(t, dir)
			_, errs, code := runCLI(t, "", args...)
			if code == 0 {
				t.Fatalf("gollm %q succeeded; want an error", args)
			}
			if strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine ") {
				t.Fatalf("gollm panicked:\n%s", errs)
			}
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "gollm: ") {
				t.Errorf("last stderr line %q does not start with \"gollm: \"", last)
			}
			for _, w := range c.want {
				if !strings.Contains(last, w) {
					t.Errorf("error %q does not mention %q", last, w)
				}
			}
		})
	}
}

// TestNonUTF8Prompt checks that bytes that are not UTF-8 are encoded
// byte-faithfully, not rejected.
func TestNonUTF8Prompt(t *testing.T) {
	dir := tinyModel(t)
	out, errs, code := runCLI(t, "", "run", "--model", dir, "--max-tokens", "1", "--json", "\xff\xfeab")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res runResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if want := []int{0xff, 0xfe, 'a', 'b'}; !slices.Equal(res.PromptIDs, want) {
		t.Errorf("prompt ids %v, want %v", res.PromptIDs, want)
	}
}

// TestDecodeBadIDs refuses ids the vocabulary lacks in tokenize --decode:
// negative, past its end, and a hole (no token has the id), each named.
func TestDecodeBadIDs(t *testing.T) {
	var tok map[string]any
	if err := json.Unmarshal(byteTokenizerJSON(), &tok); err != nil {
		t.Fatal(err)
	}
	tok["model"].(map[string]any)["vocab"].(map[string]any)["ab"] = 300 // ids 257-299: holes
	b, _ := json.Marshal(tok)
	file := filepath.Join(t.TempDir(), "tokenizer.json")
	write(t, file, b)
	if out, errs, code := runCLI(t, "", "tokenize", "--tokenizer", file, "--decode", "104 105 300"); code != 0 || out != "hiab" {
		t.Fatalf("good ids: exit %d, %q, %s", code, out, errs)
	}
	for ids, want := range map[string]string{"104 -1": "id -1 (number 2", "301": "id 301 (number 1", "104 270": "id 270 (number 2 of the ids) is no token"} {
		_, errs, code := runCLI(t, "", "tokenize", "--tokenizer", file, "--decode", ids)
		if code != 1 || !strings.Contains(errs, want) {
			t.Errorf("--decode %q: exit %d, %q; want %q", ids, code, errs, want)
		}
	}
}

// TestEndlessInput reads an input that never ends (/dev/zero as the
// attention plan, whose limit is small enough to reach quickly; the text
// inputs share the reader, internal/readlimit, tested on /dev/zero there):
// it is refused with the limit and the path, instead of exhausting memory.
func TestEndlessInput(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := tinyModel(t)
	for _, args := range [][]string{
		{"run", "--model", dir, "--attn-plan", "/dev/zero", "hi"},
	} {
		_, errs, code := runCLI(t, "", args...)
		if code != 1 || !strings.Contains(errs, "/dev/zero: more than ") || !strings.Contains(errs, "the limit for it") {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
}

// TestAbsurdBenchSizes refuses bench sizes the machine cannot hold before
// any work, with the estimate and the flag to lower.
func TestAbsurdBenchSizes(t *testing.T) {
	if _, ok := sysmem.Available(); !ok {
		t.Skip("available memory unknown here")
	}
	for _, c := range []struct{ args []string }{
		{[]string{"bench", "matmul", "--size", "1000000"}},
		{[]string{"bench", "model", "--pp", "1000000000", "--tg", "0"}},
		{[]string{"bench", "attention", "--n", "100000000"}},
	} {
		_, errs, code := runCLI(t, "", c.args...)
		if code != 1 || !strings.Contains(errs, "needs about") || !strings.Contains(errs, "use a smaller") && !strings.Contains(errs, "use smaller") {
			t.Errorf("%v: exit %d, %q", c.args, code, errs)
		}
	}
}
