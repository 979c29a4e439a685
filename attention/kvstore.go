package attention

import (
	"sync/atomic"
	"unsafe"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/weights"
)

// kvStore is the storage of a KVCache in one element type: keys and values
// as flat arrays of elements, element e of row j of head h at index
// (h·stride + j)·d + e. It is everything the kernels read from a cache, so a
// new storage type (int8 KV, say) is one implementation of it plus one row
// of kvStorages. Only the f32 store is read by the float32 kernels directly
// (KVCache.Attend); every other store is read through these methods.
type kvStore interface {
	// put stores the float32 rows k and v (len(k) == len(v) elements) from
	// element at, rounding them to the storage type.
	put(k, v []float32, at int)
	// scores writes the scores of the m query rows q against the n =
	// len(dst)/m keys from element base: dst[r·n + j] = q_r · k_j.
	scores(dst, q []float32, m, base int)
	// weightedSum adds Σ_j p[j]·v_j over the len(p) value rows from
	// element base into out (d = len(out) wide).
	weightedSum(out, p []float32, base int)
	// readRows widens the keys (and the values, when v is not nil) of rows
	// [lo, hi) of the head starting at element base (rows d wide) into k
	// and v.
	readRows(k, v []float32, base, d, lo, hi int)
	// touchRows touches the keys and values of rows pos (see touch).
	touchRows(base, d int, pos []int32)
	// from is the store seen from element off on.
	from(off int) kvStore
	// copyFrom copies n stored elements of src (the same storage type)
	// from element from to element at, as they are.
	copyFrom(src kvStore, at, from, n int)
	// elemBytes is the bytes of one stored element (what decoding's chunks
	// are sized by).
	elemBytes() int
}

// kvStorage is a storage type of KVCache: the DType naming it, its
// --kv-type name, and a constructor of a store of n key and n value
// elements.
type kvStorage struct {
	dtype weights.DType
	name  string
	make  func(n int) kvStore
}

// kvStorages lists the storage types.
var kvStorages = []kvStorage{
	{weights.F32, "f32", func(n int) kvStore { return kvF32{make([]float32, n), make([]float32, n)} }},
	{weights.F16, "f16", func(n int) kvStore { return kv16{make([]uint16, n), make([]uint16, n), false} }},
	{weights.BF16, "bf16", func(n int) kvStore { return kv16{make([]uint16, n), make([]uint16, n), true} }},
}

// kvF32 stores float32 keys and values.
type kvF32 struct{ k, v []float32 }

func (c kvF32) put(k, v []float32, at int) {
	copy(c.k[at:at+len(k)], k)
	copy(c.v[at:at+len(v)], v)
}

func (c kvF32) scores(dst, q []float32, m, base int) {
	kernels.DotRows(dst, q, m, c.k[base:])
}

func (c kvF32) weightedSum(out, p []float32, base int) {
	kernels.WeightedSum(out, p, c.v[base:base+len(p)*len(out)])
}

func (c kvF32) readRows(k, v []float32, base, d, lo, hi int) {
	copy(k, c.k[base+lo*d:base+hi*d])
	if v != nil {
		copy(v, c.v[base+lo*d:base+hi*d])
	}
}

func (c kvF32) touchRows(base, d int, pos []int32) {
	touched.Add(uint32(touch(c.k, base, d, pos) + touch(c.v, base, d, pos)))
}

func (c kvF32) from(off int) kvStore { return kvF32{c.k[off:], c.v[off:]} }

func (c kvF32) copyFrom(src kvStore, at, from, n int) {
	s := src.(kvF32)
	copy(c.k[at:at+n], s.k[from:from+n])
	copy(c.v[at:at+n], s.v[from:from+n])
}

func (kvF32) elemBytes() int { return 4 }

// kv16 stores half-precision (bf16 false) or bfloat16 (bf16 true) bits.
type kv16 struct {
	k, v []uint16
	bf16 bool
}

func (c kv16) put(k, v []float32, at int) {
	narrow := kernels.F32ToF16
	if c.bf16 {
		narrow = kernels.F32ToBF16
	}
	narrow(c.k[at:at+len(k)], k)
	narrow(c.v[at:at+len(v)], v)
}

func (c kv16) scores(dst, q []float32, m, base int) {
	if c.bf16 {
		kernels.DotRowsBF16(dst, q, m, c.k[base:])
	} else {
		kernels.DotRowsF16(dst, q, m, c.k[base:])
	}
}

func (c kv16) weightedSum(out, p []float32, base int) {
	v := c.v[base : base+len(p)*len(out)]
	if c.bf16 {
		kernels.WeightedSumBF16(out, p, v)
	} else {
		kernels.WeightedSumF16(out, p, v)
	}
}

func (c kv16) readRows(k, v []float32, base, d, lo, hi int) {
	kernels.Widen(k[:(hi-lo)*d], c.k[base+lo*d:base+hi*d], c.bf16)
	if v != nil {
		kernels.Widen(v[:(hi-lo)*d], c.v[base+lo*d:base+hi*d], c.bf16)
	}
}

func (c kv16) touchRows(base, d int, pos []int32) {
	touched.Add(uint32(touch(c.k, base, d, pos) + touch(c.v, base, d, pos)))
}

func (c kv16) from(off int) kvStore { return kv16{c.k[off:], c.v[off:], c.bf16} }

func (c kv16) copyFrom(src kvStore, at, from, n int) {
	s := src.(kv16)
	copy(c.k[at:at+n], s.k[from:from+n])
	copy(c.v[at:at+n], s.v[from:from+n])
}

func (kv16) elemBytes() int { return 2 }

// touch reads an element of each 64-byte cache line of the rows pos of x
// (stride d from element base), every row before any is used, so that their
// cache misses overlap instead of stalling one row at a time. It returns a
// sum of what it read, only to keep the reads.
func touch[T uint16 | float32](x []T, base, d int, pos []int32) T {
	var s T
	step := 64 / int(unsafe.Sizeof(s))
	for _, j := range pos {
		row := x[base+int(j)*d:][:d]
		for c := 0; c < d; c += step {
			s += row[c]
		}
		s += row[d-1] // a row need not start on a line
	}
	return s
}

// touched keeps touch's sums alive.
var touched atomic.Uint32
