package tokenizer

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// hfFile is the part of an HF tokenizer.json that gollm reads.
type hfFile struct {
	AddedTokens []struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Special    bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    *hfNode  `json:"normalizer"`
	PreTokenizer  *hfNode  `json:"pre_tokenizer"`
	PostProcessor *hfNode  `json:"post_processor"`
	Decoder       *hfNode  `json:"decoder"`
	Model         *hfModel `json:"model"`
}

// hfNode is any normalizer, pre-tokenizer, post-processor or decoder; only
// the fields of the known types are read.
type hfNode struct {
	Type           string             `json:"type"`
	Normalizers    []*hfNode          `json:"normalizers"`
	Pretokenizers  []*hfNode          `json:"pretokenizers"`
	Processors     []*hfNode          `json:"processors"`
	Decoders       []*hfNode          `json:"decoders"`
	AddPrefixSpace *bool              `json:"add_prefix_space"`
	UseRegex       *bool              `json:"use_regex"`
	Pattern        *hfPattern         `json:"pattern"`
	Behavior       string             `json:"behavior"`
	Invert         bool               `json:"invert"`
	Replacement    string             `json:"replacement"`
	PrependScheme  string             `json:"prepend_scheme"`
	Split          *bool              `json:"split"`
	Prepend        string             `json:"prepend"`
	Content        string             `json:"content"`
	Start          int                `json:"start"`
	Single         []hfTemplateItem   `json:"single"`
	SpecialTokens  map[string]hfIDSet `json:"special_tokens"`
}

type hfPattern struct {
	Regex  *string `json:"Regex"`
	String *string `json:"String"`
}

type hfTemplateItem struct {
	SpecialToken *struct {
		ID string `json:"id"`
	} `json:"SpecialToken"`
	Sequence *struct {
		ID string `json:"id"`
	} `json:"Sequence"`
}

type hfIDSet struct {
	IDs []int `json:"ids"`
}

