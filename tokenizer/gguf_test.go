package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sharedTokenizerDirs are the HF tokenizers in ../shared that convert to
// GGUF, with the llama.cpp vectors made from the same vocabulary.
var sharedTokenizerDirs = []struct{ dir, vectors string }{
	{"data/gpt2_tokenizer", "gpt-2"},
	{"models/gutenberg-llama-19m", "gpt-2"},
	{"data/llama2_tokenizer", "llama-spm"},
	{"data/llama3_tokenizer", "llama-bpe"},
}

// ggufShared converts a shared HF tokenizer folder to GGUF metadata and
// builds both tokenizers.
func ggufShared(t *testing.T, rel string) (fromGGUF, fromHF Tokenizer) {
	t.Helper()
	dir := filepath.Join(sharedDir(t), rel)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared data missing: %v", err)
	}
	v, err := GGUFVocabFromDir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	g, err := FromGGUF(*v)
	if err != nil {
		t.Fatal(err)
	}
	return g, loadShared(t, rel)
}

// sharedTexts returns every llama.cpp vector input and the first 256 KiB of
// a book (long enough to be encoded in parallel chunks).
func sharedTexts(t *testing.T) []string {
	var texts []string
	inps, _ := filepath.Glob(filepath.Join(sharedDir(t), "data/tokenizer_vectors/*.inp"))
	for _, p := range inps {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, strings.Split(string(data), "\n__ggml_vocab_test__\n")...)
	}
	book := readShared(t, "data/books/war_and_peace.txt")
	return append(texts, string(book[:min(len(book), 256<<10)]))
}

// TestGGUFMatchesHF: the GGUF metadata convert_hf_to_gguf.py would write for
// each shared tokenizer gives, through FromGGUF, the ids and text Load's
// tokenizer of the same files gives, on all llama.cpp vector inputs and a
// slice of a book.
func TestGGUFMatchesHF(t *testing.T) {
	for _, c := range sharedTokenizerDirs {
		t.Run(c.dir, func(t *testing.T) {
			g, hf := ggufShared(t, c.dir)
			if g.BOS() != hf.BOS() || !slices.Equal(g.EOS(), hf.EOS()) || g.AddsBOS() != hf.AddsBOS() || g.VocabSize() != hf.VocabSize() {
				t.Errorf("BOS %d EOS %v adds %v size %d, want %d %v %v %d", g.BOS(), g.EOS(), g.AddsBOS(), g.VocabSize(), hf.BOS(), hf.EOS(), hf.AddsBOS(), hf.VocabSize())
			}
			for _, text := range sharedTexts(t) {
				got, want := g.Encode(text), hf.Encode(text)
				if !slices.Equal(got, want) {
					n := 0
					for n < len(got) && n < len(want) && got[n] == want[n] {
						n++
					}
					t.Errorf("%.40q: %d ids, want %d; first difference at %d: %v, want %v", text, len(got), len(want), n, got[n:min(n+8, len(got))], want[n:min(n+8, len(want))])
					continue
				}
				if a, b := g.Decode(got), hf.Decode(want); a != b {
					t.Errorf("%.40q: decodes to %.40q, want %.40q", text, a, b)
				}
			}
		})
	}
}

// TestGGUFVectors: FromGGUF gives llama.cpp's expected ids for its gpt-2,
// llama-spm (Llama 2) and llama-bpe (Llama 3) vocabularies, which
// convert_hf_to_gguf_update.py made with the HF tokenizers of the same
// vocabularies as the shared files.
func TestGGUFVectors(t *testing.T) {
	for _, c := range sharedTokenizerDirs {
		t.Run(c.dir, func(t *testing.T) {
			g, _ := ggufShared(t, c.dir)
			texts, want := readVectors(t, c.vectors)
			for i, text := range texts {
				if got := body(g, g.Encode(text)); !slices.Equal(got, want[i]) {
					t.Errorf("%q: got %v, want %v", text, got, want[i])
				}
			}
		})
	}
}

// TestGGUFGolden: through GGUF metadata, the Llama 3 and Llama 2 tokenizers
// give the golden whole-file ids of tiktoken and SentencePiece.
func TestGGUFGolden(t *testing.T) {
	texts := map[string]string{"wikitext2_hf_joined": "data/wikitext2/wikitext2_test_hf_joined.txt", "tinyshakespeare": "data/tinyshakespeare/input.txt"}
	toks := map[string]string{"llama3": "data/llama3_tokenizer", "llama2_spm": "data/llama2_tokenizer"}
	for textName, textPath := range texts {
		for encName, dir := range toks {
			t.Run(textName+"/"+encName, func(t *testing.T) {
				g, _ := ggufShared(t, dir)
				want := readGolden(t, textName+"."+encName)
				if got := body(g, g.Encode(string(readShared(t, textPath)))); !slices.Equal(got, want) {
					t.Fatalf("%d ids, want %d", len(got), len(want))
				}
			})
		}
	}
}
