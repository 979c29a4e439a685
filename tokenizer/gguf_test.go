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

// tinyGPT2 is the GGUF form of byteLevelJSON(true, false, false): 256 bytes,
// seven merges, the control tokens <|end|> and <s>, BOS first.
func tinyGPT2(t testing.TB) GGUFVocab {
	t.Helper()
	v, err := GGUFVocabFromDir(filepath.Dir(writeJSON(t, byteLevelJSON(true, false, false))), 0)
	if err != nil {
		t.Fatal(err)
	}
	return *v
}

// tinySPM is spmJSON's vocabulary as a GGUF llama vocabulary: each merged
// piece scores minus its merge's index, so merging by score is merging by
// rank.
func tinySPM() GGUFVocab {
	m := spmJSON()["model"].(map[string]any)
	vocab := m["vocab"].(map[string]int)
	v := GGUFVocab{Model: "llama", Tokens: make([]string, len(vocab)), Scores: make([]float32, len(vocab)), Types: make([]int32, len(vocab))}
	for tok, id := range vocab {
		v.Tokens[id], v.Types[id] = tok, spNormal
		if _, ok := parseBytePiece(tok); ok {
			v.Types[id] = spByte
		}
	}
	v.Types[0], v.Types[1], v.Types[2] = spUnknown, spControl, spControl
	for i, mg := range m["merges"].([]any) {
		v.Scores[vocab[strings.ReplaceAll(mg.(string), " ", "")]] = -float32(i + 1)
	}
	bos, eos, unk := 1, 2, 0
	v.BOS, v.EOS, v.UNK = &bos, &eos, &unk
	return v
}

var tinyTexts = []string{"", "hello world", "hello<|end|>world <s>hello", " \n\n\tx wörld 12 \xff", "<s></s><unk>", "hellohello world world"}

// TestFromGGUFTiny: the tiny vocabularies encode as their tokenizer.json
// twins (special tokens in the text included).
func TestFromGGUFTiny(t *testing.T) {
	cases := []struct {
		name string
		v    GGUFVocab
		json map[string]any
	}{{"gpt2", tinyGPT2(t), byteLevelJSON(true, false, false)}, {"llama", tinySPM(), spmJSON()}}
	for _, c := range cases {
		g, err := FromGGUF(c.v)
		if err != nil {
			t.Fatal(err)
		}
		hf := mustLoad(t, writeJSON(t, c.json))
		for _, text := range tinyTexts {
			if got, want := g.Encode(text), hf.Encode(text); !slices.Equal(got, want) {
				t.Errorf("%s %q: %v, want %v", c.name, text, got, want)
			}
		}
	}
}

