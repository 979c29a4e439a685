package tokenizer

import (
	"encoding/binary"
	"errors"
	"math"
)

// pbReader walks protobuf wire-format fields; the first error sticks.
type pbReader struct {
	b   []byte
	err error
}

var errTruncated = errors.New("truncated protobuf")

// next reads a field key; ok is false at the end or on error.
func (r *pbReader) next() (field, wire int, ok bool) {
	if r.err != nil || len(r.b) == 0 {
		return 0, 0, false
	}
	k := r.varint()
	return int(k >> 3), int(k & 7), r.err == nil
}

func (r *pbReader) varint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *pbReader) bytes() []byte {
	n := r.varint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *pbReader) float32() float32 {
	if len(r.b) < 4 {
		r.fail()
		return 0
	}
	v := math.Float32frombits(binary.LittleEndian.Uint32(r.b))
	r.b = r.b[4:]
	return v
}

// int32 reads a varint int32 (negative values take ten bytes on the wire).
func (r *pbReader) int32() int { return int(int32(r.varint())) }

// skip passes over a field of the given wire type.
func (r *pbReader) skip(wire int) {
	switch wire {
	case 0:
		r.varint()
	case 1:
		r.take(8)
	case 2:
		r.bytes()
	case 5:
		r.take(4)
	default:
		r.fail()
	}
}

func (r *pbReader) take(n int) {
	if len(r.b) < n {
		r.fail()
		return
	}
	r.b = r.b[n:]
}

func (r *pbReader) fail() {
	if r.err == nil {
		r.err = errTruncated
	}
	r.b = nil
}
