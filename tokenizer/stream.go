package tokenizer

import "unicode/utf8"

// pieceSource is implemented by this package's tokenizers.
type pieceSource interface {
	piece(id int) []byte // the bytes of id; nil for unknown ids
	stripsLead() bool    // decoding drops the space that starts the first piece
}

// appendDecoded appends the text of id; started tracks whether a non-empty
// piece has been seen.
func appendDecoded(p pieceSource, dst []byte, id int, started *bool) []byte {
	b := p.piece(id)
	if !*started && len(b) > 0 {
		*started = true
		if b[0] == ' ' && p.stripsLead() {
			b = b[1:]
		}
	}
	return append(dst, b...)
}

// decodeAll joins the text of ids.
func decodeAll(p pieceSource, ids []int) string {
	var out []byte
	started := false
	for _, id := range ids {
		out = appendDecoded(p, out, id, &started)
	}
	return string(out)
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
	if p, ok := d.t.(pieceSource); ok {
		d.pending = appendDecoded(p, d.pending, id, &d.started)
	} else {
		d.pending = append(d.pending, d.t.Decode([]int{id})...)
	}
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
