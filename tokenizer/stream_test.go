package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStreamDecoder(t *testing.T) {
	r50k := mustEncoding(t, "r50k_base")
	spm := mustLoad(t, writeJSON(t, spmJSON()))
	for name, tok := range map[string]Tokenizer{"r50k": r50k, "spm": spm} {
		for _, text := range []string{"héllo 🦙 wörld 東京", "a\xff\xe2\x82b", "🦙"} {
			ids := body(tok, tok.Encode(text))
			d := NewStreamDecoder(tok)
			var sb strings.Builder
			for _, id := range ids {
				s := d.Add(id)
				if utf8.ValidString(text) && !utf8.ValidString(s) {
					t.Errorf("%s %q: Add gave partial UTF-8 %q", name, text, s)
				}
				sb.WriteString(s)
			}
			sb.WriteString(d.Flush())
			if got := sb.String(); got != tok.Decode(ids) || got != text {
				t.Errorf("%s: stream %q, Decode %q, text %q", name, got, tok.Decode(ids), text)
			}
		}
	}
}

func TestIncompleteTail(t *testing.T) {
	cases := map[string]int{"": 0, "a": 0, "\xe2": 1, "\xe2\x82": 2, "\xe2\x82\xac": 0, "\xf0\x9f\xa6": 3, "\xff": 0, "a\xc3": 1, "\x82": 0}
	for s, want := range cases {
		if got := incompleteTail([]byte(s)); got != want {
			t.Errorf("incompleteTail(%q) = %d, want %d", s, got, want)
		}
	}
}
