package tokenizer

import "strings"

// metaSpaceInside reports whether a piece holds "▁" after another
// character. When none does, no merge joins a character to a "▁" that
// follows it, so text can be merged word by word: a word is a run of "▁"
// and the characters up to the next "▁".
func metaSpaceInside(vocab map[string]int) bool {
	for p := range vocab {
		if strings.Contains(strings.TrimLeft(p, metaSpace), metaSpace) {
			return true
		}
	}
	return false
}

// mergeWords merges s word by word when wordCut allows, remembering each
// distinct word's symbols (text repeats its words), else all at once.
func (t *spmBPE) mergeWords(s string) []symbol {
	if !t.wordCut {
		return t.mergeAll(s)
	}
	out := make([]symbol, 0, len(s)/3)
	seen := map[string][]symbol{}
	for start := 0; start < len(s); {
		end := wordEnd(s, start)
		w := s[start:end]
		syms, ok := seen[w]
		if !ok {
			syms = t.mergeAll(w)
			seen[w] = syms
		}
		for _, y := range syms {
			out = append(out, symbol{start: start + y.start, end: start + y.end, id: y.id})
		}
		start = end
	}
	return out
}

// wordEnd returns where the word starting at s[start] ends: at the next "▁"
// that follows another character, or at the end of s.
func wordEnd(s string, start int) int {
	i := start
	for strings.HasPrefix(s[i:], metaSpace) {
		i += len(metaSpace)
	}
	if j := strings.Index(s[i:], metaSpace); j >= 0 {
		return i + j
	}
	return len(s)
}
