package attention

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gollm/gollm/weights"
)

// KVCache is one layer's cache of keys and values: for each of its KV heads
// up to Cap positions of Dim-wide rows, laid out [KVHeads][Cap][Dim] (the
// k and v of Shape with KVStride = Cap) and stored in one storage type —
// F32, or F16/BF16, which halve the memory and the bytes each decoding step
// reads; rows are rounded once, when appended.
//
// Every kernel reads the cache through Attend (and HyperDecoder.Attend): an
// F32 cache is handed to the kernel as is; any other storage type is read
// directly by the decoding path when few query rows decode against it,
// whatever the kernel, and widened to float32 one layer at a time (into a
// KVScratch) for the kernel otherwise.
//
// A storage type is one implementation of the internal kvStore interface
// (put, scores, weightedSum, readRows, touchRows, from, elemBytes: rounding
// rows in, and every read a kernel makes) and one row of kvStorages (its
// DType, its --kv-type name and its constructor). Beyond a DType in weights,
// should it need a new one, nothing outside this package changes.
type KVCache struct {
	store           kvStore
	dtype           weights.DType
	heads, dim, cap int
	n               int // positions appended
}

// NewKVCache allocates a cache of kvHeads heads of dimension dim for up to
// capacity positions, stored as dtype (F32, F16 or BF16; see ParseKVType).
func NewKVCache(dtype weights.DType, kvHeads, dim, capacity int) *KVCache {
	return &KVCache{store: storage(dtype).make(kvHeads * capacity * dim), dtype: dtype,
		heads: kvHeads, dim: dim, cap: capacity}
}

// storage returns the kvStorages row of dtype.
func storage(dtype weights.DType) *kvStorage {
	for i := range kvStorages {
		if kvStorages[i].dtype == dtype {
			return &kvStorages[i]
		}
	}
	panic(fmt.Sprintf("attention: no KV cache storage of type %s", dtype))
}

// AutoF16Positions is the number of cached positions beyond which
// ParseKVType's "auto" stores F16 (see docs/benchmarks.md for the
// perplexity parity).
const AutoF16Positions = 8192

// ParseKVType resolves a --kv-type name for a cache of n positions: the
// name of a storage type (f32, f16, bf16), or auto (F16 beyond 8192
// positions, F32 otherwise).
func ParseKVType(name string, n int) (weights.DType, error) {
	if name == "auto" {
		if n > AutoF16Positions {
			return weights.F16, nil
		}
		return weights.F32, nil
	}
	names := []string{"auto"}
	for _, s := range kvStorages {
		if s.name == name {
			return s.dtype, nil
		}
		names = append(names, s.name)
	}
	last := len(names) - 1
	return 0, fmt.Errorf("--kv-type must be %s or %s, got %q", strings.Join(names[:last], ", "), names[last], name)
}

// KVCacheBytes is the memory of a KVCache of these dimensions.
func KVCacheBytes(dtype weights.DType, kvHeads, dim, capacity int) int64 {
	return 2 * int64(kvHeads*dim) * int64(capacity) * int64(storage(dtype).make(0).elemBytes())
}

// KVScratchBytes is the memory of the KVScratch that attending a full
// KVCache of these dimensions with a prefill kernel takes (0 for F32).
func KVScratchBytes(dtype weights.DType, kvHeads, dim, capacity int) int64 {
	if dtype == weights.F32 {
		return 0
	}
	return 2 * int64(kvHeads*dim) * int64(capacity) * 4
}

// DType is the storage type.
func (c *KVCache) DType() weights.DType { return c.dtype }

// Len is the number of positions appended.
func (c *KVCache) Len() int { return c.n }

// Cap is the number of positions the cache can hold.
func (c *KVCache) Cap() int { return c.cap }

// Bytes is the memory of the keys and values.
func (c *KVCache) Bytes() int64 { return KVCacheBytes(c.dtype, c.heads, c.dim, c.cap) }

// Truncate drops the positions from n on (the memory is kept); Truncate(0)
// empties the cache.
func (c *KVCache) Truncate(n int) { c.n = min(c.n, max(n, 0)) }

