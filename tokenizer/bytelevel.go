package tokenizer

import (
	"unicode/utf8"
)

// byteBPE is byte-level BPE (GPT-2, tiktoken, Llama 3, Qwen): the pattern
// splits text into pieces, and each piece's bytes are merged as tiktoken
// merges them, lowest rank first.
type byteBPE struct {
	frame
	ranks       *bpeRanks
	split       splitter
	rankToID    []int    // nil when ranks are the ids
	pieces      [][]byte // bytes of each id
	parallel    bool     // the pattern is one whose safe cuts are proven
	prefixSpace bool     // put a space before each segment not starting with one
}

// newByteBPE builds the encoder from ranks (token bytes → rank), with
// rankToID mapping ranks to ids (nil: the same) and the split patterns
// (newSplitter). pieces gives each id's bytes for decoding, specials
// included.
func newByteBPE(ranks map[string]int, rankToID []int, pieces [][]byte, patterns ...string) (*byteBPE, error) {
	r, err := newBPERanks(ranks)
	if err != nil {
		return nil, err
	}
	split, err := newSplitter(patterns...)
	if err != nil {
		return nil, err
	}
	return &byteBPE{frame: frame{vocabSize: len(pieces)}, ranks: r, split: split, rankToID: rankToID, pieces: pieces, parallel: len(patterns) == 1 && splitSafePatterns[patterns[0]]}, nil
}

// Encode implements Tokenizer.
func (b *byteBPE) Encode(text string) []int { return b.encode(text, b.encodeSegment) }

// EncodeText encodes text without the post-processor's ids.
func (b *byteBPE) EncodeText(text string) []int { return b.encodeText(nil, text, b.encodeSegment) }

// encodeSegment encodes text lying between added tokens.
func (b *byteBPE) encodeSegment(dst []int, seg string, _ bool) []int {
	if b.prefixSpace && (seg == "" || seg[0] != ' ') {
		seg = " " + seg
	}
	if !b.parallel {
		return b.encodePlain(dst, seg)
	}
	return encodeChunked(dst, seg, cutAfterLineBreak, func(dst []int, s string, _ bool) []int { return b.encodePlain(dst, s) })
}

// encodePlain encodes s with no added-token matching. Valid UTF-8 stretches
// go through the pattern and the merges; each invalid byte becomes its own
// single-byte token, so decoding gives s back.
func (b *byteBPE) encodePlain(dst []int, s string) []int {
	var merged mergeCache
	for len(s) > 0 {
		n := validPrefix(s)
		if n == 0 {
			dst = append(dst, b.id(b.ranks.one[s[0]]))
			s = s[1:]
			continue
		}
		b.split(s[:n], func(piece string) { dst = b.appendPiece(dst, piece, &merged) })
		s = s[n:]
	}
	return dst
}

// appendPiece appends the ids of one piece: its own id when it is a token,
// else the ids of its merged parts, remembered in merged.
func (b *byteBPE) appendPiece(dst []int, piece string, merged *mergeCache) []int {
	if r, ok := b.ranks.rank(piece); ok {
		return append(dst, b.id(r))
	}
	if ids, ok := merged.get(piece); ok {
		return append(dst, ids...)
	}
	n := len(dst)
	dst = bpeMerge(b.ranks, dst, piece)
	if b.rankToID != nil {
		for i := n; i < len(dst); i++ {
			dst[i] = b.rankToID[dst[i]]
		}
	}
	merged.put(piece, dst[n:])
	return dst
}

func (b *byteBPE) id(rank int) int {
	if b.rankToID == nil {
		return rank
	}
	return b.rankToID[rank]
}

// Decode implements Tokenizer.
func (b *byteBPE) Decode(ids []int) string { return decodeAll(b, ids) }

func (b *byteBPE) piece(id int) []byte {
	if id < 0 || id >= len(b.pieces) {
		return nil
	}
	return b.pieces[id]
}

func (b *byteBPE) stripsLead() bool { return false }

// validPrefix returns the length of the longest valid UTF-8 prefix of s.
func validPrefix(s string) int {
	if utf8.ValidString(s) {
		return len(s)
	}
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(s)
}
