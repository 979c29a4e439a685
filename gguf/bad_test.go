package gguf

import (
	"math"
	"strings"
	"testing"

	"github.com/gollm/gollm/quant"
)

// A spec is a GGUF file field by field, free to be wrong anywhere.
type spec struct {
	magic            string
	version          uint32
	nTensors, nKV    uint64 // written as given (set by base to the true counts)
	kvs              []rawKV
	tensors          []rawTI
	infos            []byte // when set, written instead of the tensor infos
	pad              int64  // the data section starts at a multiple of pad
	dataLen          int
	truncatePastInfo bool // end the file right after the tensor infos
}

type rawKV struct {
	key  string
	typ  uint32
	body []byte // the value's encoding
}

type rawTI struct {
	name   string
	nDims  uint32
	dims   []uint64
	typ    uint32
	offset uint64
}

// base is a valid file: two keys, an F32 [8 2] tensor at 0 and a Q8_0 [32]
// tensor at 64.
func base() spec {
	return spec{
		magic: magic, version: 3, nTensors: 2, nKV: 2,
		kvs: []rawKV{
			{"general.architecture", uint32(TypeString), appendScalar(nil, "llama")},
			{alignmentKey, uint32(TypeUint32), appendScalar(nil, uint32(32))},
		},
		tensors: []rawTI{
			{"a", 2, []uint64{8, 2}, uint32(quant.F32), 0},
			{"b", 1, []uint64{32}, uint32(quant.Q8_0), 64},
		},
		pad: 32, dataLen: 64 + 34,
	}
}

func (s spec) bytes() []byte {
	b := append([]byte(s.magic), putLE(nil, uint64(s.version), 4)...)
	b = putLE(putLE(b, s.nTensors, 8), s.nKV, 8)
	for _, kv := range s.kvs {
		b = putLE(appendScalar(b, kv.key), uint64(kv.typ), 4)
		b = append(b, kv.body...)
	}
	b = append(b, s.infos...)
	for _, t := range s.tensors {
		b = putLE(appendScalar(b, t.name), uint64(t.nDims), 4)
		for _, d := range t.dims {
			b = putLE(b, d, 8)
		}
		b = putLE(putLE(b, uint64(t.typ), 4), t.offset, 8)
	}
	if s.truncatePastInfo {
		return b
	}
	b = append(b, make([]byte, alignUp(int64(len(b)), s.pad)-int64(len(b)))...)
	return append(b, make([]byte, s.dataLen)...)
}

// array encodes an array header of count elements of type elem, then body.
func array(elem uint32, count uint64, body ...byte) []byte {
	return append(putLE(putLE(nil, uint64(elem), 4), count, 8), body...)
}

// TestBaseIsValid checks the file the bad cases start from, as v3 and v2
// (which differ only in their version number).
func TestBaseIsValid(t *testing.T) {
	for _, v := range []uint32{2, 3} {
		s := base()
		s.version = v
		f, err := Parse(s.bytes(), "base.gguf")
		if err != nil {
			t.Fatal(err)
		}
		if _, b, err := f.Tensor("b"); err != nil || len(b) != 34 || f.Version != v {
			t.Fatalf("v%d, tensor b: %d bytes, %v", f.Version, len(b), err)
		}
	}
	if s := (Value{}).String(); s != "(invalid value)" {
		t.Errorf("the zero Value prints %s", s)
	}
}

