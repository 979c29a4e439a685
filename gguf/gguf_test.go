package gguf

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gollm/gollm/quant"
)

// nestedArray makes an array of arrays, which no constructor makes (only
// parsed files carry them).
func nestedArray(elems ...Value) Value {
	var b []byte
	for _, e := range elems {
		b = putLE(b, uint64(e.elem), 4)
		b = putLE(b, uint64(e.n), 8)
		b = append(b, e.raw...)
	}
	return Value{typ: TypeArray, elem: TypeArray, n: len(elems), raw: string(b)}
}

// everyValue is metadata holding every value type, as a scalar and an array.
func everyValue() []KV {
	return []KV{
		{"general.architecture", ValueOf("llama")},
		{"u8", ValueOf(uint8(200))}, {"i8", ValueOf(int8(-100))},
		{"u16", ValueOf(uint16(60000))}, {"i16", ValueOf(int16(-30000))},
		{"u32", ValueOf(uint32(4000000000))}, {"i32", ValueOf(int32(-2000000000))},
		{"f32", ValueOf(float32(1.5))}, {"bool", ValueOf(true)},
		{"u64", ValueOf(uint64(math.MaxUint64))}, {"i64", ValueOf(int64(math.MinInt64))},
		{"f64", ValueOf(math.Pi)}, {"empty", ValueOf("")},
		{"a.u8", ArrayOf([]uint8{1, 2})}, {"a.i8", ArrayOf([]int8{-1, 2})},
		{"a.u16", ArrayOf([]uint16{1, 65535})}, {"a.i16", ArrayOf([]int16{-1, 2})},
		{"a.u32", ArrayOf([]uint32{7})}, {"a.i32", ArrayOf([]int32{-7, 7})},
		{"a.f32", ArrayOf([]float32{0.25, -3})}, {"a.bool", ArrayOf([]bool{true, false})},
		{"a.str", ArrayOf([]string{"a", "", "ü"})}, {"a.u64", ArrayOf([]uint64{1 << 40})},
		{"a.i64", ArrayOf([]int64{-1 << 40})}, {"a.f64", ArrayOf([]float64{1e300})},
		{"a.none", ArrayOf([]int32{})},
		{"a.nested", nestedArray(ArrayOf([]uint8{1}), ArrayOf([]uint8{2, 3}))},
	}
}

// testTensors are tensors of several types, one gollm does not read.
func testTensors() []Tensor {
	shapes := []struct {
		name string
		typ  quant.Type
		dims []uint64
	}{
		{"token_embd.weight", quant.F32, []uint64{8, 3}},
		{"blk.0.attn_q.weight", quant.Q8_0, []uint64{64, 2}},
		{"blk.0.ffn_up.weight", quant.Q4_K, []uint64{256, 1, 2}},
		{"blk.0.ffn_down.weight", quant.IQ2_XXS, []uint64{256}},
		{"output_norm.weight", quant.F16, []uint64{5}},
		{"empty", quant.F32, []uint64{0, 4}},
	}
	ts := make([]Tensor, len(shapes))
	for i, s := range shapes {
		size, err := tensorSize(s.typ, s.dims)
		if err != nil {
			panic(err)
		}
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(i*31 + j)
		}
		ts[i] = Tensor{s.name, s.typ, s.dims, func() ([]byte, error) { return data, nil }}
	}
	return ts
}

func encode(t testing.TB, kvs []KV, ts []Tensor) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, kvs, ts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, align := range []uint32{0, 32, 64} {
		t.Run(fmt.Sprint("align", align), func(t *testing.T) {
			kvs := everyValue()
			if align != 0 {
				kvs = append(kvs, KV{alignmentKey, ValueOf(align)})
			}
			ts := testTensors()
			f, err := Parse(encode(t, kvs, ts), "rt.gguf")
			if err != nil {
				t.Fatal(err)
			}
			checkFile(t, f, kvs, ts, max(int64(align), defaultAlignment))
		})
	}
}