type hfModel struct {
	Type                    string          `json:"type"`
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
	ByteFallback            bool            `json:"byte_fallback"`
	UnkToken                *string         `json:"unk_token"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
}

// walk calls fn on n and, for a Sequence, on each member in order.
func (n *hfNode) walk(fn func(*hfNode) error) error {
	if n == nil {
		return nil
	}
	if n.Type != "Sequence" {
		return fn(n)
	}
	for _, list := range [][]*hfNode{n.Normalizers, n.Pretokenizers, n.Processors, n.Decoders} {
		for _, c := range list {
			if err := c.walk(fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// has reports whether n or a member of it has the given type.
func (n *hfNode) has(typ string) bool {
	found := false
	_ = n.walk(func(c *hfNode) error {
		found = found || c.Type == typ
		return nil
	})
	return found
}

// parseHFJSON reads a tokenizer.json with a BPE model: byte-level when the
// pre-tokenizer has ByteLevel, SentencePiece-style otherwise.
func parseHFJSON(data []byte, where string, cfg tokenizerConfig) (Tokenizer, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", where, err)
	}
	t, err := buildHF(&f, cfg)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", where, err)
	}
	return t, nil
}

func buildHF(f *hfFile, cfg tokenizerConfig) (Tokenizer, error) {
	m := f.Model
	if m == nil {
		return nil, fmt.Errorf("model: missing")
	}
	if m.Type != "BPE" && !(m.Type == "" && m.Merges != nil) {
		return nil, fmt.Errorf("model.type %q is not supported (only BPE)", m.Type)
	}
	if len(m.Vocab) == 0 {
		return nil, fmt.Errorf("model.vocab: missing or empty")
	}
	if nonEmpty(m.ContinuingSubwordPrefix) || nonEmpty(m.EndOfWordSuffix) {
		return nil, fmt.Errorf("model: continuing_subword_prefix and end_of_word_suffix are not supported")
	}
	merges, err := parseMerges(m.Merges)
	if err != nil {
		return nil, err
	}
	fr, err := hfFrame(f, cfg)
	if err != nil {
		return nil, err
	}
	if f.PreTokenizer.has("ByteLevel") {
		return buildHFByteLevel(f, merges, fr)
	}
	return buildHFSentencePiece(f, merges, fr)
}

func nonEmpty(s *string) bool { return s != nil && *s != "" }

// parseMerges accepts both merge formats: "a b" strings and [a, b] pairs.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("model.merges: %w", err)
	}
	out := make([][2]string, len(items))
	for i, it := range items {
		var s string
		var pair []string
		switch {
		case json.Unmarshal(it, &s) == nil:
			a, b, ok := strings.Cut(s, " ")
			if !ok {
				return nil, fmt.Errorf("model.merges[%d]: %q is not \"a b\"", i, s)
			}
			out[i] = [2]string{a, b}
		case json.Unmarshal(it, &pair) == nil && len(pair) == 2:
			out[i] = [2]string{pair[0], pair[1]}
		default:
			return nil, fmt.Errorf("model.merges[%d]: want \"a b\" or [a, b]", i)
		}
	}
	return out, nil
}

// maxID bounds the ids a tokenizer.json may use, so that a corrupt file
// cannot make gollm allocate huge tables.
const maxID = 1 << 24

// hfFrame reads the added tokens, the post-processor's ids and BOS/EOS.
func hfFrame(f *hfFile, cfg tokenizerConfig) (frame, error) {
	fr := frame{bos: -1}
	byText := map[string]int{}
	for tok, id := range f.Model.Vocab {
		if id < 0 || id > maxID {
			return fr, fmt.Errorf("model.vocab[%q]: id %d out of range", tok, id)
		}
		byText[tok] = id
		fr.vocabSize = max(fr.vocabSize, id+1)
	}
	var added []addedToken
	for i, a := range f.AddedTokens {
		if a.ID < 0 || a.ID > maxID {
			return fr, fmt.Errorf("added_tokens[%d]: id %d out of range", i, a.ID)
		}
		added = append(added, addedToken{content: a.Content, id: a.ID, lstrip: a.Lstrip, rstrip: a.Rstrip, singleWord: a.SingleWord})
		byText[a.Content] = a.ID
		fr.vocabSize = max(fr.vocabSize, a.ID+1)
	}
	fr.added = newAddedTokens(added)
	err := f.PostProcessor.walk(func(n *hfNode) error {
		switch n.Type {
		case "ByteLevel":
			return nil
		case "TemplateProcessing":
			return templateIDs(n, &fr)
		default:
			return fmt.Errorf("post_processor.type %q is not supported", n.Type)
		}
	})
	if err != nil {
		return fr, err
	}
	if id, ok := byText[cfg.bos]; ok && cfg.bos != "" {
		fr.bos = id
	} else if len(fr.prefix) > 0 {
		fr.bos = fr.prefix[0]
	} else {
		fr.bos = firstKnown(byText, "<s>", "<|begin_of_text|>", "<|startoftext|>", "<bos>")
	}
	if id, ok := byText[cfg.eos]; ok && cfg.eos != "" {
		fr.eos = []int{id}
	} else {
		for _, name := range []string{"</s>", "<|end_of_text|>", "<|eot_id|>", "<|endoftext|>", "<|im_end|>", "<eos>"} {
			if id, ok := byText[name]; ok {
				fr.eos = append(fr.eos, id)
			}
		}
	}
	return fr, nil
}

// templateIDs takes the special tokens around "A" in a TemplateProcessing's
// single-sequence template.
func templateIDs(n *hfNode, fr *frame) error {
	seen := false
	for i, it := range n.Single {
		switch {
		case it.Sequence != nil:
			seen = true
		case it.SpecialToken != nil:
			set, ok := n.SpecialTokens[it.SpecialToken.ID]
			if !ok {
				return fmt.Errorf("post_processor.single[%d]: special token %q not in special_tokens", i, it.SpecialToken.ID)
			}
			if seen {
				fr.suffix = append(fr.suffix, set.IDs...)
			} else {
				fr.prefix = append(fr.prefix, set.IDs...)
			}
		}
	}
	return nil
}

func firstKnown(byText map[string]int, names ...string) int {
	for _, n := range names {
		if id, ok := byText[n]; ok {
			return id
		}
	}
	return -1
}

// idTable returns, for each id below n, its text in vocab or added tokens
// (added tokens win), converted by conv.
func idTable(f *hfFile, n int, conv func(tok string) []byte) [][]byte {
	pieces := make([][]byte, n)
	toks := make([]string, 0, len(f.Model.Vocab))
	for tok := range f.Model.Vocab {
		toks = append(toks, tok)
	}
	sort.Strings(toks)
	for _, tok := range toks {
		pieces[f.Model.Vocab[tok]] = conv(tok)
	}
	for _, a := range f.AddedTokens {
		pieces[a.ID] = []byte(a.Content)
	}
	return pieces
}
