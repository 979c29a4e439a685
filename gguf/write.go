package gguf

import (
	"bufio"
	"fmt"
	"io"
	"math"

	"github.com/gollm/gollm/internal/atomicfile"
	"github.com/gollm/gollm/quant"
)

// maxNameLen is the longest tensor name ggml loads (GGML_MAX_NAME, 64,
// holds the terminating NUL).
const maxNameLen = 63

// Tensor is a tensor for Write: its name, type, shape (in ggml order, as
// TensorInfo.Dims) and a function giving its bytes.
type Tensor struct {
	Name string
	Type quant.Type
	Dims []uint64
	// Data returns the tensor's bytes, exactly as many as Type and Dims
	// make. Write calls it once, when the tensor's turn comes, so a tensor
	// can be made (quantized) just before it is written.
	Data func() ([]byte, error)
}

// Write writes a GGUF v3 file to w: the metadata kvs and the tensors, in
// the order given, each tensor's data at the alignment that kvs set
// (general.alignment, a uint32 power of two; 32 when absent). Names, types
// and shapes are checked as Parse checks them, before anything is written.
func Write(w io.Writer, kvs []KV, tensors []Tensor) error {
	if err := write(w, kvs, tensors); err != nil {
		return fmt.Errorf("gguf: writing: %w", err)
	}
	return nil
}

// WriteFile writes the file as Write does, by internal/atomicfile's rules:
// into a temporary file beside path, renamed over it only once all of it is
// written and synced, so an interrupted or failed run leaves no partial
// file (a symlink is followed, a device written directly).
func WriteFile(path string, kvs []KV, tensors []Tensor) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return write(w, kvs, tensors) }); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}

func write(w io.Writer, kvs []KV, tensors []Tensor) error {
	keys, err := index(len(kvs), func(i int) string { return kvs[i].Key }, "key")
	if err != nil {
		return err
	}
	align, err := alignment(kvs, keys)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		if err := checkValue(kv.Value); err != nil {
			return fmt.Errorf("key %q: %w", kv.Key, err)
		}
	}
	infos, err := layOut(tensors, align)
	if err != nil {
		return err
	}
	e := &encoder{w: bufio.NewWriterSize(w, 1<<20)}
	e.writeString(magic)
	e.u32(writeVersion)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(kvs)))
	for _, kv := range kvs {
		e.str(kv.Key)
		e.value(kv.Value)
	}
	for _, t := range infos {
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.Type))
		e.u64(uint64(t.Offset))
	}
	if len(tensors) > 0 {
		e.pad(align) // the data section; a file of no tensors has none
	}
	for i, t := range tensors {
		if e.err != nil {
			break
		}
		b, err := t.Data()
		if err == nil && int64(len(b)) != infos[i].Size {
			err = fmt.Errorf("%d bytes of data, want %d for %v %v", len(b), infos[i].Size, t.Type, t.Dims)
		}
		if err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		e.write(b)
		e.pad(align)
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return e.err
}

// layOut checks the tensors and places them in the data section, one after
// the other at the alignment.
func layOut(tensors []Tensor, align int64) ([]TensorInfo, error) {
	if _, err := index(len(tensors), func(i int) string { return tensors[i].Name }, "tensor"); err != nil {
		return nil, err
	}
	infos := make([]TensorInfo, len(tensors))
	var off int64
	for i, t := range tensors {
		if t.Data == nil {
			return nil, fmt.Errorf("tensor %q: no Data function", t.Name)
		}
		if len(t.Name) > maxNameLen {
			return nil, fmt.Errorf("tensor %q: name: %d bytes, ggml reads at most %d", t.Name, len(t.Name), maxNameLen)
		}
		size, err := tensorSize(t.Type, t.Dims)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if size > math.MaxInt64-align-off {
			return nil, fmt.Errorf("tensor %q: the data section outgrows int64", t.Name)
		}
		infos[i] = TensorInfo{Name: t.Name, Type: t.Type, Dims: t.Dims, Offset: off, Size: size}
		off = alignUp(off+size, align)
	}
	return infos, nil
}

// checkValue refuses a Value not made by ValueOf, ArrayOf or Parse (the
// zero Value).
func checkValue(v Value) error {
	c := &cursor[string]{b: v.raw}
	var err error
	switch v.typ {
	case TypeString:
		return nil
	case TypeArray:
		err = readElems(c, v.elem, v.n, 1)
	default:
		_, err = readValue(c, v.typ, 0)
	}
	if err == nil && c.left() != 0 {
		err = fmt.Errorf("%d bytes too many", c.left())
	}
	if err != nil {
		return fmt.Errorf("malformed %s value: %w", v.typ, err)
	}
	return nil
}

// encoder writes little-endian fields to w, counting the bytes and keeping
// the first error.
type encoder struct {
	w   *bufio.Writer
	n   int64
	err error
	buf [8]byte
}

func (e *encoder) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
		e.n += int64(len(b))
	}
}

func (e *encoder) u32(x uint32) { e.write(putLE(e.buf[:0], uint64(x), 4)) }
func (e *encoder) u64(x uint64) { e.write(putLE(e.buf[:0], x, 8)) }

func (e *encoder) writeString(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
		e.n += int64(len(s))
	}
}

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.writeString(s)
}

// value writes a value's type and its encoding.
func (e *encoder) value(v Value) {
	e.u32(uint32(v.typ))
	switch v.typ {
	case TypeString:
		e.str(v.raw)
		return
	case TypeArray:
		e.u32(uint32(v.elem))
		e.u64(uint64(v.n))
	}
	e.writeString(v.raw)
}

// pad writes zeros up to the next multiple of align.
func (e *encoder) pad(align int64) {
	var zeros [256]byte
	for n := alignUp(e.n, align) - e.n; n > 0 && e.err == nil; n -= min(n, int64(len(zeros))) {
		e.write(zeros[:min(n, int64(len(zeros)))])
	}
}
