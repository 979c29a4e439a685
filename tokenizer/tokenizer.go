// Package tokenizer turns text into the token ids a model was trained on and
// back. It reads HF tokenizer.json files (byte-level BPE as in GPT-2, Llama 3
// and Qwen, and SentencePiece-style BPE with byte fallback as in Llama 2 and
// Mistral), tokenizer.model files (Llama 3's tiktoken rank list and
// SentencePiece BPE protobufs), and the tiktoken encodings r50k_base (gpt2),
// p50k_base, cl100k_base and o200k_base, whose ranks are embedded in the
// binary, and GGUF tokenizer metadata (FromGGUF, GGUFVocabFromDir).
// Byte-level BPE runs on tiktoken-go's CoreBPE.
//
// Encoding never panics: invalid UTF-8 is encoded byte by byte (byte-level
// BPE) or through byte fallback, and empty text gives no ids (apart from a
// BOS the tokenizer adds).
package tokenizer

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/gollm/gollm/internal/readlimit"
)

// Tokenizer encodes text to token ids and decodes ids to text. All methods
// are safe for concurrent use.
type Tokenizer interface {
	// Encode returns the ids of text as HF tokenizer.encode(text) does for a
	// tokenizer.json (added tokens matched in the text, BOS and other tokens
	// from its post-processor) and as tiktoken's encode_ordinary does for an
	// encoding (special-token text is plain text).
	Encode(text string) []int
	// EncodeText is Encode without the post-processor's ids around the
	// text (HF's add_special_tokens=False): how a rendered chat prompt,
	// which carries its own special tokens, is tokenized.
	EncodeText(text string) []int
	// Decode joins the bytes of ids. Bytes that do not form valid UTF-8 are
	// kept as they are; unknown ids decode to nothing.
	Decode(ids []int) string
	// BOS is the beginning-of-sequence id, or -1 when there is none.
	BOS() int
	// EOS lists the ids that end generation; it may be empty.
	EOS() []int
	// AddsBOS reports whether Encode puts BOS in front of the text.
	AddsBOS() bool
	// VocabSize is one more than the largest id the tokenizer can produce.
	VocabSize() int
}

// Load reads a tokenizer from path: a model folder (its tokenizer.json, else
// its tokenizer.model) or a tokenizer.json or tokenizer.model file. A
// tokenizer_config.json beside it supplies bos_token and eos_token.
func Load(p string) (Tokenizer, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if st.IsDir() {
		return loadDir(os.DirFS(p), ".", p)
	}
	data, err := readlimit.ReadFile(p, readlimit.Tokenizer)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return parseFile(data, p, readTokenizerConfig(os.DirFS(filepath.Dir(p)), "."))
}

// LoadFS reads the tokenizer of folder dir in fsys, as Load does for a
// folder (used for the embedded default model).
func LoadFS(fsys fs.FS, dir string) (Tokenizer, error) {
	return loadDir(fsys, dir, dir)
}

// loadDir reads dir's tokenizer.json, else its tokenizer.model; shown names
// the folder in errors.
func loadDir(fsys fs.FS, dir, shown string) (Tokenizer, error) {
	for _, name := range []string{"tokenizer.json", "tokenizer.model"} {
		data, err := readlimit.ReadFS(fsys, path.Join(dir, name), filepath.Join(shown, name), readlimit.Tokenizer)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		where := filepath.Join(shown, name)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %w", where, err)
		}
		return parseFile(data, where, readTokenizerConfig(fsys, dir))
	}
	return nil, fmt.Errorf("tokenizer: %s: no tokenizer.json or tokenizer.model", shown)
}

// parseFile picks the format from the content: JSON, a tiktoken rank list or
// a SentencePiece protobuf.
func parseFile(data []byte, where string, cfg tokenizerConfig) (Tokenizer, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		return parseHFJSON(data, where, cfg)
	case looksLikeTiktoken(data):
		return parseTiktokenModel(data, where)
	default:
		return parseSentencePiece(data, where)
	}
}

// CheckIDs returns an error naming the first of ids that t cannot decode:
// a negative id, one ≥ VocabSize, or a hole (an id below VocabSize that is
// no token), all of which Decode drops silently.
func CheckIDs(t Tokenizer, ids []int) error {
	ps, _ := t.(pieceSource)
	for i, id := range ids {
		switch {
		case id < 0 || id >= t.VocabSize():
			return fmt.Errorf("id %d (number %d of the ids) is outside the vocabulary [0, %d)", id, i+1, t.VocabSize())
		case ps != nil && ps.piece(id) == nil:
			return fmt.Errorf("id %d (number %d of the ids) is no token: the vocabulary has no entry for it", id, i+1)
		}
	}
	return nil
}
