package tokenizer

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedToken is a token matched verbatim in the input before BPE runs, as HF
// does for tokenizer.json added_tokens.
type addedToken struct {
	content    string
	id         int
	lstrip     bool // swallow whitespace on its left
	rstrip     bool // swallow whitespace on its right
	singleWord bool // only match when not inside a word
}

// addedTokens finds added tokens in text: the leftmost match, and the
// longest one at that position.
type addedTokens struct {
	first   [256]bool             // bytes that start some token
	byFirst map[byte][]addedToken // longest first
}

// newAddedTokens indexes toks; it returns nil when there are none.
func newAddedTokens(toks []addedToken) *addedTokens {
	a := &addedTokens{byFirst: map[byte][]addedToken{}}
	for _, t := range toks {
		if t.content == "" {
			continue
		}
		c := t.content[0]
		a.first[c] = true
		a.byFirst[c] = append(a.byFirst[c], t)
	}
	if len(a.byFirst) == 0 {
		return nil
	}
	for _, l := range a.byFirst {
		sort.SliceStable(l, func(i, j int) bool { return len(l[i].content) > len(l[j].content) })
	}
	return a
}

// split calls plain for each non-empty stretch of text between added tokens
// and special for each added token, in order.
func (a *addedTokens) split(text string, plain func(string), special func(int)) {
	start := 0 // start of the pending plain stretch
	for i := 0; i < len(text); i++ {
		if !a.first[text[i]] {
			continue
		}
		t, ok := a.match(text, i)
		if !ok {
			continue
		}
		seg, end := text[start:i], i+len(t.content)
		if t.lstrip {
			seg = strings.TrimRightFunc(seg, unicode.IsSpace)
		}
		if t.rstrip {
			end = len(text) - len(strings.TrimLeftFunc(text[end:], unicode.IsSpace))
		}
		if seg != "" {
			plain(seg)
		}
		special(t.id)
		start = end
		i = end - 1
	}
	if start < len(text) {
		plain(text[start:])
	}
}

// match returns the longest token that starts at text[i].
func (a *addedTokens) match(text string, i int) (addedToken, bool) {
	for _, t := range a.byFirst[text[i]] {
		if !strings.HasPrefix(text[i:], t.content) {
			continue
		}
		if t.singleWord && (wordRuneBefore(text, i) || wordRuneAfter(text, i+len(t.content))) {
			continue
		}
		return t, true
	}
	return addedToken{}, false
}

func wordRuneBefore(text string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return i > 0 && isWordRune(r)
}

func wordRuneAfter(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return i < len(text) && isWordRune(r)
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