func TestBadFiles(t *testing.T) {
	huge := uint64(math.MaxUint64)
	deep := array(uint32(TypeUint8), 0)
	for range maxNesting {
		deep = array(uint32(TypeArray), 1, deep...)
	}
	cases := []struct {
		name  string
		edit  func(s *spec)
		wants []string // each must appear in the error
	}{
		{"magic", func(s *spec) { s.magic = "GGML" }, []string{`magic "GGML"`, "not a GGUF file"}},
		{"version 1", func(s *spec) { s.version = 1 }, []string{"version 1", "not supported"}},
		{"version 4", func(s *spec) { s.version = 4 }, []string{"version 4", "versions 2 and 3"}},
		{"version 0", func(s *spec) { s.version = 0 }, []string{"version 0"}},
		{"big-endian", func(s *spec) { s.version = 3 << 24 }, []string{"version 50331648", "big-endian"}},
		{"tensor count", func(s *spec) { s.nTensors = huge }, []string{"tensor count 18446744073709551615"}},
		{"key count", func(s *spec) { s.nKV = 1 << 40 }, []string{"key-value count 1099511627776"}},
		{"empty key", func(s *spec) { s.kvs[0].key = "" }, []string{"key 0: empty name"}},
		{"key name length", func(s *spec) { s.kvs, s.tensors, s.infos = nil, nil, putLE(nil, huge, 8) },
			[]string{"key 0: name: string of 18446744073709551615 bytes at offset 32 runs past the end"}},
		{"key truncated", func(s *spec) { s.kvs[1].body = nil; s.tensors = nil; s.truncatePastInfo = true },
			[]string{`key "general.alignment": value: truncated: 4 bytes needed`}},
		{"string length", func(s *spec) { s.kvs[0].body = putLE(nil, huge, 8) },
			[]string{`key "general.architecture": value: string of 18446744073709551615 bytes`}},
		{"string length 2^63", func(s *spec) { s.kvs[0].body = putLE(nil, 1<<63, 8) },
			[]string{`key "general.architecture": value: string of 9223372036854775808 bytes`}},
		{"array length", func(s *spec) { s.kvs[0].typ = uint32(TypeArray); s.kvs[0].body = array(uint32(TypeUint32), huge) },
			[]string{`key "general.architecture": value: array of 18446744073709551615 uint32`}},
		{"string array length", func(s *spec) { s.kvs[0].typ = uint32(TypeArray); s.kvs[0].body = array(uint32(TypeString), huge-7) },
			[]string{`array of 18446744073709551608 string`}},
		{"string in array", func(s *spec) {
			s.kvs[0].typ = uint32(TypeArray)
			s.kvs[0].body = array(uint32(TypeString), 2, append(appendScalar(nil, "ok"), putLE(nil, huge, 8)...)...)
		}, []string{`key "general.architecture": value: element 1: string of 18446744073709551615 bytes`}},
		{"unknown value type", func(s *spec) { s.kvs[0].typ = 13 }, []string{`key "general.architecture": value: unknown value type 13`}},
		{"unknown element type", func(s *spec) { s.kvs[0].typ = uint32(TypeArray); s.kvs[0].body = array(99, 0) },
			[]string{"array of unknown value type 99"}},
		{"nesting", func(s *spec) { s.kvs[0].typ = uint32(TypeArray); s.kvs[0].body = deep },
			[]string{`key "general.architecture": value: element 0:`, "arrays nested more than 8 deep"}},
		{"bool", func(s *spec) { s.kvs[0].typ = uint32(TypeBool); s.kvs[0].body = []byte{2} }, []string{"bool byte 2"}},
		{"duplicate key", func(s *spec) { s.kvs[1].key = s.kvs[0].key; s.kvs[1].body = s.kvs[0].body; s.kvs[1].typ = s.kvs[0].typ },
			[]string{`key "general.architecture": duplicate name (entries 0 and 1)`}},
		{"alignment type", func(s *spec) { s.kvs[1].typ = uint32(TypeUint64); s.kvs[1].body = putLE(nil, 32, 8) },
			[]string{`key "general.alignment": want uint32, found uint64`}},
		{"alignment value", func(s *spec) { s.kvs[1].body = putLE(nil, 48, 4) }, []string{"alignment 48 is not a power of two"}},
		{"alignment zero", func(s *spec) { s.kvs[1].body = putLE(nil, 0, 4) }, []string{"alignment 0 is not a power of two"}},
		{"tensor missing", func(s *spec) { s.tensors = nil; s.truncatePastInfo = true },
			[]string{"tensor 0: name: truncated"}},
		{"tensor name length", func(s *spec) { s.tensors, s.infos = nil, putLE(nil, huge, 8) },
			[]string{"tensor 0: name: string of 18446744073709551615 bytes"}},
		{"n_dims 5", func(s *spec) { s.tensors[1].nDims = 5 }, []string{`tensor "b": n_dims: 5 dimensions, want 1 to 4`}},
		{"n_dims 0", func(s *spec) { s.tensors[1].nDims = 0; s.tensors[1].dims = nil }, []string{`tensor "b": n_dims: 0 dimensions`}},
		{"n_dims huge", func(s *spec) { s.tensors[1].nDims = math.MaxUint32 }, []string{`tensor "b": n_dims: 4294967295 dimensions`}},
		{"element count", func(s *spec) { s.tensors[1].dims = []uint64{1 << 35, 1 << 35}; s.tensors[1].nDims = 2 },
			[]string{`tensor "b": dims [34359738368 34359738368]: the element count overflows int64`}},
		{"dim past int64", func(s *spec) { s.tensors[1].dims = []uint64{huge} },
			[]string{`tensor "b": dims [18446744073709551615]: the element count overflows`}},
		{"byte size", func(s *spec) { s.tensors[0].dims = []uint64{1 << 31, 1 << 31} },
			[]string{`tensor "a": dims [2147483648 2147483648]: the size of F32 data overflows int64`}},
		{"partial block", func(s *spec) { s.tensors[1].dims = []uint64{48} },
			[]string{`tensor "b": dims [48]: a row of 48 elements is not a whole number of Q8_0 blocks (32 elements each)`}},
		{"removed type", func(s *spec) { s.tensors[1].typ = 4 }, []string{`tensor "b": type: unknown ggml type id 4`}},
		{"unknown type", func(s *spec) { s.tensors[1].typ = 1000 }, []string{`tensor "b": type: unknown ggml type id 1000`}},
		{"misaligned", func(s *spec) { s.tensors[1].offset = 72 }, []string{`tensor "b": offset 72 is not a multiple of the alignment 32`}},
		{"overlap", func(s *spec) { s.tensors[1].offset = 32 },
			[]string{`tensor "b": offset 32: its data [32, 66) overlaps tensor "a"'s [0, 64)`}},
		{"past the end", func(s *spec) { s.tensors[1].offset = 96 },
			[]string{`tensor "b": offset 96: 34 bytes of data run past the end of the data section (98 bytes)`}},
		{"offset near 2^64", func(s *spec) { s.tensors[1].offset = huge &^ 31 },
			[]string{`tensor "b": offset 18446744073709551584`}},
		{"data section", func(s *spec) { s.truncatePastInfo = true }, []string{"truncated: the data section starts at offset"}},
		{"duplicate tensor", func(s *spec) { s.tensors[1].name = "a" }, []string{`tensor "a": duplicate name (entries 0 and 1)`}},
		{"empty tensor name", func(s *spec) { s.tensors[1].name = "" }, []string{"tensor 1: empty name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := base()
			c.edit(&s)
			_, err := Parse(s.bytes(), "bad.gguf")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append([]string{"gguf: bad.gguf: "}, c.wants...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestTruncated cuts a valid file at every length: each cut is an error
// naming the file (the last tensor's data is what the final bytes hold).
func TestTruncated(t *testing.T) {
	data := encode(t, everyValue(), testTensors())
	f, err := Parse(data, "full.gguf")
	if err != nil {
		t.Fatal(err)
	}
	last := f.Tensors[len(f.Tensors)-2] // the final tensor is empty
	end := int(f.DataOffset + last.Offset + last.Size)
	for n := range end {
		_, err := Parse(data[:n], "cut.gguf")
		if err == nil || !strings.HasPrefix(err.Error(), "gguf: cut.gguf: ") {
			t.Fatalf("cut at %d of %d: %v", n, end, err)
		}
	}
}
