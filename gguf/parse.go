package gguf

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"

	"github.com/gollm/gollm/quant"
)

// Format constants.
const (
	magic            = "GGUF"
	writeVersion     = 3  // the version Write writes; 2 reads the same
	defaultAlignment = 32 // when general.alignment is absent
	alignmentKey     = "general.alignment"
	// The fewest bytes a key-value pair and a tensor info take (empty
	// names, a one-byte value, one dimension): counts are checked
	// against them before anything is read.
	minKV         = 8 + 4 + 1
	minTensorInfo = 8 + 4 + 8 + 4 + 8
)

// Parse reads and checks the GGUF file data; name (a path) is used in
// errors. Tensor bytes are slices of data, which must stay unchanged while
// the File is used; the metadata is copied.
func Parse(data []byte, name string) (*File, error) {
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("gguf: %s: %w", name, err)
	}
	f.Name = name
	return f, nil
}

// rawTensor is a tensor-info record as read, before it is checked.
type rawTensor struct {
	name   span
	dims   [maxDims]uint64
	nDims  int
	typ    quant.Type
	offset uint64
}

func parse(data []byte) (*File, error) {
	c := &cursor[[]byte]{b: data}
	ver, nTensors, nKV, err := readHeader(c)
	if err != nil {
		return nil, err
	}
	kvs := make([][2]span, 0, min(nKV, 1<<12)) // key, value; grows as read
	for i := range nKV {
		key, val, err := readKV(c, i)
		if err != nil {
			return nil, err
		}
		kvs = append(kvs, [2]span{key, val})
	}
	raws := make([]rawTensor, 0, min(nTensors, 1<<12))
	for i := range nTensors {
		r, err := readTensorInfo(c, i)
		if err != nil {
			return nil, err
		}
		raws = append(raws, r)
	}
	// The metadata is copied once, and every key, name and value is a
	// substring of the copy: no allocation per vocabulary entry.
	head := string(data[:c.pos])
	f := &File{Version: ver, data: data, KV: make([]KV, len(kvs))}
	for i, kv := range kvs {
		f.KV[i] = KV{Key: head[kv[0].lo:kv[0].hi], Value: kv[1].value(head)}
	}
	if f.keys, err = index(len(f.KV), func(i int) string { return f.KV[i].Key }, "key"); err != nil {
		return nil, err
	}
	if f.Alignment, err = alignment(f.KV, f.keys); err != nil {
		return nil, err
	}
	f.DataOffset = int64(c.pos)
	if len(raws) > 0 {
		f.DataOffset = alignUp(f.DataOffset, f.Alignment)
		if f.DataOffset > int64(len(data)) {
			return nil, fmt.Errorf("truncated: the data section starts at offset %d, past the end of the %d bytes", f.DataOffset, len(data))
		}
	}
	if err := f.setTensors(raws, head); err != nil {
		return nil, err
	}
	return f, nil
}

// readHeader reads the magic, the version and the two counts, each count
// checked against the bytes left.
func readHeader(c *cursor[[]byte]) (ver uint32, nTensors, nKV int, err error) {
	if _, err = c.take(uint64(len(magic))); err != nil {
		return 0, 0, 0, fmt.Errorf("magic: %w", err)
	}
	if m := c.b[:len(magic)]; string(m) != magic {
		return 0, 0, 0, fmt.Errorf("magic %q: not a GGUF file (want %q)", m, magic)
	}
	if ver, err = c.u32(); err != nil {
		return 0, 0, 0, fmt.Errorf("version: %w", err)
	}
	if err = checkVersion(ver); err != nil {
		return 0, 0, 0, err
	}
	if nTensors, err = readCount(c, "tensor count", minTensorInfo); err != nil {
		return 0, 0, 0, err
	}
	nKV, err = readCount(c, "key-value count", minKV)
	return ver, nTensors, nKV, err
}

// checkVersion accepts versions 2 and 3, which are read alike.
func checkVersion(v uint32) error {
	switch swapped := bits.ReverseBytes32(v); {
	case v == 2 || v == writeVersion:
		return nil
	case v == 1:
		return fmt.Errorf("version 1: GGUF v1 (32-bit lengths) is not supported; convert the model again with a current llama.cpp")
	case swapped == 2 || swapped == writeVersion:
		return fmt.Errorf("version %d: this is version %d written big-endian, which gollm does not read", v, swapped)
	}
	return fmt.Errorf("version %d: gollm reads GGUF versions 2 and 3", v)
}

// readCount reads a u64 count of records each taking at least size bytes.
func readCount(c *cursor[[]byte], what string, size int) (int, error) {
	n, err := c.u64()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if n > uint64(c.left()/size) {
		return 0, fmt.Errorf("%s %d: more than the %d bytes left can hold", what, n, c.left())
	}
	return int(n), nil
}

// readKV reads the i-th key-value pair.
func readKV(c *cursor[[]byte], i int) (key, val span, err error) {
	key.lo, key.hi, err = c.str()
	if err != nil {
		return key, val, fmt.Errorf("key %d: name: %w", i, err)
	}
	name := c.b[key.lo:key.hi]
	t, err := c.u32()
	if err != nil {
		return key, val, fmt.Errorf("key %q: value type: %w", name, err)
	}
	if val, err = readValue(c, ValueType(t), 0); err != nil {
		return key, val, fmt.Errorf("key %q: value: %w", name, err)
	}
	return key, val, nil
}

