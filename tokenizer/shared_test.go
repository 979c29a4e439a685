package tokenizer

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sharedDir finds the project's ../shared folder by walking up from the
// package directory; tests that need it skip when it is absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, ok := findShared()
	if !ok {
		t.Skip("../shared (test data) not found; skipping")
	}
	return dir
}

// findShared looks for ../shared from the package directory upwards.
func findShared() (string, bool) {
	dir, err := filepath.Abs(".")
	if err != nil {
		return "", false
	}
	for {
		p := filepath.Join(dir, "..", "shared")
		if st, err := os.Stat(filepath.Join(p, "data")); err == nil && st.IsDir() {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func readShared(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedDir(t), rel))
	if err != nil {
		t.Skipf("shared data missing: %v", err)
	}
	return data
}

// readVectors reads a llama.cpp vocab test: inputs split by the separator,
// one line of expected ids per input.
func readVectors(t *testing.T, name string) ([]string, [][]int) {
	inp := string(readShared(t, "data/tokenizer_vectors/ggml-vocab-"+name+".gguf.inp"))
	out := string(readShared(t, "data/tokenizer_vectors/ggml-vocab-"+name+".gguf.out"))
	texts := strings.Split(inp, "\n__ggml_vocab_test__\n")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(texts) > len(lines) && texts[len(texts)-1] == "" {
		texts = texts[:len(texts)-1]
	}
	if len(texts) != len(lines) {
		t.Fatalf("%s: %d inputs but %d outputs", name, len(texts), len(lines))
	}
	want := make([][]int, len(lines))
	for i, l := range lines {
		for _, f := range strings.Fields(l) {
			id, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			want[i] = append(want[i], id)
		}
	}
	return texts, want
}

// body drops the ids the post-processor adds around the text.
func body(tok Tokenizer, ids []int) []int {
	if tok.AddsBOS() && len(ids) > 0 && ids[0] == tok.BOS() {
		return ids[1:]
	}
	return ids
}

func loadShared(t *testing.T, rel string) Tokenizer {
	t.Helper()
	p := filepath.Join(sharedDir(t), rel)
	tok, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSharedVectors(t *testing.T) {
	cases := []struct{ vectors, tokenizer string }{
		{"gpt-2", "data/gpt2_tokenizer/tokenizer.json"},
		{"llama-bpe", "data/llama3_tokenizer/tokenizer.model"},
		{"llama-spm", "data/llama2_tokenizer/tokenizer.model"},
	}
	for _, c := range cases {
		t.Run(c.vectors, func(t *testing.T) {
			tok := loadShared(t, c.tokenizer)
			texts, want := readVectors(t, c.vectors)
			for i, text := range texts {
				got := body(tok, tok.Encode(text))
				if !slices.Equal(got, want[i]) {
					t.Errorf("%q: got %v, want %v", text, got, want[i])
				}
				if dec := tok.Decode(got); dec != text {
					t.Errorf("%q: decodes to %q", text, dec)
				}
			}
		})
	}
}

func readGolden(t *testing.T, name string) []int {
	data := readShared(t, "data/golden_tokens/"+name+".u32le.bin")
	ids := make([]int, len(data)/4)
	for i := range ids {
		ids[i] = int(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return ids
}

func TestSharedGolden(t *testing.T) {
	texts := map[string]string{"wikitext2_hf_joined": "data/wikitext2/wikitext2_test_hf_joined.txt", "tinyshakespeare": "data/tinyshakespeare/input.txt"}
	toks := map[string]func(t *testing.T) Tokenizer{
		"gpt2":        func(t *testing.T) Tokenizer { return mustEncoding(t, "gpt2") },
		"cl100k_base": func(t *testing.T) Tokenizer { return mustEncoding(t, "cl100k_base") },
		"o200k_base":  func(t *testing.T) Tokenizer { return mustEncoding(t, "o200k_base") },
		"llama3":      func(t *testing.T) Tokenizer { return loadShared(t, "data/llama3_tokenizer/tokenizer.model") },
		"llama2_spm":  func(t *testing.T) Tokenizer { return loadShared(t, "data/llama2_tokenizer/tokenizer.model") },
	}
	for textName, textPath := range texts {
		for encName, mk := range toks {
			t.Run(textName+"/"+encName, func(t *testing.T) {
				text := string(readShared(t, textPath))
				want := readGolden(t, textName+"."+encName)
				tok := mk(t)
				got := body(tok, tok.Encode(text))
				if !slices.Equal(got, want) {
					n := 0
					for n < len(got) && n < len(want) && got[n] == want[n] {
						n++
					}
					t.Fatalf("%d ids, want %d; first difference at %d: got %v want %v", len(got), len(want), n, got[n:min(n+8, len(got))], want[n:min(n+8, len(want))])
				}
				if dec := tok.Decode(got); dec != text {
					t.Errorf("decode(encode(text)) differs from text")
				}
			})
		}
	}
}

func mustEncoding(t testing.TB, name string) Tokenizer {
	tok, err := ForEncoding(name)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