// CopyFrom makes the cache hold the first n positions of src, which must
// have the same storage type, heads and dimension (its capacity may
// differ); the positions are copied as stored, not rounded again.
func (c *KVCache) CopyFrom(src *KVCache, n int) error {
	if src.dtype != c.dtype || src.heads != c.heads || src.dim != c.dim {
		return fmt.Errorf("attention: cannot copy a %s cache of %d×%d heads into a %s cache of %d×%d", src.dtype, src.heads, src.dim, c.dtype, c.heads, c.dim)
	}
	if n < 0 || n > src.n || n > c.cap {
		return fmt.Errorf("attention: cannot copy %d positions (source holds %d, capacity %d)", n, src.n, c.cap)
	}
	for h := range c.heads {
		c.store.copyFrom(src.store, h*c.cap*c.dim, h*src.cap*src.dim, n*c.dim)
	}
	c.n = n
	return nil
}

// Append stores the keys and values of len(k)/(KVHeads·Dim) new positions,
// k and v laid out [positions][KVHeads][Dim] (a projection's output rows).
// It panics when they do not fit.
func (c *KVCache) Append(k, v []float32) {
	d := c.dim
	rows := len(k) / (c.heads * d)
	c.fits(rows)
	for i := range rows {
		for h := range c.heads {
			src := (i*c.heads + h) * d
			c.store.put(k[src:src+d], v[src:src+d], (h*c.cap+c.n+i)*d)
		}
	}
	c.n += rows
}

// AppendRandom appends n positions of keys and values uniform in [−4, 4)
// (multiples of 1/8192) drawn from rng, head by head, keys before values: a
// synthetic cache for decoding speed runs. It panics when they do not fit.
func (c *KVCache) AppendRandom(n int, rng *rand.Rand) {
	c.fits(n)
	k, v := make([]float32, n*c.dim), make([]float32, n*c.dim)
	fill := func(x []float32) {
		for i := 0; i < len(x); i += 4 {
			r := rng.Uint64()
			for j := i; j < min(i+4, len(x)); j++ {
				x[j] = float32(int16(r)) / 8192
				r >>= 16
			}
		}
	}
	for h := range c.heads {
		fill(k)
		fill(v)
		c.store.put(k, v, (h*c.cap+c.n)*c.dim)
	}
	c.n += n
}

// fits panics unless n more positions fit.
func (c *KVCache) fits(n int) {
	if n < 0 || c.n+n > c.cap {
		panic(fmt.Sprintf("attention: %d positions do not fit the KV cache (%d cached, capacity %d)", n, c.n, c.cap))
	}
}

// shape is the Shape of heads query heads attending with the rows of q
// ([heads][NQ][Dim]) to the whole cache.
func (c *KVCache) shape(heads int, q []float32) Shape {
	return Shape{Heads: heads, KVHeads: c.heads, NQ: len(q) / (heads * c.dim), NK: c.n, Dim: c.dim, KVStride: c.cap}
}

// KVScratch is reusable scratch of KVCache.Attend: one narrow cache widened
// to float32 for a prefill kernel. One KVScratch serves every layer of a
// forward pass, the layers attending one at a time.
type KVScratch struct{ k, v []float32 }

// Attend runs kern for the heads query heads q ([heads][NQ][Dim], NQ =
// len(q)/(heads·Dim)) against the whole cache into out ([heads][NQ][Dim])
// and lse ([heads][NQ], or nil); see KVCache for how each storage type is
// read. tmp holds the widened keys and values when a prefill kernel reads a
// cache that is not F32 (nil: fresh scratch).
func (c *KVCache) Attend(kern Kernel, out, lse, q []float32, heads int, p Params, tmp *KVScratch) {
	s := c.shape(heads, q)
	if f, ok := c.store.(kvF32); ok {
		kern.Attend(out, lse, q, f.k, f.v, s, p)
		return
	}
	if s.Heads/s.KVHeads*s.NQ <= decodeRows {
		decode(out, lse, q, c.store, s, p)
		return
	}
	if tmp == nil {
		tmp = new(KVScratch)
	}
	rows := s.NK * s.Dim
	k, v := grow(&tmp.k, s.KVHeads*rows), grow(&tmp.v, s.KVHeads*rows)
	for h := range s.KVHeads {
		c.store.readRows(k[h*rows:], v[h*rows:], h*c.cap*s.Dim, s.Dim, 0, s.NK)
	}
	s.KVStride = s.NK
	kern.Attend(out, lse, q, k, v, s, p)
}
