package tokenizer

import (
	"fmt"
	"slices"
	"strings"
)

// GGUFVocab is a tokenizer as GGUF metadata holds it, in the tokenizer.ggml.*
// keys. A GGUF reader fills it from a file and FromGGUF runs it;
// GGUFVocabFromDir makes it from an HF folder for a GGUF writer. A nil
// pointer is a key the file does not have.
type GGUFVocab struct {
	Model  string    // tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama" (SentencePiece BPE)
	Pre    string    // tokenizer.ggml.pre: the pre-tokenizer's name (gpt2 only)
	Tokens []string  // tokenizer.ggml.tokens: the text of each id
	Scores []float32 // tokenizer.ggml.scores: merge priorities (llama); nil when absent
	// Types is tokenizer.ggml.token_type: 1 normal, 2 unknown, 3 control,
	// 4 user-defined, 5 unused, 6 byte (<0xNN>); nil when absent (all normal).
	Types  []int32
	Merges []string // tokenizer.ggml.merges: "a b" in priority order (gpt2)

	BOS, EOS, EOT, UNK, PAD *int   // tokenizer.ggml.{bos,eos,eot,unknown,padding}_token_id
	AddBOS, AddEOS          *bool  // tokenizer.ggml.add_{bos,eos}_token
	AddSpacePrefix          *bool  // tokenizer.ggml.add_space_prefix (llama)
	ChatTemplate            string // tokenizer.chat_template; "" when absent
}

// FromGGUF builds the tokenizer that v describes, giving the ids the HF
// tokenizer of the same model gives. Control, user-defined and unknown
// tokens are matched in the text as HF matches added tokens (and
// llama-tokenize does by default); unused tokens never are. Byte-level
// ("gpt2") vocabularies need a pre-tokenizer name from the table in
// ggufpre.go; other tokenizer models ("bert", "t5", "rwkv", …) are refused.
func FromGGUF(v GGUFVocab) (Tokenizer, error) {
	t, err := fromGGUF(&v)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: gguf: %w", err)
	}
	return t, nil
}

func fromGGUF(v *GGUFVocab) (Tokenizer, error) {
	types, err := v.check()
	if err != nil {
		return nil, err
	}
	switch v.Model {
	case "gpt2":
		return ggufByteLevel(v, types)
	case "llama":
		return ggufSentencePiece(v, types)
	case "":
		return nil, fmt.Errorf("tokenizer.ggml.model: missing")
	}
	return nil, fmt.Errorf("tokenizer.ggml.model %q is not supported (only gpt2 and llama)", v.Model)
}

// check validates the lengths, token types and special ids, and returns the
// types as ints (all normal when v has none).
func (v *GGUFVocab) check() ([]int, error) {
	n := len(v.Tokens)
	if n == 0 {
		return nil, fmt.Errorf("tokenizer.ggml.tokens: missing or empty")
	}
	if n > maxID {
		return nil, fmt.Errorf("tokenizer.ggml.tokens: %d tokens, more than %d", n, maxID)
	}
	if v.Scores != nil && len(v.Scores) != n {
		return nil, fmt.Errorf("tokenizer.ggml.scores: %d scores for %d tokens", len(v.Scores), n)
	}
	if v.Types != nil && len(v.Types) != n {
		return nil, fmt.Errorf("tokenizer.ggml.token_type: %d types for %d tokens", len(v.Types), n)
	}
	types := make([]int, n)
	for i := range types {
		types[i] = spNormal
		if v.Types != nil {
			types[i] = int(v.Types[i])
		}
		if types[i] < spNormal || types[i] > spByte {
			return nil, fmt.Errorf("tokenizer.ggml.token_type[%d]: %d is not a token type (1-6)", i, types[i])
		}
	}
	ids := []struct {
		name string
		id   *int
	}{{"bos", v.BOS}, {"eos", v.EOS}, {"eot", v.EOT}, {"unknown", v.UNK}, {"padding", v.PAD}}
	for _, s := range ids {
		if s.id != nil && (*s.id < 0 || *s.id >= n) {
			return nil, fmt.Errorf("tokenizer.ggml.%s_token_id: %d is not below the %d tokens", s.name, *s.id, n)
		}
	}
	return types, nil
}

// ggufFrame makes the special ids and the tokens matched in the text:
// control, user-defined and unknown ones. addBOS is the default when the
// file has no add_bos_token.
func ggufFrame(v *GGUFVocab, types []int, addBOS bool) frame {
	fr := frame{bos: -1, vocabSize: len(v.Tokens)}
	var added []addedToken
	for id, typ := range types {
		if typ == spControl || typ == spUserDefined || typ == spUnknown {
			added = append(added, addedToken{content: v.Tokens[id], id: id})
		}
	}
	fr.added = newAddedTokens(added)
	if v.BOS != nil {
		fr.bos = *v.BOS
	}
	if v.AddBOS != nil {
		addBOS = *v.AddBOS
	}
	if addBOS && fr.bos >= 0 {
		fr.prefix = []int{fr.bos}
	}
	if v.EOS != nil {
		fr.eos = []int{*v.EOS}
		if v.AddEOS != nil && *v.AddEOS {
			fr.suffix = []int{*v.EOS}
		}
	}
	if v.EOT != nil && (v.EOS == nil || *v.EOT != *v.EOS) {
		fr.eos = append(fr.eos, *v.EOT)
	}
	return fr
}

