package tokenizer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzLoadJSON: any bytes given as a tokenizer.json load or fail with an
// error, and a loaded tokenizer encodes and decodes without panicking.
func FuzzLoadJSON(f *testing.F) {
	for _, v := range []any{byteLevelJSON(true, false, false), byteLevelJSON(false, true, true), spmJSON()} {
		data, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := parseFile(data, "fuzz.json", tokenizerConfig{})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		ids := tok.Encode("hello wörld <s> \xff\n\n 12")
		_ = tok.Decode(append(ids, -1, 1<<30))
	})
}

// FuzzRoundTrip: decode(encode(x)) == x for byte-level BPE (any bytes) and
// for SentencePiece-style BPE with byte fallback (text without "▁" or "<").
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"", "hello world", " \n\n\t x", "héllo 🦙", "\xff\xfe\xc3", "it's <|end|> 123"} {
		f.Add(s)
	}
	r50k := mustEncoding(f, "r50k_base")
	bl := mustLoad(f, writeJSON(f, byteLevelJSON(true, false, false)))
	spm := mustLoad(f, writeJSON(f, spmJSON()))
	f.Fuzz(func(t *testing.T, text string) {
		for name, tok := range map[string]Tokenizer{"r50k": r50k, "bytelevel": bl, "spm": spm} {
			if name == "spm" && strings.ContainsAny(text, "▁<") {
				continue
			}
			ids := body(tok, tok.Encode(text))
			if text == "" && len(ids) != 0 {
				t.Fatalf("%s: empty text gave %v", name, ids)
			}
			if got := tok.Decode(ids); got != text {
				t.Fatalf("%s: %q decodes to %q (ids %v)", name, text, got, ids)
			}
		}
	})
}

// FuzzFromGGUF: a tiny GGUF vocabulary with fuzzed extra tokens, merges,
// token types, special ids and pre-tokenizer name builds or fails with an
// error, and what builds encodes and decodes without panicking.
func FuzzFromGGUF(f *testing.F) {
	f.Add(false, "gpt-2", "<|x|>\x00Ġw\x00ab", "h e\nĠ w", []byte{3, 1, 1}, 0, 1, "hello <|x|> world")
	f.Add(true, "default", "▁wor\x00<0x41>\x00<unk>", "", []byte{1, 6, 2}, 1, 2, "hello world A")
	f.Add(false, "smollm", "", "a b\nab c", []byte{}, -1, 300, "abc 123")
	gpt2, spmVocab := tinyGPT2(f), tinySPM()
	f.Fuzz(func(t *testing.T, spm bool, pre, extra, merges string, types []byte, bos, eos int, text string) {
		v := gpt2
		if spm {
			v = spmVocab
		}
		v.Tokens, v.Types, v.Merges = slices.Clone(v.Tokens), slices.Clone(v.Types), slices.Clone(v.Merges)
		v.Scores = slices.Clone(v.Scores)
		v.Pre = pre
		for i, tok := range strings.Split(extra, "\x00") {
			v.Tokens = append(v.Tokens, tok)
			typ := int32(spNormal)
			if i < len(types) {
				typ = int32(types[i] % 8)
			}
			v.Types = append(v.Types, typ)
			if v.Scores != nil {
				v.Scores = append(v.Scores, float32(i))
			}
		}
		if merges != "" {
			v.Merges = append(v.Merges, strings.Split(merges, "\n")...)
		}
		v.BOS, v.EOS = &bos, &eos
		tok, err := FromGGUF(v)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tokenizer: gguf: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		ids := tok.Encode(text)
		_ = tok.Decode(append(ids, -1, 1<<30))
	})
}
