package tokenizer

import (
	"fmt"
	"strconv"
	"strings"
)

// SentencePiece piece types (sentencepiece_model.proto).
const (
	spNormal      = 1
	spUnknown     = 2
	spControl     = 3
	spUserDefined = 4
	spUnused      = 5
	spByte        = 6
)

// spModel is what gollm reads from a SentencePiece ModelProto.
type spModel struct {
	pieces         []string
	scores         []float32
	types          []int
	modelType      int
	byteFallback   bool
	unk, bos, eos  int
	normalizer     string
	charsmap       int // bytes of precompiled_charsmap
	addDummyPrefix bool
	removeSpaces   bool
}

// readSPModel decodes the fields gollm needs, with the proto2 defaults.
func readSPModel(data []byte) (*spModel, error) {
	m := &spModel{modelType: 1, unk: 0, bos: 1, eos: 2, addDummyPrefix: true, removeSpaces: true}
	r := &pbReader{b: data}
	for f, w, ok := r.next(); ok; f, w, ok = r.next() {
		switch {
		case f == 1 && w == 2:
			readSPPiece(&pbReader{b: r.bytes()}, m)
		case f == 2 && w == 2:
			readSPTrainer(&pbReader{b: r.bytes()}, m)
		case f == 3 && w == 2:
			readSPNormalizer(&pbReader{b: r.bytes()}, m)
		default:
			r.skip(w)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

func readSPPiece(r *pbReader, m *spModel) {
	piece, score, typ := "", float32(0), spNormal
	for f, w, ok := r.next(); ok; f, w, ok = r.next() {
		switch {
		case f == 1 && w == 2:
			piece = string(r.bytes())
		case f == 2 && w == 5:
			score = r.float32()
		case f == 3 && w == 0:
			typ = r.int32()
		default:
			r.skip(w)
		}
	}
	m.pieces = append(m.pieces, piece)
	m.scores = append(m.scores, score)
	m.types = append(m.types, typ)
}

func readSPTrainer(r *pbReader, m *spModel) {
	for f, w, ok := r.next(); ok; f, w, ok = r.next() {
		switch {
		case f == 3 && w == 0:
			m.modelType = r.int32()
		case f == 35 && w == 0:
			m.byteFallback = r.varint() != 0
		case f == 40 && w == 0:
			m.unk = r.int32()
		case f == 41 && w == 0:
			m.bos = r.int32()
		case f == 42 && w == 0:
			m.eos = r.int32()
		default:
			r.skip(w)
		}
	}
}

func readSPNormalizer(r *pbReader, m *spModel) {
	for f, w, ok := r.next(); ok; f, w, ok = r.next() {
		switch {
		case f == 1 && w == 2:
			m.normalizer = string(r.bytes())
		case f == 2 && w == 2:
			m.charsmap = len(r.bytes())
		case f == 3 && w == 0:
			m.addDummyPrefix = r.varint() != 0
		case f == 4 && w == 0:
			m.removeSpaces = r.varint() != 0
		default:
			r.skip(w)
		}
	}
}

// check refuses models gollm cannot run: empty, not BPE, or with a
// precompiled normalizer.
func (m *spModel) check() error {
	if len(m.pieces) == 0 {
		return fmt.Errorf("SentencePiece model has no pieces")
	}
	if m.modelType != 2 {
		return fmt.Errorf("trainer_spec.model_type %d is not supported (only BPE, 2)", m.modelType)
	}
	if m.charsmap > 0 {
		return fmt.Errorf("normalizer_spec %q with a precompiled_charsmap is not supported", m.normalizer)
	}
	return nil
}

// parseSentencePiece reads a SentencePiece BPE tokenizer.model. Like HF's
// LlamaTokenizer, Encode puts BOS first.
func parseSentencePiece(data []byte, where string) (Tokenizer, error) {
	m, err := readSPModel(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: not JSON, a tiktoken rank file or a SentencePiece model: %w", where, err)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", where, err)
	}
	t, err := newSPMPieces(m.pieces, m.scores, m.types)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", where, err)
	}
	t.byteFallback, t.removeSpaces, t.prefixAny, t.stripLead = m.byteFallback, m.removeSpaces, true, m.addDummyPrefix
	if m.addDummyPrefix {
		t.dummy = prefixFirst
	}
	t.parallel = t.parallel && !t.removeSpaces
	t.bos, t.eos = validID(m.bos, len(m.pieces)), nil
	if e := validID(m.eos, len(m.pieces)); e >= 0 {
		t.eos = []int{e}
	}
	if t.bos >= 0 {
		t.prefix = []int{t.bos}
	}
	return t, nil
}

// newSPMPieces builds SentencePiece BPE from pieces by id, with their scores
// (merge priorities) and types (sp* constants). Normal and user-defined
// pieces merge, byte pieces are the byte fallback, the unknown piece is unk
// and decodes to " ⁇ ", control and unused pieces decode to nothing.
func newSPMPieces(pieces []string, scores []float32, types []int) (*spmBPE, error) {
	t := &spmBPE{vocab: map[string]int{}, pieces: make([][]byte, len(pieces)), unk: -1}
	t.vocabSize = len(pieces)
	for i := range t.byteIDs {
		t.byteIDs[i] = -1
	}
	for id, p := range pieces {
		switch types[id] {
		case spNormal, spUserDefined:
			t.vocab[p] = id
			t.pieces[id] = []byte(strings.ReplaceAll(p, metaSpace, " "))
		case spByte:
			b, ok := parseBytePiece(p)
			if !ok {
				return nil, fmt.Errorf("byte piece %d is %q, want <0xNN>", id, p)
			}
			t.byteIDs[b] = id
			t.pieces[id] = []byte{b}
		case spUnknown:
			t.unk = id
			t.pieces[id] = []byte(" ⁇ ")
		}
	}
	t.merge = func(_, _ int, s string) (float64, int, bool) {
		id, ok := t.vocab[s]
		if !ok {
			return 0, 0, false
		}
		return float64(scores[id]), id, true
	}
	t.parallel = !newlineInLongPiece(t.vocab)
	t.wordCut = !metaSpaceInside(t.vocab)
	return t, nil
}

func validID(id, n int) int {
	if id < 0 || id >= n {
		return -1
	}
	return id
}

// parseBytePiece reads "<0xNN>".
func parseBytePiece(p string) (byte, bool) {
	if len(p) != 6 || !strings.HasPrefix(p, "<0x") || p[5] != '>' {
		return 0, false
	}
	v, err := strconv.ParseUint(p[3:5], 16, 8)
	return byte(v), err == nil
}

// newlineInLongPiece reports whether a piece holds "\n" with other
// characters, which would make a cut after "\n" unsafe.
func newlineInLongPiece(vocab map[string]int) bool {
	for p := range vocab {
		if p != "\n" && strings.Contains(p, "\n") {
			return true
		}
	}
	return false
}