// checkFile compares a parsed file with what was written.
func checkFile(t *testing.T, f *File, kvs []KV, ts []Tensor, align int64) {
	t.Helper()
	if f.Version != 3 || f.Alignment != align || f.DataOffset%align != 0 {
		t.Errorf("version %d, alignment %d, data at %d; want 3, %d, aligned", f.Version, f.Alignment, f.DataOffset, align)
	}
	if len(f.KV) != len(kvs) {
		t.Fatalf("%d keys, want %d", len(f.KV), len(kvs))
	}
	for i, kv := range f.KV {
		if kv != kvs[i] {
			t.Errorf("key %d: %q = %v, want %q = %v", i, kv.Key, kv.Value, kvs[i].Key, kvs[i].Value)
		}
	}
	if len(f.Tensors) != len(ts) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(ts))
	}
	for i, want := range ts {
		info, data, err := f.Tensor(want.Name)
		wantData, _ := want.Data()
		if err != nil || info.Type != want.Type || !slices.Equal(info.Dims, want.Dims) || !bytes.Equal(data, wantData) {
			t.Errorf("tensor %d: %+v, %d bytes, %v; want %v %v, %d bytes", i, info, len(data), err, want.Type, want.Dims, len(wantData))
		}
		if info.Offset%align != 0 || info.Name != f.Tensors[i].Name {
			t.Errorf("tensor %q at offset %d, or out of order", want.Name, info.Offset)
		}
	}
}

func TestAccessors(t *testing.T) {
	f, err := Parse(encode(t, everyValue(), nil), "acc.gguf")
	if err != nil {
		t.Fatal(err)
	}
	must := func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	checks := []struct {
		got, want any
	}{
		{must(f.String("general.architecture")), "llama"},
		{must(f.Uint("u8")), uint64(200)},
		{must(f.Uint("u64")), uint64(math.MaxUint64)},
		{must(f.Int("i64")), int64(math.MinInt64)},
		{must(f.Int("u32")), int64(4000000000)},
		{must(f.Float("f32")), 1.5},
		{must(f.Float("f64")), math.Pi},
		{must(f.Bool("bool")), true},
		{must(f.Strings("a.str")), []string{"a", "", "ü"}},
		{must(f.Float32s("a.f32")), []float32{0.25, -3}},
		{must(f.Int32s("a.i32")), []int32{-7, 7}},
		{must(f.Int32s("a.u16")), []int32{1, 65535}},
		{must(f.Int32s("a.none")), []int32{}},
	}
	for i, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("check %d: got %v, want %v", i, c.got, c.want)
		}
	}
	if !f.Has("u8") || f.Has("nope") {
		t.Error("Has")
	}
	v, _ := f.Get("a.nested")
	if s := v.String(); s != "[[1], [2, 3]]" {
		t.Errorf("nested array prints %s", s)
	}
}

