package tokenizer

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"sync"

	loader "github.com/pkoukk/tiktoken-go-loader"
)

// Split patterns of the byte-level BPE families.
const (
	patGPT2   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	patCL100k = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patQwen2  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patO200k  = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// encodingSpec describes one tiktoken encoding: the embedded rank file, the
// pattern and the special tokens (ids past the ranks).
type encodingSpec struct {
	file     string
	pattern  string
	specials map[string]int
	eos      string
}

var encodingSpecs = map[string]encodingSpec{
	"r50k_base":   {"r50k_base.tiktoken", patGPT2, map[string]int{"<|endoftext|>": 50256}, "<|endoftext|>"},
	"p50k_base":   {"p50k_base.tiktoken", patGPT2, map[string]int{"<|endoftext|>": 50256}, "<|endoftext|>"},
	"cl100k_base": {"cl100k_base.tiktoken", patCL100k, map[string]int{"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276}, "<|endoftext|>"},
	"o200k_base":  {"o200k_base.tiktoken", patO200k, map[string]int{"<|endoftext|>": 199999, "<|endofprompt|>": 200018}, "<|endoftext|>"},
}

// encodingAliases maps other accepted names to encodings.
var encodingAliases = map[string]string{"gpt2": "r50k_base"}

var (
	encodingMu    sync.Mutex
	encodingCache = map[string]*byteBPE{}
)

// Encodings lists the names ForEncoding accepts.
func Encodings() []string {
	names := []string{}
	for n := range encodingSpecs {
		names = append(names, n)
	}
	for n := range encodingAliases {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ForEncoding returns the tiktoken encoding name (r50k_base or gpt2,
// p50k_base, cl100k_base, o200k_base) from the ranks embedded in the binary.
// Encode is encode_ordinary: special-token text is plain text. Encodings are
// loaded once and shared.
func ForEncoding(name string) (Tokenizer, error) {
	if a, ok := encodingAliases[name]; ok {
		name = a
	}
	spec, ok := encodingSpecs[name]
	if !ok {
		return nil, fmt.Errorf("tokenizer: unknown encoding %q (known: %v)", name, Encodings())
	}
	encodingMu.Lock()
	defer encodingMu.Unlock()
	if t, ok := encodingCache[name]; ok {
		return t, nil
	}
	ranks, err := loader.NewOfflineLoader().LoadTiktokenBpe(spec.file)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: encoding %s: %w", name, err)
	}
	t, err := fromRanks(ranks, spec.pattern, spec.specials)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: encoding %s: %w", name, err)
	}
	t.bos = -1
	t.eos = []int{spec.specials[spec.eos]}
	encodingCache[name] = t
	return t, nil
}

// fromRanks builds byte-level BPE whose ids are the ranks, with specials
// decoding to their text.
func fromRanks(ranks map[string]int, pattern string, specials map[string]int) (*byteBPE, error) {
	n := 0
	for _, r := range ranks {
		n = max(n, r+1)
	}
	for _, id := range specials {
		n = max(n, id+1)
	}
	pieces := make([][]byte, n)
	for tok, r := range ranks {
		if r < 0 {
			return nil, fmt.Errorf("negative rank %d", r)
		}
		pieces[r] = []byte(tok)
	}
	for tok, id := range specials {
		pieces[id] = []byte(tok)
	}
	return newByteBPE(ranks, nil, pieces, pattern)
}

// looksLikeTiktoken reports whether data starts like a tiktoken rank file:
// "base64 rank" lines.
func looksLikeTiktoken(data []byte) bool {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	tok, rank, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(tok) == 0 {
		return false
	}
	if _, err := base64.StdEncoding.DecodeString(string(tok)); err != nil {
		return false
	}
	_, err := strconv.Atoi(string(bytes.TrimSpace(rank)))
	return err == nil
}

// readTiktokenRanks reads the "base64 rank" lines of a tiktoken file.
func readTiktokenRanks(data []byte, where string) (map[string]int, error) {
	ranks := map[string]int{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		tok, rank, ok := bytes.Cut(line, []byte(" "))
		b, err := base64.StdEncoding.DecodeString(string(tok))
		r, err2 := strconv.Atoi(string(rank))
		if !ok || err != nil || err2 != nil || r < 0 {
			return nil, fmt.Errorf("tokenizer: %s: line %d: want \"base64 rank\"", where, i+1)
		}
		ranks[string(b)] = r
	}
	return ranks, nil
}

// llama3Specials names the 256 special tokens that follow Llama 3's 128000
// ranks, in id order.
func llama3Specials() []string {
	names := []string{"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
		"<|reserved_special_token_1|>", "<|reserved_special_token_2|>", "<|reserved_special_token_3|>",
		"<|start_header_id|>", "<|end_header_id|>", "<|reserved_special_token_4|>", "<|eot_id|>"}
	for i := 5; len(names) < 256; i++ {
		names = append(names, fmt.Sprintf("<|reserved_special_token_%d|>", i))
	}
	return names
}

// parseTiktokenModel reads a tiktoken-format tokenizer.model. With Llama 3's
// 128000 ranks it behaves like Llama 3's tokenizer.json: the Llama 3 pattern,
// special tokens matched in the text, <|begin_of_text|> put first.
func parseTiktokenModel(data []byte, where string) (Tokenizer, error) {
	ranks, err := readTiktokenRanks(data, where)
	if err != nil {
		return nil, err
	}
	specials := map[string]int{}
	var added []addedToken
	if len(ranks) == 128000 {
		for i, name := range llama3Specials() {
			specials[name] = 128000 + i
			added = append(added, addedToken{content: name, id: 128000 + i})
		}
	}
	t, err := fromRanks(ranks, patCL100k, specials)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", where, err)
	}
	t.bos = -1
	if len(added) > 0 {
		t.bos, t.eos, t.prefix = 128000, []int{128001, 128009}, []int{128000}
		t.added = newAddedTokens(added)
	}
	return t, nil
}
