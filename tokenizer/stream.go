package tokenizer

import "unicode/utf8"

// pieceAppender is implemented by this package's tokenizers: the bytes of one
// id, with first set while nothing has been decoded yet.
type pieceAppender interface {
	appendPiece(dst []byte, id int, first bool) []byte
}

// StreamDecoder decodes ids one at a time for printing as they come: a
// character whose bytes are spread over several tokens is held back until
// it is complete, so output never shows half a character.
type StreamDecoder struct {
	t       Tokenizer
	pending []byte
	started bool
}

// NewStreamDecoder returns a decoder for ids from t.
func NewStreamDecoder(t Tokenizer) *StreamDecoder { return &StreamDecoder{t: t} }

// Add takes the next id and returns the text that is now complete: every
// byte except a trailing, still incomplete UTF-8 sequence. Bytes that can
// never become valid UTF-8 are returned as they are.
func (d *StreamDecoder) Add(id int) string {
	if p, ok := d.t.(pieceAppender); ok {
		d.pending = p.appendPiece(d.pending, id, !d.started)
	} else {
		d.pending = append(d.pending, d.t.Decode([]int{id})...)
	}
	d.started = d.started || len(d.pending) > 0
	n := len(d.pending) - incompleteTail(d.pending)
	out := string(d.pending[:n])
	d.pending = append(d.pending[:0], d.pending[n:]...)
	return out
}

// Flush returns whatever is held back and resets the pending bytes.
func (d *StreamDecoder) Flush() string {
	out := string(d.pending)
	d.pending = d.pending[:0]
	return out
}

// incompleteTail returns how many bytes at the end of b start a UTF-8
// sequence that more bytes could still complete.
func incompleteTail(b []byte) int {
	for k := 1; k <= 3 && k <= len(b); k++ {
		tail := b[len(b)-k:]
		switch c := tail[0]; {
		case c < 0x80:
			return 0
		case c < 0xC0:
			continue // a continuation byte: its lead byte is further back
		case utf8.FullRune(tail):
			return 0 // complete, or invalid whatever follows
		default:
			return k
		}
	}
	return 0
}