// ggufByteLevel builds byte-level BPE: normal tokens are byte-level text
// (GPT-2's byte-to-rune map), ranked by the merge order as for a
// tokenizer.json; control and user-defined tokens are plain text.
func ggufByteLevel(v *GGUFVocab, types []int) (Tokenizer, error) {
	pre, err := ggufPreFor(v.Pre)
	if err != nil {
		return nil, err
	}
	byBytes := map[string]int{}
	pieces := make([][]byte, len(v.Tokens))
	for id, tok := range v.Tokens {
		switch types[id] {
		case spNormal:
			b, ok := byteLevelDecode(tok)
			if !ok {
				return nil, fmt.Errorf("tokenizer.ggml.tokens[%d]: %q is not in the byte-level alphabet", id, tok)
			}
			if prev, dup := byBytes[string(b)]; dup {
				return nil, fmt.Errorf("tokenizer.ggml.tokens[%d]: %q repeats token %d", id, tok, prev)
			}
			byBytes[string(b)] = id
			pieces[id] = b
		case spByte:
			return nil, fmt.Errorf("tokenizer.ggml.token_type[%d]: byte tokens are not used by gpt2 vocabularies", id)
		case spUnused:
		default:
			pieces[id] = []byte(tok)
		}
	}
	merges := make([][2]string, len(v.Merges))
	for i, m := range v.Merges {
		// The first part may start with a space, as llama.cpp allows.
		sp := strings.IndexByte(m[min(1, len(m)):], ' ') + 1
		if sp <= 0 {
			return nil, fmt.Errorf("tokenizer.ggml.merges[%d]: %q is not \"a b\"", i, m)
		}
		merges[i] = [2]string{m[:sp], m[sp+1:]}
	}
	ranks, rankToID, err := mergeRanks(byBytes, merges, "tokenizer.ggml.merges")
	if err != nil {
		return nil, err
	}
	if pre.ignoreMerges {
		rankToID = rankUnmerged(ranks, rankToID, byBytes)
	}
	b, err := newByteBPE(ranks, rankToID, pieces, pre.patterns...)
	if err != nil {
		return nil, fmt.Errorf("tokenizer.ggml.pre %q: %w", v.Pre, err)
	}
	b.frame = ggufFrame(v, types, pre.addBOS)
	if pre.nfc {
		return nfcTokenizer{b}, nil
	}
	return b, nil
}

// ggufSentencePiece builds SentencePiece BPE as llama.cpp runs a "llama"
// vocabulary: spaces become "▁", each stretch of text between matched
// tokens gets a "▁" in front (add_space_prefix, default true), pieces merge
// by score, and characters outside the vocabulary become <0xNN> byte tokens,
// or the unknown token when there are none.
func ggufSentencePiece(v *GGUFVocab, types []int) (Tokenizer, error) {
	if v.Scores == nil {
		return nil, fmt.Errorf("tokenizer.ggml.scores: missing (llama vocabularies merge by score)")
	}
	t, err := newSPMPieces(v.Tokens, v.Scores, types)
	if err != nil {
		return nil, fmt.Errorf("tokenizer.ggml.tokens: %w", err)
	}
	nBytes := 0
	for _, id := range t.byteIDs {
		if id >= 0 {
			nBytes++
		}
	}
	switch {
	case nBytes == 256:
		t.byteFallback = true
	case nBytes > 0:
		return nil, fmt.Errorf("tokenizer.ggml.tokens: %d of the 256 <0xNN> byte tokens; byte fallback needs all", nBytes)
	case t.unk < 0:
		return nil, fmt.Errorf("tokenizer.ggml.tokens: neither <0xNN> byte tokens nor an unknown token")
	}
	t.frame = ggufFrame(v, types, true)
	t.prefixAny = true
	if v.AddSpacePrefix == nil || *v.AddSpacePrefix {
		t.dummy, t.stripLead = prefixAlways, true
	}
	return t, nil
}

// rankUnmerged gives the tokens that no merge builds ranks after all merged
// ones, in id order, so that a piece equal to one of them encodes to it, and
// returns the extended rank-to-id table.
func rankUnmerged(ranks map[string]int, rankToID []int, byBytes map[string]int) []int {
	if rankToID == nil {
		rankToID = make([]int, len(ranks))
		for i := range rankToID {
			rankToID[i] = i
		}
	}
	var unmerged []string
	for b := range byBytes {
		if _, ok := ranks[b]; !ok {
			unmerged = append(unmerged, b)
		}
	}
	slices.SortFunc(unmerged, func(a, b string) int { return byBytes[a] - byBytes[b] })
	for _, b := range unmerged {
		ranks[b] = len(rankToID)
		rankToID = append(rankToID, byBytes[b])
	}
	return rankToID
}
