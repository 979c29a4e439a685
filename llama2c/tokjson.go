package llama2c

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// The special tokens every llama2.c tokenizer has at ids 0, 1 and 2, under
// the names HF Llama tokenizers give them.
var specialPieces = [...]string{"<unk>", "<s>", "</s>"}

// metaSpace is the rune SentencePiece writes for a space; llama2.c
// tokenizer files store plain spaces instead.
const metaSpace = "▁"

// hfPieces returns the HF vocabulary of v: the special names at ids 0–2,
// every other piece with its spaces written as "▁". Pieces must be
// non-empty, valid UTF-8 and distinct.
func hfPieces(v *Vocab) ([]string, error) {
	if len(v.Pieces) < len(specialPieces) {
		return nil, fmt.Errorf("tokenizer has %d tokens; llama2.c tokenizers start with <unk>, <s>, </s>", len(v.Pieces))
	}
	out := make([]string, len(v.Pieces))
	seen := make(map[string]int, len(v.Pieces))
	for id, p := range v.Pieces {
		switch {
		case id < len(specialPieces):
			p = specialPieces[id]
		case p == "":
			return nil, fmt.Errorf("token %d: empty piece", id)
		case !utf8.ValidString(p):
			return nil, fmt.Errorf("token %d: piece %q is not valid UTF-8", id, p)
		default:
			p = strings.ReplaceAll(p, " ", metaSpace)
		}
		if prev, dup := seen[p]; dup {
			return nil, fmt.Errorf("token %d: piece %q repeats token %d", id, p, prev)
		}
		seen[p] = id
		out[id] = p
	}
	return out, nil
}

// isBytePiece reports whether p names a byte-fallback token, "<0xNN>".
func isBytePiece(p string) bool {
	const hex = "0123456789ABCDEF"
	return len(p) == 6 && strings.HasPrefix(p, "<0x") && p[5] == '>' &&
		strings.IndexByte(hex, p[3]) >= 0 && strings.IndexByte(hex, p[4]) >= 0
}

// bpeMerges derives BPE merges from SentencePiece scores, as transformers'
// converter does: every split of a piece into two pieces of the vocabulary
// is a merge, and merges are ranked by the score of the piece they make,
// highest first (ties: lower ids first). Special and byte tokens take no
// part.
func bpeMerges(pieces []string, scores []float32) [][2]string {
	ids := make(map[string]int, len(pieces))
	for id, p := range pieces {
		if id >= len(specialPieces) && !isBytePiece(p) {
			ids[p] = id
		}
	}
	type merge struct{ made, left, right int }
	var ms []merge
	for p, id := range ids {
		for i := range p { // rune boundaries
			if i == 0 {
				continue
			}
			l, lok := ids[p[:i]]
			rr, rok := ids[p[i:]]
			if lok && rok {
				ms = append(ms, merge{id, l, rr})
			}
		}
	}
	sort.Slice(ms, func(a, b int) bool {
		x, y := ms[a], ms[b]
		if sx, sy := scores[x.made], scores[y.made]; sx != sy {
			return sx > sy
		}
		if x.made != y.made {
			return x.made < y.made
		}
		if x.left != y.left {
			return x.left < y.left
		}
		return x.right < y.right
	})
	out := make([][2]string, len(ms))
	for i, m := range ms {
		out[i] = [2]string{pieces[m.left], pieces[m.right]}
	}
	return out
}

// orderedVocab marshals as a JSON object from piece to id, in id order.
type orderedVocab []string

// MarshalJSON implements json.Marshaler.
func (v orderedVocab) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for id, p := range v {
		if id > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s:%d", k, id)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// node is a JSON object of a tokenizer.json pipeline stage.
type node = map[string]any

// tokenizerJSON builds the HF tokenizer.json of v: SentencePiece-style BPE
// with byte fallback, a "▁" put in front of the text, BOS added on encode,
// and a decoder that turns "▁" back into spaces and drops the first one.
func tokenizerJSON(v *Vocab) ([]byte, error) {
	pieces, err := hfPieces(v)
	if err != nil {
		return nil, err
	}
	merges := []string{}
	for _, m := range bpeMerges(pieces, v.Scores) {
		merges = append(merges, m[0]+" "+m[1])
	}
	added := make([]node, len(specialPieces))
	for id, p := range specialPieces {
		added[id] = node{"id": id, "content": p, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
	}
	bos, seq := node{"SpecialToken": node{"id": "<s>", "type_id": 0}}, func(id string, typ int) node {
		return node{"Sequence": node{"id": id, "type_id": typ}}
	}
	doc := struct {
		Version       string `json:"version"`
		Truncation    any    `json:"truncation"`
		Padding       any    `json:"padding"`
		AddedTokens   []node `json:"added_tokens"`
		Normalizer    node   `json:"normalizer"`
		PreTokenizer  any    `json:"pre_tokenizer"`
		PostProcessor node   `json:"post_processor"`
		Decoder       node   `json:"decoder"`
		Model         node   `json:"model"`
	}{
		Version:     "1.0",
		AddedTokens: added,
		Normalizer: node{"type": "Sequence", "normalizers": []node{
			{"type": "Prepend", "prepend": metaSpace},
			{"type": "Replace", "pattern": node{"String": " "}, "content": metaSpace},
		}},
		PostProcessor: node{
			"type":           "TemplateProcessing",
			"single":         []node{bos, seq("A", 0)},
			"pair":           []node{bos, seq("A", 0), bos, seq("B", 1)},
			"special_tokens": node{"<s>": node{"id": "<s>", "ids": []int{1}, "tokens": []string{"<s>"}}},
		},
		Decoder: node{"type": "Sequence", "decoders": []node{
			{"type": "Replace", "pattern": node{"String": metaSpace}, "content": " "},
			{"type": "ByteFallback"},
			{"type": "Fuse"},
			{"type": "Strip", "content": " ", "start": 1, "stop": 0},
		}},
		Model: node{
			"type": "BPE", "dropout": nil, "unk_token": "<unk>",
			"continuing_subword_prefix": nil, "end_of_word_suffix": nil,
			"fuse_unk": true, "byte_fallback": true,
			"vocab": orderedVocab(pieces), "merges": merges,
		},
	}
	return marshalJSON(doc)
}

// marshalJSON encodes v indented, without HTML escaping (so "<s>" stays
// readable), with a final newline.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
