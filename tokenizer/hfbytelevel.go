package tokenizer

import (
	"fmt"
	"sort"

	"golang.org/x/text/unicode/norm"
)

// buildHFByteLevel makes byte-level BPE from a tokenizer.json: the pattern
// from the pre-tokenizer, ranks from the merge order.
func buildHFByteLevel(f *hfFile, merges [][2]string, fr frame) (Tokenizer, error) {
	pattern, prefixSpace, err := byteLevelPattern(f.PreTokenizer)
	if err != nil {
		return nil, err
	}
	nfc := false
	err = f.Normalizer.walk(func(n *hfNode) error {
		if n.Type != "NFC" {
			return fmt.Errorf("normalizer.type %q is not supported with ByteLevel", n.Type)
		}
		nfc = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	isAdded := map[string]bool{}
	for _, a := range f.AddedTokens {
		isAdded[a.Content] = true
	}
	byBytes := map[string]int{}
	for tok, id := range f.Model.Vocab {
		b, ok := byteLevelDecode(tok)
		if !ok {
			if isAdded[tok] {
				continue
			}
			return nil, fmt.Errorf("model.vocab[%q]: not in the byte-level alphabet", tok)
		}
		byBytes[string(b)] = id
	}
	ranks, rankToID, err := mergeRanks(byBytes, merges, "model.merges")
	if err != nil {
		return nil, err
	}
	pieces := idTable(f, fr.vocabSize, func(tok string) []byte {
		b, _ := byteLevelDecode(tok)
		return b
	})
	b, err := newByteBPE(ranks, rankToID, pieces, pattern)
	if err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	b.frame, b.prefixSpace = fr, prefixSpace
	if nfc {
		return nfcTokenizer{b}, nil
	}
	return b, nil
}

// byteLevelPattern reads the split pattern: one Split(Regex, Isolated) or a
// ByteLevel with use_regex (GPT-2's pattern), plus ByteLevel's
// add_prefix_space.
func byteLevelPattern(pre *hfNode) (pattern string, prefixSpace bool, err error) {
	err = pre.walk(func(n *hfNode) error {
		switch n.Type {
		case "ByteLevel":
			prefixSpace = n.AddPrefixSpace != nil && *n.AddPrefixSpace
			if n.UseRegex == nil || *n.UseRegex {
				if pattern != "" {
					return fmt.Errorf("pre_tokenizer: a Split and a ByteLevel with use_regex together are not supported")
				}
				pattern = patGPT2
			}
		case "Split":
			if n.Pattern == nil || n.Pattern.Regex == nil {
				return fmt.Errorf("pre_tokenizer: Split needs pattern.Regex")
			}
			if n.Behavior != "Isolated" || n.Invert {
				return fmt.Errorf("pre_tokenizer: Split behavior %q (invert %v) is not supported", n.Behavior, n.Invert)
			}
			if pattern != "" {
				return fmt.Errorf("pre_tokenizer: more than one split pattern is not supported")
			}
			pattern = *n.Pattern.Regex
		default:
			return fmt.Errorf("pre_tokenizer.type %q is not supported", n.Type)
		}
		return nil
	})
	if err == nil && pattern == "" {
		err = fmt.Errorf("pre_tokenizer: no split pattern (ByteLevel use_regex or Split)")
	}
	return pattern, prefixSpace, err
}

// mergeRanks turns HF's merge list into tiktoken ranks: single bytes first,
// then each merge's result in merge order. Tokens no merge produces get no
// rank, as HF BPE can never build them. When the ranks equal the ids,
// rankToID is nil. Errors name a bad merge as field[i].
func mergeRanks(byBytes map[string]int, merges [][2]string, field string) (ranks map[string]int, rankToID []int, err error) {
	ranks = map[string]int{}
	var singles []int
	for c := 0; c < 256; c++ {
		id, ok := byBytes[string([]byte{byte(c)})]
		if !ok {
			return nil, nil, fmt.Errorf("no token for byte 0x%02x", c)
		}
		singles = append(singles, id)
	}
	sort.Ints(singles)
	order := singles
	idBytes := map[int]string{}
	for b, id := range byBytes {
		idBytes[id] = b
	}
	for _, id := range singles {
		ranks[idBytes[id]] = len(ranks)
	}
	for i, m := range merges {
		a, okA := byteLevelDecode(m[0])
		b, okB := byteLevelDecode(m[1])
		if !okA || !okB {
			return nil, nil, fmt.Errorf("%s[%d]: %q %q not in the byte-level alphabet", field, i, m[0], m[1])
		}
		joined := string(a) + string(b)
		id, ok := byBytes[joined]
		if !ok {
			return nil, nil, fmt.Errorf("%s[%d]: %q + %q is not a token", field, i, m[0], m[1])
		}
		if _, seen := ranks[joined]; !seen {
			ranks[joined] = len(order)
			order = append(order, id)
		}
	}
	for r, id := range order {
		if r != id {
			return ranks, order, nil
		}
	}
	return ranks, nil, nil
}

// nfcTokenizer applies Unicode NFC before encoding (Qwen2's normalizer).
type nfcTokenizer struct{ *byteBPE }

// Encode implements Tokenizer.
func (t nfcTokenizer) Encode(text string) []int { return t.byteBPE.Encode(norm.NFC.String(text)) }

// EncodeText is Encode without the post-processor's ids.
func (t nfcTokenizer) EncodeText(text string) []int {
	return t.byteBPE.EncodeText(norm.NFC.String(text))
}
