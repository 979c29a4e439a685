package tokenizer

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Word-by-word merging gives the ids of merging the whole text at once.
func TestSPMWordsEqualWhole(t *testing.T) {
	toks := map[string]*spmBPE{"spm json": mustLoad(t, writeJSON(t, spmJSON())).(*spmBPE)}
	if dir, ok := findShared(); ok {
		toks["llama2 tokenizer.model"] = mustLoad(t, filepath.Join(dir, "data/llama2_tokenizer/tokenizer.model")).(*spmBPE)
	}
	text := syntheticText(30000) + strings.Join(randomTexts(300, 20, 4), " ") + "  hello   world\n▁▁x"
	for name, tok := range toks {
		if !tok.wordCut {
			t.Fatalf("%s: word-by-word merging not enabled", name)
		}
		words := tok.encodeChunk(nil, text, true)
		tok.wordCut = false
		whole := tok.encodeChunk(nil, text, true)
		tok.wordCut = true
		if !slices.Equal(words, whole) {
			t.Errorf("%s: word-by-word merging differs from whole-text merging", name)
		}
	}
	if !metaSpaceInside(map[string]int{"▁▁a": 0, "a▁": 1}) || metaSpaceInside(map[string]int{"▁▁a": 0, "▁": 1}) {
		t.Error("metaSpaceInside misjudges pieces")
	}
}
