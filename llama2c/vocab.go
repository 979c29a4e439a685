package llama2c

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gollm/gollm/internal/readlimit"
)

// Vocab is a llama2.c tokenizer file: each token's piece (its bytes, with
// spaces where SentencePiece writes "▁") and its score; pieces with higher
// scores merge first.
type Vocab struct {
	MaxLen int // the longest piece, in bytes, as the header states
	Pieces []string
	Scores []float32
}

// maxPieceLen bounds the header's max_token_length.
const maxPieceLen = 1 << 16

// ReadVocabFile reads a llama2.c tokenizer file.
func ReadVocabFile(path string) (*Vocab, error) {
	data, err := readlimit.ReadFile(path, readlimit.Tokenizer)
	if err != nil {
		return nil, fmt.Errorf("llama2c: %w", err)
	}
	v, err := ParseVocab(data)
	if err != nil {
		return nil, fmt.Errorf("llama2c: %s: %w", path, err)
	}
	return v, nil
}

// ParseVocab decodes a llama2.c tokenizer file: int32 max_token_length,
// then for each token up to the end of the file a float32 score, an int32
// length and that many bytes. The file does not store the number of
// tokens; it must match the model's vocab_size.
func ParseVocab(data []byte) (*Vocab, error) {
	if len(data) < 4 {
		return nil, fmt.Errorf("file is %d bytes, too short for a llama2.c tokenizer header (truncated?)", len(data))
	}
	v := &Vocab{MaxLen: int(int32(binary.LittleEndian.Uint32(data)))}
	if v.MaxLen < 1 || v.MaxLen > maxPieceLen {
		return nil, fmt.Errorf("max_token_length %d is out of range (want 1..%d; not a llama2.c tokenizer file?)", v.MaxLen, maxPieceLen)
	}
	for off := 4; off < len(data); {
		id := len(v.Pieces)
		if len(data)-off < 8 {
			return nil, fmt.Errorf("token %d at byte %d: %d bytes left, too few for its score and length (truncated?)", id, off, len(data)-off)
		}
		score := math.Float32frombits(binary.LittleEndian.Uint32(data[off:]))
		n := int(int32(binary.LittleEndian.Uint32(data[off+4:])))
		off += 8
		if math.IsNaN(float64(score)) || math.IsInf(float64(score), 0) {
			return nil, fmt.Errorf("token %d: score %g is not finite", id, score)
		}
		if n < 0 || n > v.MaxLen {
			return nil, fmt.Errorf("token %d: length %d is out of range (want 0..max_token_length %d)", id, n, v.MaxLen)
		}
		if n > len(data)-off {
			return nil, fmt.Errorf("token %d: length %d runs past the end of the file (truncated?)", id, n)
		}
		v.Pieces = append(v.Pieces, string(data[off:off+n]))
		v.Scores = append(v.Scores, score)
		off += n
	}
	if len(v.Pieces) == 0 {
		return nil, fmt.Errorf("no tokens after the header")
	}
	return v, nil
}
