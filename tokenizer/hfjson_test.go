package tokenizer

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestByteLevelJSON(t *testing.T) {
	tok := mustLoad(t, writeJSON(t, byteLevelJSON(true, false, false)))
	cases := []struct {
		text string
		want []int
	}{
		{"", []int{264}},
		{"hello", []int{264, 259}},
		{"hello world", []int{264, 259, 262, 'l', 'd'}},
		{"hello<|end|>hello", []int{264, 259, 263, 259}},
		{"<s>", []int{264, 264}},
		{"\xffhe", []int{264, 0xff, 256}},
	}
	for _, c := range cases {
		if got := tok.Encode(c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.want)
		}
		if got := tok.Decode(c.want[1:]); got != c.text {
			t.Errorf("Decode(%v) = %q, want %q", c.want[1:], got, c.text)
		}
		if got := tok.EncodeText(c.text); !slices.Equal(got, c.want[1:]) {
			t.Errorf("EncodeText(%q) = %v, want %v (no BOS added; the text's own <s> kept)", c.text, got, c.want[1:])
		}
	}
	if tok.BOS() != 264 || !tok.AddsBOS() || tok.VocabSize() != 265 {
		t.Errorf("BOS %d AddsBOS %v VocabSize %d", tok.BOS(), tok.AddsBOS(), tok.VocabSize())
	}
}

// The merge order decides, whatever the ids: with ids reversed, the same
// merges happen and only the numbers change.
func TestByteLevelJSONRanksFromMerges(t *testing.T) {
	plain := mustLoad(t, writeJSON(t, byteLevelJSON(false, false, false)))
	permuted := mustLoad(t, writeJSON(t, byteLevelJSON(false, true, true)))
	text := "hello world, hello\xc3"
	a, b := plain.Encode(text), permuted.Encode(text)
	if len(a) != len(b) {
		t.Fatalf("%v vs %v", a, b)
	}
	for i := range a {
		want := a[i]
		switch {
		case a[i] < 256:
			want = 255 - a[i]
		case a[i] < 263:
			want = 256 + 262 - a[i]
		}
		if b[i] != want {
			t.Errorf("id %d: %d, want %d (%v vs %v)", i, b[i], want, a, b)
		}
	}
	if plain.Decode(a) != text || permuted.Decode(b) != text {
		t.Error("round trip failed")
	}
	if plain.AddsBOS() || plain.BOS() != -1 {
		t.Errorf("no post-processor: AddsBOS %v BOS %d", plain.AddsBOS(), plain.BOS())
	}
}

func TestSentencePieceJSON(t *testing.T) {
	tok := mustLoad(t, writeJSON(t, spmJSON()))
	id := func(s string) int { return spmJSON()["model"].(map[string]any)["vocab"].(map[string]int)[s] }
	cases := []struct {
		text string
		want []int
	}{
		{"", []int{1}},
		{"hello world", []int{1, id("▁hello"), id("▁world")}},
		{"héllo", []int{1, id("▁h"), 3 + 0xC3, 3 + 0xA9, id("ll"), id("o")}},
		{" hello", []int{1, id("▁"), id("▁hello")}},
	}
	for _, c := range cases {
		got := tok.Encode(c.text)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.want)
		}
		if dec := tok.Decode(got[1:]); dec != c.text {
			t.Errorf("Decode(Encode(%q)) = %q", c.text, dec)
		}
	}
}

func TestHFJSONErrors(t *testing.T) {
	edit := func(f func(m map[string]any)) map[string]any {
		m := byteLevelJSON(false, false, false)
		f(m)
		return m
	}
	model := func(m map[string]any) map[string]any { return m["model"].(map[string]any) }
	cases := []struct {
		name string
		file any
		want string
	}{
		{"wordpiece", edit(func(m map[string]any) { model(m)["type"] = "WordPiece" }), `model.type "WordPiece"`},
		{"no vocab", edit(func(m map[string]any) { delete(model(m), "vocab") }), "model.vocab"},
		{"no model", edit(func(m map[string]any) { delete(m, "model") }), "model: missing"},
		{"bad regex", edit(func(m map[string]any) {
			m["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "Split", "pattern": map[string]any{"Regex": "(unclosed"}, "behavior": "Isolated"},
				map[string]any{"type": "ByteLevel", "use_regex": false}}}
		}), "pre_tokenizer: pattern \"(unclosed\""},
		{"bad merge", edit(func(m map[string]any) { model(m)["merges"] = []any{"h"} }), "model.merges[0]"},
		{"merge not in vocab", edit(func(m map[string]any) { model(m)["merges"] = []any{"x y"} }), "model.merges[0]"},
		{"bad post", edit(func(m map[string]any) { m["post_processor"] = map[string]any{"type": "BertProcessing"} }), `post_processor.type "BertProcessing"`},
		{"bad id", edit(func(m map[string]any) { model(m)["vocab"].(map[string]int)["zz"] = -4 }), `model.vocab["zz"]`},
	}
	for _, c := range cases {
		p := writeJSON(t, c.file)
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming %s and %q", c.name, err, p, c.want)
		}
	}
	p := writeJSON(t, "not an object")
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("malformed JSON: %v", err)
	}
}

func TestLoadFolder(t *testing.T) {
	p := writeJSON(t, byteLevelJSON(false, false, false))
	dir := p[:len(p)-len("/tokenizer.json")]
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Encode("hello"); !reflect.DeepEqual(got, []int{259}) {
		t.Errorf("Encode = %v", got)
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no tokenizer.json or tokenizer.model") {
		t.Errorf("empty folder: %v", err)
	}
}
