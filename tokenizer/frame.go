package tokenizer

// frame holds what every tokenizer kind shares: the special ids, the ids the
// post-processor puts around the text, and the added tokens matched in it.
type frame struct {
	bos       int
	eos       []int
	prefix    []int        // ids put before the text (BOS)
	suffix    []int        // ids put after the text
	added     *addedTokens // nil when special-token text is plain text
	vocabSize int
}

// BOS returns the beginning-of-sequence id, or -1.
func (f *frame) BOS() int { return f.bos }

// EOS returns a copy of the end-of-sequence ids.
func (f *frame) EOS() []int { return append([]int(nil), f.eos...) }

// AddsBOS reports whether Encode puts ids before the text.
func (f *frame) AddsBOS() bool { return len(f.prefix) > 0 }

// VocabSize is one more than the largest id.
func (f *frame) VocabSize() int { return f.vocabSize }

// encode splits text at added tokens, encodes each plain segment with plain
// (first tells whether the segment starts the text) and adds the
// post-processor's ids around the result.
func (f *frame) encode(text string, plain func(dst []int, seg string, first bool) []int) []int {
	out := append(make([]int, 0, len(f.prefix)+len(f.suffix)+len(text)/3), f.prefix...)
	return append(f.encodeText(out, text, plain), f.suffix...)
}

// encodeText appends text's ids to out without the post-processor's.
func (f *frame) encodeText(out []int, text string, plain func(dst []int, seg string, first bool) []int) []int {
	if f.added == nil {
		if text != "" {
			out = plain(out, text, true)
		}
	} else {
		first := true
		f.added.split(text, func(seg string) {
			out = plain(out, seg, first)
			first = false
		}, func(id int) {
			out = append(out, id)
			first = false
		})
	}
	return out
}