func TestAccessorErrors(t *testing.T) {
	f, err := Parse(encode(t, everyValue(), nil), "acc.gguf")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		err  error
		want string
	}{
		{second(f.String("u32")), `acc.gguf: key "u32": want string, found uint32`},
		{second(f.String("nope")), `key "nope" is missing`},
		{second(f.Uint("i8")), `key "i8": want an unsigned integer, found int8 -100`},
		{second(f.Uint("a.u32")), `key "a.u32": want an unsigned integer, found array of 1 uint32`},
		{second(f.Int("u64")), `key "u64": want an int64, found uint64 18446744073709551615`},
		{second(f.Int("f32")), `key "f32": want an integer, found float32`},
		{second(f.Float("u8")), `key "u8": want a float, found uint8`},
		{second(f.Bool("u8")), `key "u8": want bool, found uint8`},
		{second(f.Strings("a.u32")), `key "a.u32": want an array of string, found array of 1 uint32`},
		{second(f.Strings("u32")), `key "u32": want an array of string, found uint32`},
		{second(f.Float32s("a.f64")), `want an array of float32, found array of 1 float64`},
		{second(f.Int32s("a.u64")), `key "a.u64": want an array of int32, found array of 1 uint64 holding 1099511627776 at index 0`},
		{second(f.Int32s("a.str")), `holding "a" at index 0`},
		{second3(f.Tensor("nope")), `acc.gguf: no tensor "nope"`},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v, want it to say %s", c.err, c.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func second3[A, B any](_ A, _ B, err error) error { return err }

func TestWriteFileAndOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	kvs, ts := everyValue(), testTensors()
	if err := WriteFile(path, kvs, ts); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, f, kvs, ts, defaultAlignment)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Tensor(ts[0].Name); err == nil {
		t.Error("tensor bytes given after Close")
	}
	if s, err := f.String("general.architecture"); s != "llama" || err != nil {
		t.Errorf("metadata after Close: %q, %v", s, err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// A failing tensor leaves the old file and no temporary one.
	failing := append(testTensors(), Tensor{"late", quant.F32, []uint64{1}, func() ([]byte, error) {
		return nil, errors.New("quantizer gave up")
	}})
	err = WriteFile(path, kvs, failing)
	if err == nil || !strings.Contains(err.Error(), `tensor "late": quantizer gave up`) {
		t.Errorf("failed write: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("after a failed write the folder holds %v", entries)
	}
	if _, err := Open(filepath.Join(dir, "absent.gguf")); err == nil || !strings.Contains(err.Error(), "absent.gguf") {
		t.Errorf("opening a missing file: %v", err)
	}
}

func TestWriteRefuses(t *testing.T) {
	one := func() ([]byte, error) { return make([]byte, 4), nil }
	cases := []struct {
		kvs  []KV
		ts   []Tensor
		want string
	}{
		{[]KV{{"a", ValueOf(int32(1))}, {"a", ValueOf(int32(2))}}, nil, `key "a": duplicate`},
		{[]KV{{"", ValueOf(int32(1))}}, nil, `key 0: empty name`},
		{[]KV{{"a", Value{}}}, nil, `key "a": malformed uint8 value`},
		{[]KV{{alignmentKey, ValueOf(uint32(24))}}, nil, "not a power of two"},
		{nil, []Tensor{{"t", quant.F32, []uint64{1}, one}, {"t", quant.F32, []uint64{1}, one}}, `tensor "t": duplicate`},
		{nil, []Tensor{{strings.Repeat("x", 64), quant.F32, []uint64{1}, one}}, "name: 64 bytes"},
		{nil, []Tensor{{"t", quant.Q8_0, []uint64{16}, one}}, "not a whole number of Q8_0 blocks"},
		{nil, []Tensor{{"t", quant.F32, []uint64{1, 1, 1, 1, 1}, one}}, "n_dims"},
		{nil, []Tensor{{"t", quant.F32, []uint64{2}, one}}, `tensor "t": 4 bytes of data, want 8`},
		{nil, []Tensor{{"t", quant.F32, []uint64{1}, nil}}, `tensor "t": no Data`},
		{nil, []Tensor{{"a", quant.F32, []uint64{1 << 60}, one}, {"b", quant.F32, []uint64{1 << 60}, one}},
			`tensor "b": the data section outgrows int64`},
	}
	for _, c := range cases {
		err := Write(&bytes.Buffer{}, c.kvs, c.ts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Write: %v, want it to say %s", err, c.want)
		}
	}
}

// TestVocabularyAllocations checks that a 150k-entry string array costs no
// allocation per entry, parsing or reading it.
func TestVocabularyAllocations(t *testing.T) {
	vocab := make([]string, 150000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("tok%d", i)
	}
	data := encode(t, []KV{{"tokenizer.ggml.tokens", ArrayOf(vocab)}}, testTensors())
	var f *File
	if n := testing.AllocsPerRun(3, func() { f, _ = Parse(data, "v.gguf") }); n > 40 {
		t.Errorf("Parse made %v allocations", n)
	}
	var got []string
	if n := testing.AllocsPerRun(3, func() { got, _ = f.Strings("tokenizer.ggml.tokens") }); n > 4 {
		t.Errorf("Strings made %v allocations", n)
	}
	if !slices.Equal(got, vocab) {
		t.Error("vocabulary differs")
	}
}

// TestNoTensorsNoPadding is what the fuzzer found: a file of no tensors
// and a huge alignment must not be padded to it when written back.
func TestNoTensorsNoPadding(t *testing.T) {
	data := encode(t, []KV{{alignmentKey, ValueOf(uint32(1 << 31))}}, nil)
	f, err := Parse(data, "a.gguf")
	if err != nil || len(data) > 100 || f.Alignment != 1<<31 {
		t.Fatalf("%d bytes written, %v", len(data), err)
	}
}
