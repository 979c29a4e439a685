package tokenizer

import "container/heap"

// bpeMergeLong is bpeMerge for long pieces, in O(n log n): parts are a
// linked list by start byte, and candidate pairs wait in a heap ordered by
// rank then start (so the leftmost of equal ranks comes first, as in
// bpeMerge's scan). An entry is stale once its pair no longer spans the
// bytes it did.
func bpeMergeLong(ranks *bpeRanks, dst []int, piece string) []int {
	n := len(piece)
	next, prev := make([]int, n+1), make([]int, n+1)
	alive := make([]bool, n+1)
	for i := range next {
		next[i], prev[i], alive[i] = i+1, i-1, true
	}
	h := &pairHeap{}
	// push queues part s joined with the part after it, if that is a token.
	push := func(s int) {
		if s < 0 || next[s] >= n {
			return
		}
		end := next[next[s]]
		if r, ok := ranks.rank(piece[s:end]); ok {
			heap.Push(h, pairEntry{r, s, end})
		}
	}
	for s := 0; s < n; s++ {
		push(s)
	}
	for h.Len() > 0 {
		e := heap.Pop(h).(pairEntry)
		s := e.start
		if !alive[s] || next[s] >= n || next[next[s]] != e.end {
			continue
		}
		t := next[s]
		alive[t] = false
		next[s] = next[t]
		prev[next[t]] = s
		push(s)
		push(prev[s])
	}
	for s := 0; s < n; s = next[s] {
		r, _ := ranks.rank(piece[s:next[s]])
		dst = append(dst, r)
	}
	return dst
}

// pairEntry is a queued pair: its rank and the bytes it spans.
type pairEntry struct{ rank, start, end int }

// pairHeap is a min-heap of pairs by rank, then start.
type pairHeap []pairEntry

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	return h[i].rank < h[j].rank || h[i].rank == h[j].rank && h[i].start < h[j].start
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairEntry)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
