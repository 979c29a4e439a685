package tokenizer

import (
	"fmt"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// A splitter cuts valid UTF-8 text into the pieces of a pre-tokenizer
// pattern, in order, calling emit for each.
type splitter func(s string, emit func(piece string))

// newSplitter returns the splitter of pattern: a hand-written one for the
// known patterns (knownPieces), regexp2 for any other.
func newSplitter(pattern string) (splitter, error) {
	if next, ok := knownPieces[pattern]; ok {
		return func(s string, emit func(string)) {
			t := newTextClasses(s)
			for i := 0; i < len(s); {
				e := next(t, i)
				emit(s[i:e])
				i = e
			}
		}, nil
	}
	return regexpSplitter(pattern)
}

// regexpSplitter runs pattern with regexp2 (.NET syntax, as tiktoken-go
// does): each match is a piece, text no match covers is dropped.
func regexpSplitter(pattern string) (splitter, error) {
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	return func(s string, emit func(string)) {
		// regexp2 counts in runes; walk byte offsets alongside.
		runes := []rune(s)
		at, atRune := 0, 0
		offset := func(r int) int {
			for ; atRune < r; atRune++ {
				_, n := utf8.DecodeRuneInString(s[at:])
				at += n
			}
			return at
		}
		m, _ := re.FindRunesMatch(runes)
		for m != nil {
			start := offset(m.Index)
			emit(s[start:offset(m.Index+m.Length)])
			m, _ = re.FindNextMatch(m)
		}
	}, nil
}
