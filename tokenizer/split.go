package tokenizer

import "github.com/gollm/gollm/internal/parallel"

// Large inputs are cut into chunks that are encoded in parallel. A cut is
// only made where the tokenizer provably cannot join the text on its two
// sides, so the ids are the same as a sequential encode.
const (
	parallelMin = 256 << 10 // inputs shorter than this are encoded in one go
	chunkMin    = 64 << 10  // smallest chunk worth a goroutine
	cutSearch   = 16 << 10  // how far past a target position to look for a cut
)

// Patterns for which cutAfterLineBreak is a safe cut: GPT-2/r50k/p50k,
// cl100k/Llama 3, Qwen2 and o200k. In each, no alternative can match a "\n"
// and then a letter, a "\n" after a printable ASCII character starts or ends
// a one-character piece whatever follows, and the only lookahead, (?!\S),
// looks one character ahead.
var splitSafePatterns = map[string]bool{
	patGPT2:   true,
	patCL100k: true,
	patQwen2:  true,
	patO200k:  true,
}

// cutAfterLineBreak reports whether s can be cut before s[p] for byte-level
// BPE with a pattern in splitSafePatterns: "x\nA" with x printable ASCII
// (not a space) and A an ASCII letter, cut between "\n" and "A".
func cutAfterLineBreak(s string, p int) bool {
	return p >= 2 && p < len(s) && s[p-1] == '\n' && s[p-2] > ' ' && s[p-2] < 0x7f && isASCIILetter(s[p])
}

// cutAfterNewline reports whether s can be cut before s[p] for a tokenizer in
// which no token holding "\n" has other characters.
func cutAfterNewline(s string, p int) bool { return p >= 1 && p < len(s) && s[p-1] == '\n' }

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// cutPoints returns increasing positions in s where cut allows a cut, about
// size bytes apart.
func cutPoints(s string, size int, cut func(string, int) bool) []int {
	var cuts []int
	for target := size; target < len(s)-chunkMin/4; target += size {
		if len(cuts) > 0 && target < cuts[len(cuts)-1]+size/2 {
			continue
		}
		for p := target; p < len(s) && p < target+cutSearch; p++ {
			if cut(s, p) {
				cuts = append(cuts, p)
				break
			}
		}
	}
	return cuts
}

// encodeChunked appends the ids of s to dst, encoding large inputs as chunks
// in parallel. enc encodes one chunk; first tells whether it starts s.
func encodeChunked(dst []int, s string, cut func(string, int) bool, enc func(dst []int, s string, first bool) []int) []int {
	workers := parallel.Threads()
	if len(s) < parallelMin || workers < 2 {
		return enc(dst, s, true)
	}
	size := max(chunkMin, len(s)/(4*workers))
	bounds := append(append([]int{0}, cutPoints(s, size, cut)...), len(s))
	parts := make([][]int, len(bounds)-1)
	parallel.For(len(parts), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			chunk := s[bounds[i]:bounds[i+1]]
			parts[i] = enc(make([]int, 0, len(chunk)/3), chunk, i == 0)
		}
	})
	for _, p := range parts {
		dst = append(dst, p...)
	}
	return dst
}