// readTensorInfo reads the i-th tensor-info record (its fields are checked
// once the alignment is known).
func readTensorInfo(c *cursor[[]byte], i int) (rawTensor, error) {
	var r rawTensor
	var err error
	if r.name.lo, r.name.hi, err = c.str(); err != nil {
		return r, fmt.Errorf("tensor %d: name: %w", i, err)
	}
	name := c.b[r.name.lo:r.name.hi]
	n, err := c.u32()
	if err == nil {
		err = checkNDims(uint64(n))
	}
	for d := 0; err == nil && d < int(n); d++ {
		r.dims[d], err = c.u64()
	}
	if err != nil {
		return r, fmt.Errorf("tensor %q: n_dims: %w", name, err)
	}
	r.nDims = int(n)
	t, err := c.u32()
	if err != nil {
		return r, fmt.Errorf("tensor %q: type: %w", name, err)
	}
	r.typ = quant.Type(t)
	if r.offset, err = c.u64(); err != nil {
		return r, fmt.Errorf("tensor %q: offset: %w", name, err)
	}
	return r, nil
}

// checkNDims refuses a tensor of no dimensions or more than ggml's four.
func checkNDims(n uint64) error {
	if n == 0 || n > maxDims {
		return fmt.Errorf("%d dimensions, want 1 to %d", n, maxDims)
	}
	return nil
}

// setTensors checks the tensor infos against the data section and each
// other and sets f.Tensors.
func (f *File) setTensors(raws []rawTensor, head string) error {
	total := 0
	for _, r := range raws {
		total += r.nDims
	}
	dims := make([]uint64, 0, total) // one backing array for every tensor's dims
	dataLen := uint64(int64(len(f.data)) - f.DataOffset)
	f.Tensors = make([]TensorInfo, len(raws))
	for i, r := range raws {
		ti := &f.Tensors[i]
		ti.Name, ti.Type = head[r.name.lo:r.name.hi], r.typ
		dims = append(dims, r.dims[:r.nDims]...)
		ti.Dims = dims[len(dims)-r.nDims : len(dims) : len(dims)]
		size, err := tensorSize(r.typ, ti.Dims)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", ti.Name, err)
		}
		if r.offset%uint64(f.Alignment) != 0 {
			return fmt.Errorf("tensor %q: offset %d is not a multiple of the alignment %d", ti.Name, r.offset, f.Alignment)
		}
		if r.offset > dataLen || uint64(size) > dataLen-r.offset {
			return fmt.Errorf("tensor %q: offset %d: %d bytes of data run past the end of the data section (%d bytes)", ti.Name, r.offset, size, dataLen)
		}
		ti.Offset, ti.Size = int64(r.offset), size
	}
	var err error
	if f.tensors, err = index(len(f.Tensors), func(i int) string { return f.Tensors[i].Name }, "tensor"); err != nil {
		return err
	}
	return checkOverlap(f.Tensors)
}

// checkOverlap refuses tensors whose bytes overlap.
func checkOverlap(ts []TensorInfo) error {
	byOffset := make([]*TensorInfo, 0, len(ts))
	for i := range ts {
		if ts[i].Size > 0 {
			byOffset = append(byOffset, &ts[i])
		}
	}
	slices.SortFunc(byOffset, func(a, b *TensorInfo) int { return cmp.Compare(a.Offset, b.Offset) })
	for i := 1; i < len(byOffset); i++ {
		p, t := byOffset[i-1], byOffset[i]
		if t.Offset < p.Offset+p.Size {
			return fmt.Errorf("tensor %q: offset %d: its data [%d, %d) overlaps tensor %q's [%d, %d)",
				t.Name, t.Offset, t.Offset, t.Offset+t.Size, p.Name, p.Offset, p.Offset+p.Size)
		}
	}
	return nil
}

// index maps n names to their positions, refusing empty and repeated
// names; what says what they name ("key", "tensor").
func index(n int, name func(int) string, what string) (map[string]int, error) {
	m := make(map[string]int, n)
	for i := range n {
		s := name(i)
		if s == "" {
			return nil, fmt.Errorf("%s %d: empty name", what, i)
		}
		if j, dup := m[s]; dup {
			return nil, fmt.Errorf("%s %q: duplicate name (entries %d and %d)", what, s, j, i)
		}
		m[s] = i
	}
	return m, nil
}

// alignment is the data alignment the metadata sets (general.alignment, a
// uint32 power of two), or the default.
func alignment(kvs []KV, keys map[string]int) (int64, error) {
	i, ok := keys[alignmentKey]
	if !ok {
		return defaultAlignment, nil
	}
	v := kvs[i].Value
	if v.typ != TypeUint32 {
		return 0, fmt.Errorf("key %q: want uint32, found %s", alignmentKey, v.describe())
	}
	a := le32(v.raw)
	if a == 0 || a&(a-1) != 0 {
		return 0, fmt.Errorf("key %q: alignment %d is not a power of two", alignmentKey, a)
	}
	return int64(a), nil
}
