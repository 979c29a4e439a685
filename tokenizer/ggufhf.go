package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gollm/gollm/internal/readlimit"
)

// GGUFVocabFromDir reads the tokenizer of an HF model folder as GGUF
// metadata, as llama.cpp's convert_hf_to_gguf.py writes it: a byte-level
// tokenizer.json as a "gpt2" vocabulary (added tokens that are special, or
// look it, as control tokens, other added tokens as user-defined, the merges
// of the file, the pre-tokenizer named after its split pattern); else a
// tokenizer.model, SentencePiece BPE as a "llama" vocabulary (pieces,
// scores and types as the model has them) or a tiktoken rank file (Llama 3)
// as "gpt2" with merges derived from the ranks; the chat template from
// tokenizer_config.json (when a string). Special ids and add_bos come
// from the same places Load takes them, so FromGGUF of the result encodes
// as Load does. vocabSize, when larger than the tokenizer's, pads the
// vocabulary with unused "[PADi]" tokens to the model's embedding rows.
func GGUFVocabFromDir(dir string, vocabSize int) (*GGUFVocab, error) {
	fsys := os.DirFS(dir)
	cfg := readTokenizerConfig(fsys, ".")
	where := filepath.Join(dir, "tokenizer.json")
	data, err := readlimit.ReadFS(fsys, "tokenizer.json", where, readlimit.Tokenizer)
	var v *GGUFVocab
	if err == nil {
		v, err = ggufFromHFJSON(data, cfg)
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotByteLevel) {
		model, err2 := readlimit.ReadFS(fsys, "tokenizer.model", filepath.Join(dir, "tokenizer.model"), readlimit.Tokenizer)
		switch {
		case err2 == nil:
			where = filepath.Join(dir, "tokenizer.model")
			v, err = ggufFromTokenizerModel(model, where)
		case errors.Is(err, fs.ErrNotExist):
			where, err = dir, fmt.Errorf("no tokenizer.json or tokenizer.model")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", where, err)
	}
	v.pad(vocabSize)
	v.ChatTemplate = cfg.chatTemplate
	return v, nil
}

// pad appends unused "[PADi]" tokens up to n.
func (v *GGUFVocab) pad(n int) {
	for i := len(v.Tokens); i < n; i++ {
		v.Tokens = append(v.Tokens, fmt.Sprintf("[PAD%d]", i))
		v.Types = append(v.Types, spUnused)
		if v.Scores != nil {
			v.Scores = append(v.Scores, -10000)
		}
	}
}

// errNotByteLevel: a tokenizer.json that is not byte-level BPE, for which
// the tokenizer.model beside it is converted instead.
var errNotByteLevel = errors.New("only byte-level BPE tokenizer.json files convert to GGUF (SentencePiece ones from their tokenizer.model)")

// ggufFromHFJSON converts a byte-level tokenizer.json.
func ggufFromHFJSON(data []byte, cfg tokenizerConfig) (*GGUFVocab, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if f.Model == nil || f.Model.Type != "BPE" || !f.PreTokenizer.has("ByteLevel") {
		return nil, errNotByteLevel
	}
	pattern, prefixSpace, err := byteLevelPattern(f.PreTokenizer)
	if err != nil {
		return nil, err
	}
	pre := ggufPreName(pattern, f.Normalizer.has("NFC"))
	if pre == "" || prefixSpace {
		return nil, fmt.Errorf("pre_tokenizer: pattern %q (add_prefix_space %v) has no tokenizer.ggml.pre name", pattern, prefixSpace)
	}
	merges, err := parseMerges(f.Model.Merges)
	if err != nil {
		return nil, err
	}
	fr, err := hfFrame(&f, cfg)
	if err != nil {
		return nil, err
	}
	v := &GGUFVocab{Model: "gpt2", Pre: pre, Tokens: make([]string, fr.vocabSize), Types: make([]int32, fr.vocabSize)}
	for i := range v.Tokens {
		v.Tokens[i], v.Types[i] = fmt.Sprintf("[PAD%d]", i), spUnused
	}
	for tok, id := range f.Model.Vocab {
		v.Tokens[id], v.Types[id] = tok, spNormal
	}
	for _, a := range f.AddedTokens {
		v.Tokens[a.ID], v.Types[a.ID] = a.Content, spControl
		if !a.Special && !looksSpecial(a.Content) {
			v.Tokens[a.ID], v.Types[a.ID] = strings.ReplaceAll(a.Content, metaSpace, " "), spUserDefined
		}
	}
	for _, m := range merges {
		v.Merges = append(v.Merges, m[0]+" "+m[1])
	}
	if f.Model.UnkToken != nil {
		if id, ok := f.Model.Vocab[*f.Model.UnkToken]; ok {
			v.UNK = &id
		}
	}
	return v, v.setFrame(fr)
}

// looksSpecial is convert_hf_to_gguf.py's test for added tokens that are
// control tokens though not marked special.
func looksSpecial(tok string) bool {
	switch {
	case tok == "<pad>" || tok == "<mask>" || tok == "<2mass>" || tok == "[@BOS@]":
		return true
	case strings.HasPrefix(tok, "<|") && strings.HasSuffix(tok, "|>"):
		return true
	case strings.HasPrefix(tok, "<｜") && strings.HasSuffix(tok, "｜>"):
		return true
	}
	return strings.HasPrefix(tok, "<unused") && strings.HasSuffix(tok, ">")
}

// setFrame records fr's special ids: BOS, the first EOS (a second one as
// EOT) and whether BOS goes first and EOS last, which is all GGUF can say.
func (v *GGUFVocab) setFrame(fr frame) error {
	if fr.bos >= 0 {
		v.BOS = &fr.bos
	}
	if len(fr.eos) > 0 {
		v.EOS = &fr.eos[0]
	}
	if len(fr.eos) > 1 {
		v.EOT = &fr.eos[1]
	}
	addBOS, addEOS := len(fr.prefix) > 0, len(fr.suffix) > 0
	if addBOS && (len(fr.prefix) != 1 || fr.prefix[0] != fr.bos) || addEOS && (len(fr.suffix) != 1 || v.EOS == nil || fr.suffix[0] != *v.EOS) {
		return fmt.Errorf("post_processor: ids %v before and %v after the text: GGUF can only put BOS first and EOS last", fr.prefix, fr.suffix)
	}
	v.AddBOS, v.AddEOS = &addBOS, &addEOS
	return nil
}

// ggufFromTokenizerModel converts a SentencePiece BPE model or a tiktoken
// rank file.
func ggufFromTokenizerModel(data []byte, where string) (*GGUFVocab, error) {
	if looksLikeTiktoken(data) {
		ranks, err := readTiktokenRanks(data, where)
		if err != nil {
			return nil, err
		}
		return ggufFromTiktoken(ranks), nil
	}
	m, err := readSPModel(data)
	if err != nil {
		return nil, err
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	if m.removeSpaces {
		return nil, fmt.Errorf("normalizer_spec.remove_extra_whitespaces is set, which GGUF llama vocabularies do not do")
	}
	v := &GGUFVocab{Model: "llama", Pre: "default", Tokens: m.pieces, Scores: m.scores, Types: make([]int32, len(m.types))}
	for i, t := range m.types {
		v.Types[i] = int32(t)
	}
	n := len(m.pieces)
	for _, s := range []struct {
		id  int
		dst **int
	}{{m.bos, &v.BOS}, {m.eos, &v.EOS}, {m.unk, &v.UNK}} {
		if id := validID(s.id, n); id >= 0 {
			*s.dst = &id
		}
	}
	addBOS, addEOS, prefix := v.BOS != nil, false, m.addDummyPrefix
	v.AddBOS, v.AddEOS, v.AddSpacePrefix = &addBOS, &addEOS, &prefix
	return v, nil
}

// ggufFromTiktoken converts tiktoken ranks (ids are the ranks) to a "gpt2"
// vocabulary with Llama 3's pattern and, with its 128000 ranks, its special
// tokens, as parseTiktokenModel reads the file.
func ggufFromTiktoken(ranks map[string]int) *GGUFVocab {
	n := 0
	for _, r := range ranks {
		n = max(n, r+1)
	}
	v := &GGUFVocab{Model: "gpt2", Pre: "llama-bpe", Tokens: make([]string, n), Types: make([]int32, n), Merges: tiktokenMerges(ranks)}
	for i := range v.Tokens {
		v.Tokens[i], v.Types[i] = fmt.Sprintf("[PAD%d]", i), spUnused
	}
	for tok, r := range ranks {
		v.Tokens[r], v.Types[r] = byteLevelEncode(tok), spNormal
	}
	addBOS, addEOS := false, false
	if len(ranks) == 128000 {
		for _, name := range llama3Specials() {
			v.Tokens, v.Types = append(v.Tokens, name), append(v.Types, spControl)
		}
		bos, eos, eot := 128000, 128001, 128009
		v.BOS, v.EOS, v.EOT, addBOS = &bos, &eos, &eot, true
	}
	v.AddBOS, v.AddEOS = &addBOS, &addEOS
	return v
}

// tiktokenMerges derives BPE merges from tiktoken ranks, as
// convert_hf_to_gguf.py does: each token of two or more bytes, in rank
// order, is the merge of the two parts that tiktoken's merging of its bytes
// reaches with the lower ranks alone.
func tiktokenMerges(ranks map[string]int) []string {
	type ranked struct {
		tok  string
		rank int
	}
	var toks []ranked
	for tok, r := range ranks {
		if len(tok) >= 2 {
			toks = append(toks, ranked{tok, r})
		}
	}
	sort.Slice(toks, func(i, j int) bool { return toks[i].rank < toks[j].rank })
	merges := make([]string, 0, len(toks))
	for _, t := range toks {
		parts := make([]string, len(t.tok))
		for i := range parts {
			parts[i] = t.tok[i : i+1]
		}
		for len(parts) > 2 {
			best, bestRank := -1, t.rank
			for i := 0; i+1 < len(parts); i++ {
				if r, ok := ranks[parts[i]+parts[i+1]]; ok && r < bestRank {
					best, bestRank = i, r
				}
			}
			if best < 0 {
				break
			}
			parts[best] += parts[best+1]
			parts = append(parts[:best+1], parts[best+2:]...)
		}
		if len(parts) == 2 {
			merges = append(merges, byteLevelEncode(parts[0])+" "+byteLevelEncode(parts[1]))
		}
	}
	return merges
}
