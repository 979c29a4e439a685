package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A pieceEnd returns the end of the piece that starts at byte i < len(t.s):
// what regexp2 matches there with one of the known patterns. Each follows
// its pattern's alternatives in order, with the backtracking of greedy
// quantifiers worked out by hand (docs/tokenizer.md). Every rune is a
// letter, a number, a space or "other", and each pattern has an alternative
// that starts with each of these, so every piece is non-empty and the
// pieces cover the text.
type pieceEnd func(t textClasses, i int) int

// knownPieces holds the hand-written splitters, by pattern.
var knownPieces = map[string]pieceEnd{
	patGPT2:   gpt2Piece,
	patCL100k: func(t textClasses, i int) int { return cl100kPiece(t, i, 3) },
	patQwen2:  func(t textClasses, i int) int { return cl100kPiece(t, i, 1) },
	patO200k:  o200kPiece,
}

// gpt2Piece: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func gpt2Piece(t textClasses, i int) int {
	if n := contraction(t.s, i, false); n > 0 {
		return i + n
	}
	q := i
	if t.s[i] == ' ' {
		q++
	}
	c, _ := t.at(q)
	for _, cl := range [...]uint8{clLetter, clNumber, clOther} {
		if c&cl != 0 {
			return t.run(q, cl)
		}
	}
	return spaceEnd(t, i, false)
}

// cl100kPiece: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,digits}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ (digits 3: cl100k and
// Llama 3; 1: Qwen2).
func cl100kPiece(t textClasses, i, digits int) int {
	if n := contraction(t.s, i, true); n > 0 {
		return i + n
	}
	c, n := t.at(i)
	if c&(clLetter|clNumber|clNewline) == 0 {
		if c2, _ := t.at(i + n); c2&clLetter != 0 {
			return t.run(i+n, clLetter)
		}
	}
	if c&clLetter != 0 {
		return t.run(i, clLetter)
	}
	if c&clNumber != 0 {
		return numberEnd(t, i, digits)
	}
	if e := punctEnd(t, i, "\r\n"); e > i {
		return e
	}
	return spaceEnd(t, i, true)
}

// o200kPiece: [^\r\n\p{L}\p{N}]?U*W+C?|[^\r\n\p{L}\p{N}]?U+W*C?|\p{N}{1,3}|
// ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+ with
// U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], W = [\p{Ll}\p{Lm}\p{Lo}\p{M}] and C
// the optional case-insensitive contraction.
func o200kPiece(t textClasses, i int) int {
	c, n := t.at(i)
	prefix := c&(clLetter|clNumber|clNewline) == 0
	for _, end := range [...]func(textClasses, int) int{o200kLowerEnd, o200kUpperEnd} {
		if prefix {
			if e := end(t, i+n); e >= 0 {
				return e
			}
		}
		if e := end(t, i); e >= 0 {
			return e
		}
	}
	if c&clNumber != 0 {
		return numberEnd(t, i, 3)
	}
	if e := punctEnd(t, i, "\r\n/"); e > i {
		return e
	}
	return spaceEnd(t, i, true)
}

// o200kLowerEnd matches U*W+C? at q, or returns -1. U* first takes the
// whole U run; if the rune after it is not in W, U* gives back runes until
// W+ can start, which is at the last rune of the run that is also in W,
// and W+ then ends right after it.
func o200kLowerEnd(t textClasses, q int) int {
	end := -1
	for p := q; ; {
		c, n := t.at(p)
		if c&clUpper == 0 {
			if c&clLower != 0 {
				end = t.run(p, clLower)
			}
			break
		}
		if c&clLower != 0 {
			end = p + n
		}
		p += n
	}
	if end < 0 {
		return -1
	}
	return end + contraction(t.s, end, true)
}

// o200kUpperEnd matches U+W*C? at q, or returns -1.
func o200kUpperEnd(t textClasses, q int) int {
	if c, _ := t.at(q); c&clUpper == 0 {
		return -1
	}
	e := t.run(t.run(q, clUpper), clLower)
	return e + contraction(t.s, e, true)
}

// numberEnd matches \p{N}{1,max} at i (a number).
func numberEnd(t textClasses, i, max int) int {
	for k := 0; k < max; k++ {
		c, n := t.at(i)
		if c&clNumber == 0 {
			break
		}
		i += n
	}
	return i
}

// punctEnd matches " ?[^\s\p{L}\p{N}]+[tail]*" at i, or returns i.
func punctEnd(t textClasses, i int, tail string) int {
	q := i
	if t.s[i] == ' ' {
		q++
	}
	if c, _ := t.at(q); c&clOther == 0 {
		return i
	}
	e := t.run(q, clOther)
	for e < len(t.s) && strings.IndexByte(tail, t.s[e]) >= 0 {
		e++
	}
	return e
}

// spaceEnd matches, at a space, "\s*[\r\n]+" (when newlines) then
// "\s+(?!\S)|\s+". \s* gives back runes until [\r\n]+ can match, which
// ends right after the run's last line break. \s+(?!\S) keeps the whole run
// at the end of the text, else all but its last rune when that leaves one.
func spaceEnd(t textClasses, i int, newlines bool) int {
	end, last, nl := i, i, -1
	for {
		c, n := t.at(end)
		if c&clSpace == 0 {
			break
		}
		if c&clNewline != 0 {
			nl = end
		}
		last = end
		end += n
	}
	switch {
	case newlines && nl >= 0:
		return nl + 1
	case end < len(t.s) && last > i:
		return last
	}
	return end
}

// contraction returns the length of 's, 't, 're, 've, 'm, 'll or 'd at
// s[i:], or 0. With fold the letters match as regexp2's (?i) matches them:
// the text's rune lower-cased.
func contraction(s string, i int, fold bool) int {
	if i >= len(s) || s[i] != '\'' {
		return 0
	}
	for _, suffix := range [...]string{"s", "t", "re", "ve", "m", "ll", "d"} {
		j := i + 1
		for k := 0; k < len(suffix) && j > 0; k++ {
			j = matchLetter(s, j, suffix[k], fold)
		}
		if j > 0 {
			return j - i
		}
	}
	return 0
}

// matchLetter returns the position after s[j]'s rune when it is the ASCII
// letter want (or lower-cases to it, with fold), else -1.
func matchLetter(s string, j int, want byte, fold bool) int {
	if j >= len(s) {
		return -1
	}
	r, n := rune(s[j]), 1
	if r >= utf8.RuneSelf {
		r, n = utf8.DecodeRuneInString(s[j:])
	}
	if fold {
		r = unicode.ToLower(r)
	}
	if r != rune(want) {
		return -1
	}
	return j + n
}
