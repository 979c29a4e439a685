// Package gguf reads and writes GGUF files (versions 2 and 3), the format
// llama.cpp stores models in: typed metadata key-value pairs, then tensor
// infos, then the tensors' bytes, each at the file's alignment. Every
// length and offset is checked against the bytes there before it is used,
// so a bad file gives an error naming the file, the key or tensor and the
// field, never a panic or a huge allocation. docs/gguf.md has the layout.
package gguf

import (
	"fmt"
	"math"

	"github.com/gollm/gollm/internal/mmap"
)

// KV is one metadata key-value pair.
type KV struct {
	Key   string
	Value Value
}

// File is a parsed GGUF file. Its metadata stays readable after Close;
// tensor bytes do not.
type File struct {
	Name      string       // the path given to Open or the name given to Parse
	Version   uint32       // 2 or 3
	Alignment int64        // of the data section and of every tensor in it
	KV        []KV         // the metadata, in file order
	Tensors   []TensorInfo // in file order
	// DataOffset is where the data section starts in the file.
	DataOffset int64

	data    []byte
	keys    map[string]int // key → index in KV
	tensors map[string]int // name → index in Tensors
	release func() error
}

// Open memory-maps the GGUF file at path read-only (on systems without
// mmap it is read into memory) and parses it. Close releases the mapping.
func Open(path string) (*File, error) {
	data, release, err := mmap.Map(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %s: %w", path, err)
	}
	f, err := Parse(data, path)
	if err != nil {
		release()
		return nil, err
	}
	f.release = release
	return f, nil
}

// Close releases the file's mapping (once; later calls do nothing). Tensor
// bytes obtained before must not be used after.
func (f *File) Close() error {
	release := f.release
	f.release, f.data = nil, nil
	if release == nil {
		return nil
	}
	if err := release(); err != nil {
		return fmt.Errorf("gguf: %s: %w", f.Name, err)
	}
	return nil
}

// Tensor returns the info of the tensor called name and its bytes, a slice
// of the file's mapping.
func (f *File) Tensor(name string) (TensorInfo, []byte, error) {
	i, ok := f.tensors[name]
	if !ok {
		return TensorInfo{}, nil, f.errorf("no tensor %q", name)
	}
	t := f.Tensors[i]
	if f.data == nil {
		return t, nil, f.errorf("tensor %q: the file is closed", name)
	}
	lo := f.DataOffset + t.Offset
	return t, f.data[lo : lo+t.Size : lo+t.Size], nil
}

// Has reports whether the metadata holds key.
func (f *File) Has(key string) bool { _, ok := f.keys[key]; return ok }

// Get returns the value of key.
func (f *File) Get(key string) (Value, bool) {
	i, ok := f.keys[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

// String returns the string value of key.
func (f *File) String(key string) (string, error) {
	v, err := f.want(key, TypeString, "string")
	if err != nil {
		return "", err
	}
	return v.raw, nil
}

// Bool returns the bool value of key.
func (f *File) Bool(key string) (bool, error) {
	v, err := f.want(key, TypeBool, "bool")
	return err == nil && v.raw[0] != 0, err
}

// Uint returns the value of key, of any integer type, as a uint64; a
// negative value is an error.
func (f *File) Uint(key string) (uint64, error) {
	v, err := f.value(key)
	if err != nil {
		return 0, err
	}
	s, u, signed, ok := decodeInt(v.typ, v.raw)
	switch {
	case !ok:
		return 0, f.errorf("key %q: want an unsigned integer, found %s", key, v.describe())
	case signed && s < 0:
		return 0, f.errorf("key %q: want an unsigned integer, found %s %d", key, v.typ, s)
	case signed:
		return uint64(s), nil
	}
	return u, nil
}

// Int returns the value of key, of any integer type, as an int64; a
// uint64 above the int64 range is an error.
func (f *File) Int(key string) (int64, error) {
	v, err := f.value(key)
	if err != nil {
		return 0, err
	}
	if _, _, _, ok := decodeInt(v.typ, v.raw); !ok {
		return 0, f.errorf("key %q: want an integer, found %s", key, v.describe())
	}
	n, ok := v.intIn(math.MinInt64, math.MaxInt64)
	if !ok {
		return 0, f.errorf("key %q: want an int64, found %s %s", key, v.typ, v)
	}
	return n, nil
}

// Float returns the value of key, a float32 or float64, as a float64.
func (f *File) Float(key string) (float64, error) {
	v, err := f.value(key)
	switch {
	case err != nil:
		return 0, err
	case v.typ == TypeFloat32:
		return float64(math.Float32frombits(le32(v.raw))), nil
	case v.typ == TypeFloat64:
		return math.Float64frombits(le64(v.raw)), nil
	}
	return 0, f.errorf("key %q: want a float, found %s", key, v.describe())
}

// Strings returns the array of strings of key (a vocabulary, merges).
func (f *File) Strings(key string) ([]string, error) {
	v, err := f.wantArray(key, TypeString)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, v.n)
	for e := range v.elems() {
		out = append(out, e.raw) // a substring of the metadata: no copy
	}
	return out, nil
}

// Float32s returns the array of float32 of key (token scores).
func (f *File) Float32s(key string) ([]float32, error) {
	v, err := f.wantArray(key, TypeFloat32)
	if err != nil {
		return nil, err
	}
	out := make([]float32, v.n)
	for i := range out {
		out[i] = math.Float32frombits(le32(v.raw[4*i:]))
	}
	return out, nil
}

// Int32s returns the array of key, of any integer type whose every value
// fits an int32 (token types), as int32s.
func (f *File) Int32s(key string) ([]int32, error) {
	v, err := f.want(key, TypeArray, "an array of integers")
	if err != nil {
		return nil, err
	}
	out := make([]int32, 0, v.n)
	for e := range v.elems() {
		x, ok := e.intIn(math.MinInt32, math.MaxInt32)
		if !ok {
			return nil, f.errorf("key %q: want an array of int32, found %s holding %s at index %d", key, v.describe(), e, len(out))
		}
		out = append(out, int32(x))
	}
	return out, nil
}

// value returns the value of key.
func (f *File) value(key string) (Value, error) {
	v, ok := f.Get(key)
	if !ok {
		return v, f.errorf("key %q is missing", key)
	}
	return v, nil
}

// want returns the value of key, which must be of type t (want names it).
func (f *File) want(key string, t ValueType, want string) (Value, error) {
	v, err := f.value(key)
	if err == nil && v.typ != t {
		err = f.errorf("key %q: want %s, found %s", key, want, v.describe())
	}
	return v, err
}

// wantArray returns the value of key, an array of elem.
func (f *File) wantArray(key string, elem ValueType) (Value, error) {
	v, err := f.want(key, TypeArray, "an array of "+elem.String())
	if err == nil && v.elem != elem {
		err = f.errorf("key %q: want an array of %s, found %s", key, elem, v.describe())
	}
	return v, err
}

// errorf formats an error about f.
func (f *File) errorf(format string, args ...any) error {
	return fmt.Errorf("gguf: %s: "+format, append([]any{f.Name}, args...)...)
}
