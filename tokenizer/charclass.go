package tokenizer

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Character classes of the split patterns, as regexp2 (the engine the
// patterns were written for here) defines them: \p{X} is Go's unicode
// category X and \s is unicode.IsSpace.
const (
	clLetter  uint8 = 1 << iota // \p{L}
	clNumber                    // \p{N}
	clSpace                     // \s
	clNewline                   // \r or \n
	clOther                     // [^\s\p{L}\p{N}]
	clUpper                     // o200k's [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
	clLower                     // o200k's [\p{Ll}\p{Lm}\p{Lo}\p{M}]
)

// classTable holds the class bits of every rune, built on first use.
var classTable = sync.OnceValue(func() []uint8 {
	t := make([]uint8, unicode.MaxRune+1)
	mark := func(tab *unicode.RangeTable, bits uint8) {
		for _, r := range tab.R16 {
			for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
				t[c] |= bits
			}
		}
		for _, r := range tab.R32 {
			for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
				t[c] |= bits
			}
		}
	}
	mark(unicode.Lu, clLetter|clUpper)
	mark(unicode.Lt, clLetter|clUpper)
	mark(unicode.Ll, clLetter|clLower)
	mark(unicode.Lm, clLetter|clUpper|clLower)
	mark(unicode.Lo, clLetter|clUpper|clLower)
	mark(unicode.M, clUpper|clLower)
	mark(unicode.N, clNumber)
	mark(unicode.White_Space, clSpace)
	t['\r'] |= clNewline
	t['\n'] |= clNewline
	for c := range t {
		if t[c]&(clLetter|clNumber|clSpace) == 0 {
			t[c] |= clOther
		}
	}
	return t
})

// textClasses reads the class bits of the runes of one text.
type textClasses struct {
	s   string
	tab []uint8
}

func newTextClasses(s string) textClasses { return textClasses{s, classTable()} }

// at returns the class bits and byte length of the rune at byte i; past the
// end it returns no bits and length 0.
func (t textClasses) at(i int) (uint8, int) {
	if i >= len(t.s) {
		return 0, 0
	}
	if c := t.s[i]; c < utf8.RuneSelf {
		return t.tab[c], 1
	}
	r, n := utf8.DecodeRuneInString(t.s[i:])
	return t.tab[r], n
}

// run returns the end of the longest run of runes from i whose bits meet mask.
func (t textClasses) run(i int, mask uint8) int {
	for {
		c, n := t.at(i)
		if c&mask == 0 {
			return i
		}
		i += n
	}
}
