package attention

import (
	"math/rand/v2"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
)

// BucketOrder is the order in which sortLSH lays out hash buckets.
type BucketOrder int

const (
	// OrderGray sorts by the released code's key gray(b) = b XOR (b>>1).
	// Neighbouring keys are not always buckets one bit apart; this is the
	// faithful default.
	OrderGray BucketOrder = iota
	// OrderInverseGray sorts by b's position in the Gray sequence, so
	// neighbouring buckets differ in exactly one bit (the paper's intent).
	OrderInverseGray
)

// String returns "gray" or "inverse-gray".
func (o BucketOrder) String() string {
	if o == OrderInverseGray {
		return "inverse-gray"
	}
	return "gray"
}

// sortKey maps a bucket b (bit i set when the row has a positive component
// along direction i) to its sort position.
func (o BucketOrder) sortKey(b uint32) uint32 {
	if o == OrderInverseGray {
		// Inverse Gray code: prefix XOR of the bits from the top down.
		for s := uint32(1); s < 32; s <<= 1 {
			b ^= b >> s
		}
		return b
	}
	return b ^ (b >> 1)
}

// lsh holds one layer's random directions, padded for the gemm micro-kernel.
type lsh struct {
	projs int
	dim   int
	pt    []float32 // [dim][lshCols], columns ≥ projs are zero
	order BucketOrder
}

// lshCols is the projection matrix's padded width (the micro-kernel's 16).
const lshCols = 16

// newLSH draws projs Gaussian directions in dim dimensions from a generator
// seeded by (seed, layer), so a layer's hash does not depend on history.
func newLSH(projs, dim int, order BucketOrder, seed uint64, layer int) *lsh {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^uint64(layer)))
	l := &lsh{projs: projs, dim: dim, pt: make([]float32, dim*lshCols), order: order}
	for i := 0; i < projs; i++ {
		for c := 0; c < dim; c++ {
			l.pt[c*lshCols+i] = float32(rng.NormFloat64())
		}
	}
	return l
}

// sortRows hashes the n rows of x (stride dim) and returns the stable
// permutation that sorts them by bucket key: perm[i] is the row at sorted
// position i.
func (l *lsh) sortRows(x []float32, n int) []int32 {
	keys := make([]uint32, n)
	const chunk = 256
	parallel.For(n, chunk, func(lo, hi int) {
		proj := make([]float32, chunk*lshCols)
		for r0 := lo; r0 < hi; r0 += chunk {
			rows := min(chunk, hi-r0)
			p := proj[:rows*lshCols]
			clear(p)
			kernels.TileMulAdd(p, lshCols, x[r0*l.dim:], l.dim, l.pt, lshCols, rows, l.dim, lshCols)
			for i := 0; i < rows; i++ {
				keys[r0+i] = l.key(p[i*lshCols:])
			}
		}
	})
	return countingSort(keys, 1<<l.projs)
}

// key is the sort key of a row from its projections p (the first projs
// are read): bit i of the bucket is set when p[i] > 0.
func (l *lsh) key(p []float32) uint32 {
	var b uint32
	for j, v := range p[:l.projs] {
		if v > 0 {
			b |= 1 << j
		}
	}
	return l.order.sortKey(b)
}

// countingSort returns the stable permutation sorting keys (all < nKeys).
func countingSort(keys []uint32, nKeys int) []int32 {
	start := make([]int32, nKeys+1)
	for _, k := range keys {
		start[k+1]++
	}
	for i := 1; i <= nKeys; i++ {
		start[i] += start[i-1]
	}
	perm := make([]int32, len(keys))
	for i, k := range keys {
		perm[start[k]] = int32(i)
		start[k]++
	}
	return perm
}

// gatherRows copies the rows perm[i] of x (stride dim) into row i of dst.
func gatherRows(dst, x []float32, perm []int32, dim int) {
	for i, r := range perm {
		copy(dst[i*dim:][:dim], x[int(r)*dim:][:dim])
	}
}
