// Package quant owns ggml's tensor element types: their ids as GGUF files
// store them, their block layouts, and (in the files beside this one) the
// reference formulas that quantize float32 rows into blocks and back.
package quant

import "fmt"

// Type is a ggml tensor type, numbered as ggml.h numbers it (the value a
// GGUF tensor-info record stores).
type Type uint32

// The ggml types. Ids 4, 5 and 31–33, 36–38 were removed from ggml and are
// not valid in GGUF files.
const (
	F32     Type = 0
	F16     Type = 1
	Q4_0    Type = 2
	Q4_1    Type = 3
	Q5_0    Type = 6
	Q5_1    Type = 7
	Q8_0    Type = 8
	Q8_1    Type = 9
	Q2_K    Type = 10
	Q3_K    Type = 11
	Q4_K    Type = 12
	Q5_K    Type = 13
	Q6_K    Type = 14
	Q8_K    Type = 15
	IQ2_XXS Type = 16
	IQ2_XS  Type = 17
	IQ3_XXS Type = 18
	IQ1_S   Type = 19
	IQ4_NL  Type = 20
	IQ3_S   Type = 21
	IQ2_S   Type = 22
	IQ4_XS  Type = 23
	I8      Type = 24
	I16     Type = 25
	I32     Type = 26
	I64     Type = 27
	F64     Type = 28
	IQ1_M   Type = 29
	BF16    Type = 30
	TQ1_0   Type = 34
	TQ2_0   Type = 35
	MXFP4   Type = 39
	NVFP4   Type = 40
	Q1_0    Type = 41
	Q2_0    Type = 42
)

// QK is the number of weights in one block of a legacy format (Q4_0 …
// Q8_1); QKK the number in one super-block of a K-quant (Q2_K … Q8_K).
const (
	QK  = 32
	QKK = 256
)

// layout is a type's block shape: elems weights stored in bytes bytes.
type layout struct {
	name         string
	elems, bytes int
	loads        bool // gollm reads tensors of this type
}

// layouts holds every type ggml defines, with the block sizes of
// ggml-common.h (a half is 2 bytes; K-quants keep 12 bytes of 6-bit scales).
var layouts = map[Type]layout{
	F32:     {"F32", 1, 4, true},
	F16:     {"F16", 1, 2, true},
	BF16:    {"BF16", 1, 2, true},
	Q4_0:    {"Q4_0", QK, 2 + QK/2, true},
	Q4_1:    {"Q4_1", QK, 4 + QK/2, true},
	Q5_0:    {"Q5_0", QK, 2 + 4 + QK/2, true},
	Q5_1:    {"Q5_1", QK, 4 + 4 + QK/2, true},
	Q8_0:    {"Q8_0", QK, 2 + QK, true},
	Q8_1:    {"Q8_1", QK, 4 + QK, false},
	Q2_K:    {"Q2_K", QKK, 4 + QKK/16 + QKK/4, false},
	Q3_K:    {"Q3_K", QKK, 2 + QKK/4 + QKK/8 + 12, false},
	Q4_K:    {"Q4_K", QKK, 4 + 12 + QKK/2, true},
	Q5_K:    {"Q5_K", QKK, 4 + 12 + QKK/2 + QKK/8, true},
	Q6_K:    {"Q6_K", QKK, 2 + QKK/16 + 3*QKK/4, true},
	Q8_K:    {"Q8_K", QKK, 4 + QKK + QKK/16*2, false},
	IQ2_XXS: {"IQ2_XXS", QKK, 2 + QKK/8*2, false},
	IQ2_XS:  {"IQ2_XS", QKK, 2 + QKK/8*2 + QKK/32, false},
	IQ3_XXS: {"IQ3_XXS", QKK, 2 + 3*(QKK/8), false},
	IQ1_S:   {"IQ1_S", QKK, 2 + QKK/8 + QKK/16, false},
	IQ4_NL:  {"IQ4_NL", QK, 2 + QK/2, false},
	IQ3_S:   {"IQ3_S", QKK, 2 + 13*(QKK/32) + QKK/64, false},
	IQ2_S:   {"IQ2_S", QKK, 2 + QKK/4 + QKK/16, false},
	IQ4_XS:  {"IQ4_XS", QKK, 2 + 2 + QKK/64 + QKK/2, false},
	I8:      {"I8", 1, 1, false},
	I16:     {"I16", 1, 2, false},
	I32:     {"I32", 1, 4, false},
	I64:     {"I64", 1, 8, false},
	F64:     {"F64", 1, 8, false},
	IQ1_M:   {"IQ1_M", QKK, QKK/8 + QKK/16 + QKK/32, false},
	TQ1_0:   {"TQ1_0", QKK, 2 + QKK/64 + (QKK-4*QKK/64)/5, false},
	TQ2_0:   {"TQ2_0", QKK, 2 + QKK/4, false},
	MXFP4:   {"MXFP4", QK, 1 + QK/2, false},
	NVFP4:   {"NVFP4", 64, 4 + 64/2, false},
	Q1_0:    {"Q1_0", 128, 2 + 128/8, false},
	Q2_0:    {"Q2_0", 64, 2 + 64/4, false},
}

// Known reports whether ggml defines t.
func (t Type) Known() bool { _, ok := layouts[t]; return ok }

// Loads reports whether gollm can read tensors of type t.
func (t Type) Loads() bool { return layouts[t].loads }

// String returns ggml's name of t ("Q4_K"), or "type(N)" for an unknown id.
func (t Type) String() string {
	if l, ok := layouts[t]; ok {
		return l.name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// BlockElems is the number of weights in one block of t (1 for plain
// floats and integers); 0 for an unknown type.
func (t Type) BlockElems() int { return layouts[t].elems }

// BlockBytes is the size in bytes of one block of t; 0 for an unknown type.
func (t Type) BlockBytes() int { return layouts[t].bytes }

// RowBytes is the size of a row of n weights of type t. A row must be a
// whole number of blocks: for other n, or an unknown type, it returns an
// error naming both.
func (t Type) RowBytes(n int) (int, error) {
	l, ok := layouts[t]
	if !ok {
		return 0, fmt.Errorf("unknown ggml type %d", uint32(t))
	}
	if n < 0 || n%l.elems != 0 {
		return 0, fmt.Errorf("a row of %d weights is not a whole number of %s blocks (%d weights each)", n, l.name, l.elems)
	}
	return n / l.elems * l.bytes, nil
}

// ParseType maps a ggml type name ("Q8_0", case-sensitive as ggml prints
// it) to its Type.
func ParseType(name string) (Type, error) {
	for t, l := range layouts {
		if l.name == name {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown ggml type %q", name)
}