func TestFromGGUFErrors(t *testing.T) {
	intp := func(i int) *int { return &i }
	cases := []struct {
		name, want string
		edit       func(v *GGUFVocab)
		spm        bool
	}{
		{"model bert", `"bert" is not supported`, func(v *GGUFVocab) { v.Model = "bert" }, false},
		{"model missing", "tokenizer.ggml.model: missing", func(v *GGUFVocab) { v.Model = "" }, false},
		{"pre unknown", `tokenizer.ggml.pre "falcon"`, func(v *GGUFVocab) { v.Pre = "falcon" }, false},
		{"no tokens", "tokenizer.ggml.tokens: missing", func(v *GGUFVocab) { v.Tokens, v.Types, v.Scores = nil, nil, nil }, false},
		{"types length", "token_type: 3 types", func(v *GGUFVocab) { v.Types = v.Types[:3] }, false},
		{"type value", "token_type[5]: 7", func(v *GGUFVocab) { v.Types[5] = 7 }, false},
		{"bos range", "bos_token_id: 999", func(v *GGUFVocab) { v.BOS = intp(999) }, false},
		{"eos negative", "eos_token_id: -1", func(v *GGUFVocab) { v.EOS = intp(-1) }, false},
		{"merge form", `merges[0]: "he"`, func(v *GGUFVocab) { v.Merges[0] = "he" }, false},
		{"merge unknown", "tokenizer.ggml.merges[1]", func(v *GGUFVocab) { v.Merges[1] = "x y" }, false},
		{"byte missing", "no token for byte", func(v *GGUFVocab) { v.Types['a'] = spUnused }, false},
		{"alphabet", "byte-level alphabet", func(v *GGUFVocab) { v.Tokens[3] = "a b" }, false},
		{"duplicate", "repeats token", func(v *GGUFVocab) { v.Tokens[3] = v.Tokens[4] }, false},
		{"byte type in gpt2", "byte tokens", func(v *GGUFVocab) { v.Types[3] = spByte }, false},
		{"scores length", "scores: 2 scores", func(v *GGUFVocab) { v.Scores = v.Scores[:2] }, true},
		{"no scores", "scores: missing", func(v *GGUFVocab) { v.Scores = nil }, true},
		{"bad byte piece", `"<0xZZ>", want <0xNN>`, func(v *GGUFVocab) { v.Tokens[3] = "<0xZZ>" }, true},
		{"some bytes", "255 of the 256", func(v *GGUFVocab) { v.Types[3] = spNormal }, true},
		{"no fallback", "neither", func(v *GGUFVocab) {
			for i := 3; i < 259; i++ {
				v.Types[i] = spNormal
			}
			v.Types[0] = spNormal
		}, true},
	}
	for _, c := range cases {
		v := tinyGPT2(t)
		if c.spm {
			v = tinySPM()
		}
		c.edit(&v)
		_, err := FromGGUF(v)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "tokenizer: gguf: ") {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
		}
	}
}

// TestGGUFPreNames: every pre-tokenizer name builds, and its splitter
// covers the text (byte-level BPE decodes back to any input).
func TestGGUFPreNames(t *testing.T) {
	text := "Hello, y'all! 3.14159 42000\n\n \t ---=== 我想在apple工作1314151天 Cửa Việt 🦙 $x+<y>|z~`w"
	for name := range ggufPres {
		v := tinyGPT2(t)
		v.Pre = name
		tok, err := FromGGUF(v)
		if err != nil {
			t.Fatalf("pre %q: %v", name, err)
		}
		if got := tok.Decode(body(tok, tok.Encode(text))); got != text {
			t.Errorf("pre %q: %q decodes to %q", name, text, got)
		}
	}
}

// TestGGUFVocabPad: vocabSize pads with unused [PADi] tokens that encoding
// never gives and that keep the other ids.
func TestGGUFVocabPad(t *testing.T) {
	dir := filepath.Dir(writeJSON(t, byteLevelJSON(true, false, false)))
	v, err := GGUFVocabFromDir(dir, 300)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tokens) != 300 || len(v.Types) != 300 || v.Tokens[299] != "[PAD299]" || v.Types[299] != spUnused {
		t.Fatalf("%d tokens, %d types, last %q type %d", len(v.Tokens), len(v.Types), v.Tokens[len(v.Tokens)-1], v.Types[len(v.Types)-1])
	}
	g, err := FromGGUF(*v)
	if err != nil {
		t.Fatal(err)
	}
	hf := mustLoad(t, filepath.Join(dir, "tokenizer.json"))
	for _, text := range append(tinyTexts, "[PAD299]") {
		if got, want := g.Encode(text), hf.Encode(text); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
	if g.VocabSize() != 300 {
		t.Errorf("VocabSize %d, want 300", g.VocabSize())
	}
}

func TestGGUFVocabFromDirErrors(t *testing.T) {
	spm := filepath.Dir(writeJSON(t, spmJSON()))
	cases := map[string]string{t.TempDir(): "no tokenizer.json or tokenizer.model", spm: "only byte-level BPE tokenizer.json"}
	for dir, want := range cases {
		if _, err := GGUFVocabFromDir(dir, 0); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: error %v, want one naming the folder and %q", dir, err, want)
		}
	}
}
