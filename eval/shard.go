package eval

import (
	"cmp"
	"container/heap"
	"slices"
)

// Shards splits the units of an evaluation — its spans, each run under
// every setting — among n ≥ 1 shards, balanced by the tokens they run: the
// longest span first (ties: the lower index), each onto the shard with the
// fewest tokens so far (ties: the lower shard). Each shard's units are
// ascending. The split depends only on the spans' lengths and n, so every
// shard of a run computes the same one; shards are left without units
// when there are fewer spans than shards.
func Shards(spans []Span, n int) [][]int {
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(spans[b].Len(), spans[a].Len()) })
	loads := make(shardLoads, n)
	for i := range loads {
		loads[i].shard = i
	}
	owner := make([]int, len(spans))
	for _, u := range order {
		owner[u] = loads[0].shard
		loads[0].tokens += spans[u].Len()
		heap.Fix(&loads, 0)
	}
	out := make([][]int, n)
	for u, s := range owner {
		out[s] = append(out[s], u)
	}
	return out
}

// shardLoad is the tokens a shard has been given so far.
type shardLoad struct{ shard, tokens int }

// shardLoads is a min-heap of shards by tokens, then by shard index. (A
// slice of distinct shards in index order with equal loads is already a
// heap, so it needs no heap.Init.)
type shardLoads []shardLoad

func (h shardLoads) Len() int { return len(h) }
func (h shardLoads) Less(i, j int) bool {
	if h[i].tokens != h[j].tokens {
		return h[i].tokens < h[j].tokens
	}
	return h[i].shard < h[j].shard
}
func (h shardLoads) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *shardLoads) Push(x any)   { *h = append(*h, x.(shardLoad)) }
func (h *shardLoads) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
