package tokenizer

import (
	"encoding/json"
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
