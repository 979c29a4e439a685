package tokenizer

import (
	"fmt"
	"strings"
)

// buildHFSentencePiece makes SentencePiece-style BPE from a tokenizer.json:
// "▁" from a Prepend/Replace normalizer or a Metaspace pre-tokenizer, merges
// by rank, byte fallback and <unk>.
func buildHFSentencePiece(f *hfFile, merges [][2]string, fr frame) (Tokenizer, error) {
	m := f.Model
	t := &spmBPE{frame: fr, vocab: m.Vocab, unk: -1, byteFallback: m.ByteFallback, fuseUnk: m.FuseUnk}
	spaces := false
	err := f.Normalizer.walk(func(n *hfNode) error {
		switch {
		case n.Type == "Prepend" && n.Prepend == metaSpace:
			t.dummy, t.prefixAny = prefixAlways, true
		case n.Type == "Replace" && n.Pattern != nil && n.Pattern.String != nil && *n.Pattern.String == " " && n.Content == metaSpace:
			spaces = true
		default:
			return fmt.Errorf("normalizer.type %q is not supported (Prepend \"▁\" and Replace \" \" → \"▁\" are)", n.Type)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = f.PreTokenizer.walk(func(n *hfNode) error {
		if n.Type != "Metaspace" || (n.Replacement != "" && n.Replacement != metaSpace) {
			return fmt.Errorf("pre_tokenizer.type %q is not supported without ByteLevel (Metaspace \"▁\" is)", n.Type)
		}
		spaces = true
		t.splitWords = n.Split == nil || *n.Split
		switch n.PrependScheme {
		case "always":
			t.dummy = prefixAlways
		case "first":
			t.dummy = prefixFirst
		case "never":
			t.dummy = prefixNever
		case "":
			if n.AddPrefixSpace == nil || *n.AddPrefixSpace {
				t.dummy = prefixAlways
			}
		default:
			return fmt.Errorf("pre_tokenizer: Metaspace prepend_scheme %q is not supported", n.PrependScheme)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !spaces {
		return nil, fmt.Errorf("pre_tokenizer: neither ByteLevel nor Metaspace, and no Replace \" \" → \"▁\" normalizer: not a supported BPE layout")
	}
	if m.UnkToken != nil {
		id, ok := m.Vocab[*m.UnkToken]
		if !ok {
			return nil, fmt.Errorf("model.unk_token %q is not in model.vocab", *m.UnkToken)
		}
		t.unk = id
	}
	for i := range t.byteIDs {
		t.byteIDs[i] = -1
	}
	for tok, id := range m.Vocab {
		if b, ok := parseBytePiece(tok); ok {
			t.byteIDs[b] = id
		}
	}
	if t.merge, err = pairMerges(m.Vocab, merges); err != nil {
		return nil, err
	}
	t.pieces = idTable(f, fr.vocabSize, func(tok string) []byte {
		if b, ok := parseBytePiece(tok); ok && m.ByteFallback {
			return []byte{b}
		}
		return []byte(strings.ReplaceAll(tok, metaSpace, " "))
	})
	t.stripLead = f.Decoder.has("Strip") || f.Decoder.has("Metaspace")
	t.parallel = !newlineInLongPiece(m.Vocab)
	t.wordCut = t.splitWords || !metaSpaceInside(m.Vocab)
	return t, nil
}

// pairMerges ranks the listed pairs: the earlier a merge, the higher its
// priority.
func pairMerges(vocab map[string]int, merges [][2]string) (mergeFunc, error) {
	type result struct{ rank, id int }
	pairs := make(map[[2]int]result, len(merges))
	for i, m := range merges {
		a, okA := vocab[m[0]]
		b, okB := vocab[m[1]]
		id, okC := vocab[m[0]+m[1]]
		if !okA || !okB || !okC {
			return nil, fmt.Errorf("model.merges[%d]: %q, %q or their join is not in model.vocab", i, m[0], m[1])
		}
		if _, dup := pairs[[2]int{a, b}]; !dup {
			pairs[[2]int{a, b}] = result{i, id}
		}
	}
	return func(l, r int, _ string) (float64, int, bool) {
		if l < 0 || r < 0 {
			return 0, 0, false
		}
		res, ok := pairs[[2]int{l, r}]
		return -float64(res.rank), res.id, ok
	}, nil
}
