package tokenizer

import (
	"fmt"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// A splitter cuts valid UTF-8 text into the pieces of a pre-tokenizer
// pattern, in order, calling emit for each.
type splitter func(s string, emit func(piece string))

// newSplitter returns the splitter of patterns. One pattern is split as
// tiktoken splits: a hand-written splitter for the known patterns
// (knownPieces), regexp2 for any other. Several run one after the other, as
// llama.cpp runs a pre-tokenizer's regex list and HF a Sequence of
// Split(Isolated): each cuts every piece of the one before into its matches
// and the stretches between them.
func newSplitter(patterns ...string) (splitter, error) {
	if len(patterns) == 1 {
		return patternSplitter(patterns[0], false)
	}
	stages := make([]splitter, len(patterns))
	for i, p := range patterns {
		var err error
		if stages[i], err = patternSplitter(p, true); err != nil {
			return nil, err
		}
	}
	return func(s string, emit func(string)) { runStages(stages, s, emit) }, nil
}

func runStages(stages []splitter, s string, emit func(string)) {
	if len(stages) == 0 {
		emit(s)
		return
	}
	stages[0](s, func(piece string) { runStages(stages[1:], piece, emit) })
}

// patternSplitter returns a hand-written splitter for a known pattern, else
// regexp2's, which emits the text between matches when keepGaps is set.
func patternSplitter(pattern string, keepGaps bool) (splitter, error) {
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
	return regexpSplitter(pattern, keepGaps)
}

// regexpSplitter runs pattern with regexp2 (.NET syntax, as tiktoken-go
// does): each match is a piece; text no match covers is dropped (tiktoken)
// or, with keepGaps, a piece of its own (HF Split Isolated, llama.cpp).
func regexpSplitter(pattern string, keepGaps bool) (splitter, error) {
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
		end := 0 // end of the last match
		m, _ := re.FindRunesMatch(runes)
		for m != nil {
			start := offset(m.Index)
			if keepGaps && start > end {
				emit(s[end:start])
			}
			end = offset(m.Index + m.Length)
			if end > start {
				emit(s[start:end])
			}
			m, _ = re.FindNextMatch(m)
		}
		if keepGaps && end < len(s) {
			emit(s[end:])
		}
	}, nil
}
