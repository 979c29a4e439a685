package gguf

import "fmt"

// maxNesting is how deep arrays may nest in arrays. The format sets no
// limit and ggml reads none at all; a bound keeps a hostile file from
// recursing without end.
const maxNesting = 8

// source is what a cursor reads: the file's bytes while parsing, the copied
// header when decoding a value's elements.
type source interface{ ~string | ~[]byte }

// cursor reads little-endian fields from b, checking each against the
// bytes left.
type cursor[T source] struct {
	b   T
	pos int
}

func (c *cursor[T]) left() int { return len(c.b) - c.pos }

// take advances past n bytes and returns where they start.
func (c *cursor[T]) take(n uint64) (int, error) {
	if n > uint64(c.left()) {
		return 0, fmt.Errorf("truncated: %d bytes needed at offset %d, %d left", n, c.pos, c.left())
	}
	p := c.pos
	c.pos += int(n)
	return p, nil
}

func (c *cursor[T]) u32() (uint32, error) {
	p, err := c.take(4)
	if err != nil {
		return 0, err
	}
	return le32(c.b[p:]), nil
}

func (c *cursor[T]) u64() (uint64, error) {
	p, err := c.take(8)
	if err != nil {
		return 0, err
	}
	return le64(c.b[p:]), nil
}

// str reads a string (a u64 length, then the bytes) and returns where its
// bytes lie.
func (c *cursor[T]) str() (lo, hi int, err error) {
	n, err := c.u64()
	if err != nil {
		return 0, 0, err
	}
	if n > uint64(c.left()) {
		return 0, 0, fmt.Errorf("string of %d bytes at offset %d runs past the end (%d bytes left)", n, c.pos, c.left())
	}
	lo, _ = c.take(n)
	return lo, c.pos, nil
}

// span is a value read from a cursor: its type, and for an array the
// element type and count; lo and hi bound its encoding (a string's bytes
// without the length, an array's elements without their header).
type span struct {
	typ, elem ValueType
	n         int
	lo, hi    int
}

// value is the Value of s, whose bytes are src (what the cursor read).
func (s span) value(src string) Value {
	return Value{typ: s.typ, elem: s.elem, n: s.n, raw: src[s.lo:s.hi]}
}

// readValue reads one value of type t inside depth enclosing arrays,
// checking that every length fits in the bytes left before going on.
func readValue[T source](c *cursor[T], t ValueType, depth int) (span, error) {
	s := span{typ: t}
	var err error
	switch {
	case t == TypeString:
		s.lo, s.hi, err = c.str()
	case t == TypeArray:
		s.elem, s.n, err = arrayHead(c, depth)
		s.lo = c.pos
		if err == nil {
			err = readElems(c, s.elem, s.n, depth+1)
		}
		s.hi = c.pos
	case t.size() > 0:
		s.lo, err = c.take(uint64(t.size()))
		s.hi = c.pos
		if err == nil && t == TypeBool {
			err = checkBools(c.b[s.lo:s.hi])
		}
	default:
		err = fmt.Errorf("unknown value type %d", uint32(t))
	}
	return s, err
}

// arrayHead reads an array's element type and count, the count checked
// against the bytes left.
func arrayHead[T source](c *cursor[T], depth int) (ValueType, int, error) {
	if depth >= maxNesting {
		return 0, 0, fmt.Errorf("arrays nested more than %d deep", maxNesting)
	}
	et, err := c.u32()
	if err != nil {
		return 0, 0, fmt.Errorf("array element type: %w", err)
	}
	elem := ValueType(et)
	if !elem.known() {
		return 0, 0, fmt.Errorf("array of unknown value type %d", et)
	}
	n, err := c.u64()
	if err != nil {
		return 0, 0, fmt.Errorf("array length: %w", err)
	}
	if n > uint64(c.left()/elem.minSize()) {
		return 0, 0, fmt.Errorf("array of %d %s at offset %d is longer than the %d bytes left", n, elem, c.pos, c.left())
	}
	return elem, int(n), nil
}

// readElems reads past n elements of type elem.
func readElems[T source](c *cursor[T], elem ValueType, n, depth int) error {
	if sz := elem.size(); sz > 0 {
		lo, err := c.take(uint64(n) * uint64(sz)) // n·sz ≤ left: arrayHead checked
		if err == nil && elem == TypeBool {
			err = checkBools(c.b[lo:c.pos])
		}
		return err
	}
	for i := range n {
		if _, err := readValue(c, elem, depth); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	return nil
}

// checkBools refuses bytes other than 0 and 1 (the only booleans GGUF has).
func checkBools[T source](b T) error {
	for i := range len(b) {
		if b[i] > 1 {
			return fmt.Errorf("bool byte %d is neither 0 nor 1", b[i])
		}
	}
	return nil
}

func le16[T source](b T) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }

func le32[T source](b T) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func le64[T source](b T) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }
