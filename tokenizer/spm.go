package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// metaSpace is the rune SentencePiece writes for a space.
const metaSpace = "▁"

// mergeFunc says whether the adjacent symbols with ids l and r (-1: not in
// the vocab), whose joined text is s, merge: into id, with priority prio
// (higher merges first).
type mergeFunc func(l, r int, s string) (prio float64, id int, ok bool)

// spmBPE is SentencePiece-style BPE (Llama 2, Mistral, TinyLlama): spaces
// become "▁", a "▁" goes in front, the characters merge by priority, and
// characters left outside the vocab become <0xNN> byte tokens or <unk>.
type spmBPE struct {
	frame
	vocab        map[string]int // mergeable pieces
	merge        mergeFunc
	pieces       [][]byte // decoded bytes of each id
	byteIDs      [256]int // id of <0xNN>, or -1
	unk          int      // -1 when none
	byteFallback bool
	fuseUnk      bool
	dummy        prefixRule
	splitWords   bool // each "▁" starts a new word (Metaspace split)
	removeSpaces bool // SentencePiece remove_extra_whitespaces
	prefixAny    bool // put "▁" first even when the text starts with one
	stripLead    bool // Decode drops the space that starts the text
	parallel     bool // no token holding "\n" has other characters
	wordCut      bool // merges stay inside words (mergeWords)
}

// prefixRule says to which segments the "▁" prefix goes.
type prefixRule int

const (
	prefixNever  prefixRule = iota
	prefixFirst             // only the segment that starts the text
	prefixAlways            // every segment between added tokens
)

// Encode implements Tokenizer.
func (t *spmBPE) Encode(text string) []int { return t.encode(text, t.encodeSegment) }

// EncodeText encodes text without the post-processor's ids.
func (t *spmBPE) EncodeText(text string) []int { return t.encodeText(nil, text, t.encodeSegment) }

func (t *spmBPE) encodeSegment(dst []int, seg string, first bool) []int {
	if t.removeSpaces {
		seg = strings.Join(strings.FieldsFunc(seg, func(r rune) bool { return r == ' ' }), " ")
	}
	if seg == "" {
		return dst
	}
	lead := t.dummy == prefixAlways || (t.dummy == prefixFirst && first)
	if !t.parallel {
		return t.encodeChunk(dst, seg, lead)
	}
	return encodeChunked(dst, seg, cutAfterNewline, func(dst []int, s string, firstChunk bool) []int {
		return t.encodeChunk(dst, s, lead && firstChunk)
	})
}

// encodeChunk escapes spaces, adds the "▁" prefix when lead is set, and runs
// the merges.
func (t *spmBPE) encodeChunk(dst []int, s string, lead bool) []int {
	s = strings.ReplaceAll(s, " ", metaSpace)
	if lead && (t.prefixAny || !strings.HasPrefix(s, metaSpace)) {
		s = metaSpace + s
	}
	syms := t.mergeWords(s)
	unkRun := false
	for _, y := range syms {
		if y.id >= 0 {
			dst = append(dst, y.id)
			unkRun = false
			continue
		}
		if t.byteFallback && t.allBytesKnown(s[y.start:y.end]) {
			for i := y.start; i < y.end; i++ {
				dst = append(dst, t.byteIDs[s[i]])
			}
			unkRun = false
			continue
		}
		if t.unk >= 0 && !(t.fuseUnk && unkRun) {
			dst = append(dst, t.unk)
		}
		unkRun = true
	}
	return dst
}

func (t *spmBPE) allBytesKnown(s string) bool {
	for i := 0; i < len(s); i++ {
		if t.byteIDs[s[i]] < 0 {
			return false
		}
	}
	return true
}

// symbol is a stretch s[start:end] of the text being merged, linked to its
// neighbours.
type symbol struct {
	start, end int
	prev, next int // indexes in the symbol slice; -1 at the ends
	id         int
}

// candidate is a possible merge of symbol left with its right neighbour,
// valid while the pair still spans start..end.
type candidate struct {
	prio       float64
	left       int
	start, end int
	id         int
}

// mergeAll splits s into characters (an invalid byte is a character of its
// own) and merges the best-priority adjacent pair, leftmost first on ties,
// until nothing merges. It returns the symbols left, in order.
func (t *spmBPE) mergeAll(s string) []symbol {
	syms := make([]symbol, 0, len(s))
	for i := 0; i < len(s); {
		_, n := utf8.DecodeRuneInString(s[i:])
		id, ok := t.vocab[s[i:i+n]]
		if !ok {
			id = -1
		}
		syms = append(syms, symbol{start: i, end: i + n, prev: len(syms) - 1, next: len(syms) + 1, id: id})
		i += n
	}
	if len(syms) == 0 {
		return nil
	}
	syms[len(syms)-1].next = -1
	var h candHeap
	for i := 0; i+1 < len(syms); i++ {
		t.push(&h, syms, s, i)
	}
	for len(h) > 0 {
		c := h.pop()
		l := &syms[c.left]
		if l.end == l.start || l.start != c.start || l.next < 0 || syms[l.next].end != c.end {
			continue // stale: one side has merged since
		}
		r := &syms[l.next]
		l.end, l.id, l.next = r.end, c.id, r.next
		r.start, r.end = 0, 0 // dead
		if l.next >= 0 {
			syms[l.next].prev = c.left
			t.push(&h, syms, s, c.left)
		}
		if l.prev >= 0 {
			t.push(&h, syms, s, l.prev)
		}
	}
	out := syms[:0]
	for i := 0; i >= 0; {
		y := syms[i]
		out = append(out, y)
		i = y.next
	}
	return out
}

// push adds the merge of syms[i] with its right neighbour, if there is one.
func (t *spmBPE) push(h *candHeap, syms []symbol, s string, i int) {
	l := syms[i]
	r := syms[l.next]
	if t.splitWords && strings.HasPrefix(s[r.start:], metaSpace) {
		return
	}
	prio, id, ok := t.merge(l.id, r.id, s[l.start:r.end])
	if ok {
		h.push(candidate{prio: prio, left: i, start: l.start, end: r.end, id: id})
	}
}

// Decode implements Tokenizer.
func (t *spmBPE) Decode(ids []int) string { return decodeAll(t, ids) }

func (t *spmBPE) piece(id int) []byte {
	if id < 0 || id >= len(t.pieces) {
		return nil
	}
	return t.pieces[id]
}

func (t *spmBPE) stripsLead() bool { return t.stripLead }

// candHeap is a max-heap of candidates: highest priority first, then the
// leftmost.
type candHeap []candidate

func (h candHeap) less(i, j int) bool {
	if h[i].prio != h[j].prio {
		return h[i].prio > h[j].prio
	}
	return h[i].start < h[j].start
}

func (h *candHeap) push(c candidate) {
	*h = append(*h, c)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *candHeap) pop() candidate {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	for i := 0; ; {
		m, l, r := i, 2*i+1, 2*i+2
		if l < n && a.less(l, m) {
			m = l
		}
		if r < n && a.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}
