package tokenizer

import "math"

// longPiece is the length past which bpeMerge uses a heap: its scan for the
// best pair makes the plain loop quadratic.
const longPiece = 256

// noRank marks a pair of parts whose joined bytes are no token.
const noRank = math.MaxInt

// bpePart is one part of a piece being merged: where it starts and the rank
// of it joined with the next part.
type bpePart struct{ start, rank int }

// bpeMerge appends the ranks of the tokens of piece, which is not itself
// a token, merged as tiktoken does: join the adjacent pair of parts whose
// joined bytes have the lowest rank, the leftmost on ties, until no joined
// pair is a token. Parts start as single bytes.
func bpeMerge(ranks *bpeRanks, dst []int, piece string) []int {
	if len(piece) > longPiece {
		return bpeMergeLong(ranks, dst, piece)
	}
	return bpeMergeScan(ranks, dst, piece)
}

// bpeMergeScan is bpeMerge for short pieces: it scans all pairs for the
// best one at each step.
func bpeMergeScan(ranks *bpeRanks, dst []int, piece string) []int {
	var buf [48]bpePart
	parts := buf[:0]
	for i := 0; i <= len(piece); i++ {
		parts = append(parts, bpePart{i, noRank})
	}
	for i := 0; i+2 < len(parts); i++ {
		parts[i].rank = pairRank(ranks, piece, parts, i, 0)
	}
	for len(parts) > 1 {
		best := 0
		for i := 1; i < len(parts)-1; i++ {
			if parts[i].rank < parts[best].rank {
				best = i
			}
		}
		if parts[best].rank == noRank {
			break
		}
		parts[best].rank = pairRank(ranks, piece, parts, best, 1)
		if best > 0 {
			parts[best-1].rank = pairRank(ranks, piece, parts, best-1, 1)
		}
		parts = append(parts[:best+1], parts[best+2:]...)
	}
	for i := 0; i+1 < len(parts); i++ {
		r, _ := ranks.rank(piece[parts[i].start:parts[i+1].start])
		dst = append(dst, r)
	}
	return dst
}

// pairRank is the rank of the bytes from part i to part i+skip+2 (the pair
// at i when skip is 0, the pair at i after parts i and i+1 join when skip
// is 1), or noRank.
func pairRank(ranks *bpeRanks, piece string, parts []bpePart, i, skip int) int {
	if i+skip+2 < len(parts) {
		if r, ok := ranks.rank(piece[parts[i].start:parts[i+skip+2].start]); ok {
			return r
		}
	}
	return noRank
}

// mergeCache remembers the ids of the pieces merged during one encode call:
// book-length text repeats its rarer words often.
type mergeCache struct {
	spans map[string][2]int // piece → its ids' span in ids
	ids   []int
}

func (c *mergeCache) get(piece string) ([]int, bool) {
	s, ok := c.spans[piece]
	return c.ids[s[0]:s[1]], ok
}

func (c *mergeCache) put(piece string, ids []int) {
	if c.spans == nil {
		c.spans = map[string][2]int{}
	}
	c.spans[piece] = [2]int{len(c.ids), len(c.ids) + len(ids)}
	c.ids = append(c.ids, ids...)
}
