package attention

import (
	"sync/atomic"

	"github.com/gollm/gollm/internal/parallel"
)

// Flash is tiled attention with an online softmax (the FlashAttention
// algorithm on the CPU): query tiles walk the keys block by block keeping a
// running max and sum, so no score matrix larger than one tile exists.
// Query tiles of all heads run in parallel. When there are too few of them
// to occupy the threads (decoding: one query against a long cache), the keys
// are also split into ranges whose partial results are merged by LSE.
//
// Flash is the default kernel. It is stateless and safe for concurrent use.
type Flash struct{}

// Name returns "flash".
func (Flash) Name() string { return "flash" }

// minSplitKeys is the fewest keys a split-KV range gets.
const minSplitKeys = 512

// Attend computes attention; see Kernel and Shape for the layouts.
func (Flash) Attend(out, lse, q, k, v []float32, s Shape, p Params) {
	if s.NQ == 0 || s.Heads == 0 {
		return
	}
	if s.Heads/s.KVHeads*s.NQ <= decodeRows {
		attendDecode(out, lse, q, k, v, s, p)
		return
	}
	qTiles := (s.NQ + tileQ - 1) / tileQ
	units := s.Heads * qTiles
	split := 1
	if want := 4 * parallel.Threads(); units < want {
		split = max(1, min((want+units-1)/units, s.NK/minSplitKeys))
	}
	if split == 1 {
		parallel.For(units, 1, func(lo, hi int) {
			t := getTile(s.Dim)
			defer putTile(t)
			for u := lo; u < hi; u++ {
				h, r0 := u/qTiles, (u%qTiles)*tileQ
				flashUnit(t, out, lse, q, k, v, s, p, h, r0, 0, s.NK)
			}
		})
		return
	}
	flashSplit(out, lse, q, k, v, s, p, qTiles, split)
}

// flashSplits counts the calls of flashSplit (its tests check they reach it).
var flashSplits atomic.Int64

// flashSplit runs each query tile against split key ranges in parallel and
// merges the partial results by LSE.
func flashSplit(out, lse, q, k, v []float32, s Shape, p Params, qTiles, split int) {
	flashSplits.Add(1)
	rows := s.Heads * s.NQ
	chunk := (s.NK + split - 1) / split
	chunk = (chunk + tileK - 1) / tileK * tileK
	split = (s.NK + chunk - 1) / chunk
	pOut := make([]float32, split*rows*s.Dim)
	pLSE := make([]float32, split*rows)
	units := s.Heads * qTiles
	parallel.For(units*split, 1, func(lo, hi int) {
		t := getTile(s.Dim)
		defer putTile(t)
		for w := lo; w < hi; w++ {
			u, c := w/split, w%split
			h, r0 := u/qTiles, (u%qTiles)*tileQ
			flashUnit(t, pOut[c*rows*s.Dim:], pLSE[c*rows:], q, k, v, s, p, h, r0, c*chunk, min(s.NK, (c+1)*chunk))
		}
	})
	for c := 1; c < split; c++ {
		MergeLSE(pOut, pLSE, pOut[c*rows*s.Dim:], pLSE[c*rows:], rows, s.Dim)
	}
	copy(out, pOut[:rows*s.Dim])
	if lse != nil {
		copy(lse, pLSE[:rows])
	}
}

// flashUnit attends the query tile of head h starting at row r0 to keys
// [klo, khi) of its KV head, writing out and lse (both laid out as the
// whole call's result; lse may be nil).
func flashUnit(t *tile, out, lse, q, k, v []float32, s Shape, p Params, h, r0, klo, khi int) {
	d := s.Dim
	rows := min(tileQ, s.NQ-r0)
	kv := (h / (s.Heads / s.KVHeads)) * s.kvStride() * d
	end0 := noCausal
	if p.Causal {
		end0 = p.Offset + r0 + 1
	}
	row := h*s.NQ + r0
	t.start(q[row*d:], rows, p.Scale)
	t.update(k[kv:], v[kv:], klo, khi, end0)
	var l []float32
	if lse != nil {
		l = lse[row:]
	}
	t.finish(out[row*d:], l)
}
