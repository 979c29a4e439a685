package gguf

import (
	"fmt"
	"iter"
	"math"
	"strconv"
	"strings"
)

// ValueType is the type of a metadata value, numbered as GGUF stores it.
type ValueType uint32

// The GGUF value types.
const (
	TypeUint8 ValueType = iota
	TypeInt8
	TypeUint16
	TypeInt16
	TypeUint32
	TypeInt32
	TypeFloat32
	TypeBool
	TypeString
	TypeArray
	TypeUint64
	TypeInt64
	TypeFloat64
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32",
	"float32", "bool", "string", "array", "uint64", "int64", "float64"}

// valueSizes is the encoded size of each fixed-size type (0: string, array).
var valueSizes = [...]int{1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8}

// String returns the type's name ("uint32"), or "type(N)" for an unknown id.
func (t ValueType) String() string {
	if t.known() {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

func (t ValueType) known() bool { return t <= TypeFloat64 }

// size is the encoded size of a value of fixed-size type t; 0 for strings,
// arrays and unknown types.
func (t ValueType) size() int {
	if t.known() {
		return valueSizes[t]
	}
	return 0
}

// minSize is the fewest bytes a value of type t can take: a string's
// length, an array's element type and count.
func (t ValueType) minSize() int {
	switch t {
	case TypeString:
		return 8
	case TypeArray:
		return 4 + 8
	}
	return t.size()
}

// Value is one metadata value, kept encoded as the file stores it. Values
// come from a parsed file or from ValueOf and ArrayOf; the zero Value is
// not valid.
type Value struct {
	typ  ValueType
	elem ValueType // arrays: the elements' type
	n    int       // arrays: the number of elements
	raw  string    // a scalar's bytes, a string's bytes (no length), an array's elements
}

// Type is the value's type.
func (v Value) Type() ValueType { return v.typ }

// ElemType is an array's element type (meaningless for other values).
func (v Value) ElemType() ValueType { return v.elem }

// Len is an array's number of elements; 0 for other values.
func (v Value) Len() int { return v.n }

// describe names the value's type for errors: "uint32", "array of 3 float32".
func (v Value) describe() string {
	if v.typ == TypeArray {
		return fmt.Sprintf("array of %d %s", v.n, v.elem)
	}
	return v.typ.String()
}

// elems yields the elements of an array value.
func (v Value) elems() iter.Seq[Value] {
	return func(yield func(Value) bool) {
		c := &cursor[string]{b: v.raw}
		for range v.n {
			s, err := readValue(c, v.elem, 1)
			if err != nil || !yield(s.value(v.raw)) {
				return // err: impossible, v was checked when it was read
			}
		}
	}
}

// maxShown is how many elements of an array String shows.
const maxShown = 8

// String formats the value for people: numbers and booleans as Go prints
// them, strings quoted, arrays as their first elements and their length.
func (v Value) String() string {
	if !v.typ.known() || len(v.raw) < v.typ.size() {
		return "(invalid value)" // the zero Value
	}
	switch v.typ {
	case TypeString:
		return strconv.Quote(v.raw)
	case TypeBool:
		return strconv.FormatBool(v.raw[0] != 0)
	case TypeFloat32:
		return strconv.FormatFloat(float64(math.Float32frombits(le32(v.raw))), 'g', -1, 32)
	case TypeFloat64:
		return strconv.FormatFloat(math.Float64frombits(le64(v.raw)), 'g', -1, 64)
	case TypeArray:
		var b strings.Builder
		b.WriteByte('[')
		i := 0
		for e := range v.elems() {
			if i == maxShown {
				fmt.Fprintf(&b, " … %d %s", v.n, v.elem)
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(e.String())
			i++
		}
		b.WriteByte(']')
		return b.String()
	}
	s, u, signed, _ := decodeInt(v.typ, v.raw)
	if signed {
		return strconv.FormatInt(s, 10)
	}
	return strconv.FormatUint(u, 10)
}

// decodeInt decodes b, one value of type t: s when t is a signed integer
// type, u when unsigned; ok is false when t is not an integer type.
func decodeInt(t ValueType, b string) (s int64, u uint64, signed, ok bool) {
	switch t {
	case TypeUint8:
		return 0, uint64(b[0]), false, true
	case TypeUint16:
		return 0, uint64(le16(b)), false, true
	case TypeUint32:
		return 0, uint64(le32(b)), false, true
	case TypeUint64:
		return 0, le64(b), false, true
	case TypeInt8:
		return int64(int8(b[0])), 0, true, true
	case TypeInt16:
		return int64(int16(le16(b))), 0, true, true
	case TypeInt32:
		return int64(int32(le32(b))), 0, true, true
	case TypeInt64:
		return int64(le64(b)), 0, true, true
	}
	return 0, 0, false, false
}

// intIn returns the integer value v when it lies in [lo, hi].
func (v Value) intIn(lo, hi int64) (int64, bool) {
	s, u, signed, ok := decodeInt(v.typ, v.raw)
	switch {
	case !ok:
		return 0, false
	case signed:
		return s, lo <= s && s <= hi
	}
	return int64(u), u <= uint64(hi)
}

// Scalar is the set of Go types a GGUF scalar value holds.
type Scalar interface {
	uint8 | int8 | uint16 | int16 | uint32 | int32 | float32 | bool | string | uint64 | int64 | float64
}

// ValueOf makes the value x, of the GGUF type matching its Go type.
func ValueOf[T Scalar](x T) Value {
	t := typeOf[T]()
	raw := string(appendScalar(nil, x))
	if t == TypeString {
		raw = raw[8:] // a string value is kept without its length
	}
	return Value{typ: t, raw: raw}
}

// ArrayOf makes an array value of the elements xs.
func ArrayOf[T Scalar](xs []T) Value {
	var b []byte
	for _, x := range xs {
		b = appendScalar(b, x)
	}
	return Value{typ: TypeArray, elem: typeOf[T](), n: len(xs), raw: string(b)}
}

// typeOf is the GGUF type of the Go type T.
func typeOf[T Scalar]() ValueType {
	var zero T
	switch any(zero).(type) {
	case uint8:
		return TypeUint8
	case int8:
		return TypeInt8
	case uint16:
		return TypeUint16
	case int16:
		return TypeInt16
	case uint32:
		return TypeUint32
	case int32:
		return TypeInt32
	case float32:
		return TypeFloat32
	case bool:
		return TypeBool
	case string:
		return TypeString
	case uint64:
		return TypeUint64
	case int64:
		return TypeInt64
	}
	return TypeFloat64
}

// appendScalar appends x as GGUF encodes it (a string with its length).
func appendScalar[T Scalar](b []byte, x T) []byte {
	switch v := any(x).(type) {
	case uint8:
		return append(b, v)
	case int8:
		return append(b, byte(v))
	case uint16:
		return putLE(b, uint64(v), 2)
	case int16:
		return putLE(b, uint64(v), 2)
	case uint32:
		return putLE(b, uint64(v), 4)
	case int32:
		return putLE(b, uint64(v), 4)
	case float32:
		return putLE(b, uint64(math.Float32bits(v)), 4)
	case bool:
		if v {
			return append(b, 1)
		}
		return append(b, 0)
	case string:
		return append(putLE(b, uint64(len(v)), 8), v...)
	case uint64:
		return putLE(b, v, 8)
	case int64:
		return putLE(b, uint64(v), 8)
	}
	return putLE(b, math.Float64bits(any(x).(float64)), 8) // the last Scalar
}

// putLE appends the n low bytes of x, little-endian.
func putLE(b []byte, x uint64, n int) []byte {
	for i := range n {
		b = append(b, byte(x>>(8*i)))
	}
	return b
}
