package tokenizer

import (
	"fmt"
	"math"
	"math/bits"
)

// Sizes of bpeRanks' own hash tables.
const (
	shortMax = 16   // longest token they hold
	hotRanks = 8192 // ranks below this are also in the small hot table
)

// bpeRanks looks up the rank of token bytes. Single bytes are in an array;
// tokens of 2 to 16 bytes, most pieces of text, in open-addressing tables
// that hold the bytes inline: a small one of the lowest ranks (BPE's most
// frequent merges), which stays in the processor's cache, then one of all.
// Longer tokens are in the map.
type bpeRanks struct {
	m        map[string]int // token bytes → rank
	one      [256]int       // rank of each byte
	hot, all shortTable
}

// newBPERanks indexes m, which must hold every single byte.
func newBPERanks(m map[string]int) (*bpeRanks, error) {
	r := &bpeRanks{m: m}
	for c := range r.one {
		rank, ok := m[string([]byte{byte(c)})]
		if !ok {
			return nil, fmt.Errorf("no token for byte 0x%02x", c)
		}
		r.one[c] = rank
	}
	hot, all := 0, 0
	for tok, rank := range m {
		if rank > math.MaxInt32 {
			return nil, fmt.Errorf("rank %d is too large", rank)
		}
		if isShort(tok) {
			all++
			if rank < hotRanks {
				hot++
			}
		}
	}
	r.hot, r.all = newShortTable(hot), newShortTable(all)
	for tok, rank := range m {
		if isShort(tok) {
			r.all.put(tok, rank)
			if rank < hotRanks {
				r.hot.put(tok, rank)
			}
		}
	}
	return r, nil
}

func isShort(tok string) bool { return len(tok) >= 2 && len(tok) <= shortMax }

// rank returns the rank of s and whether s is a token.
func (r *bpeRanks) rank(s string) (int, bool) {
	if len(s) == 1 {
		return r.one[s[0]], true
	}
	if isShort(s) {
		lo, hi := packShort(s)
		if e := r.hot.find(lo, hi, len(s)); e.n != 0 {
			return int(e.rank), true
		}
		e := r.all.find(lo, hi, len(s))
		return int(e.rank), e.n != 0
	}
	k, ok := r.m[s]
	return k, ok
}

// shortTable is an open-addressing hash table (linear probing, at most
// half full) of tokens of 2 to 16 bytes.
type shortTable struct {
	slots []shortEntry // length a power of two
	shift uint         // 64 - log2(len(slots))
}

// shortEntry is one slot: the token's bytes packed little-endian in lo and
// hi, its length (0: empty slot) and rank.
type shortEntry struct {
	lo, hi uint64
	n      int32
	rank   int32
}

func newShortTable(count int) shortTable {
	size := 1 << bits.Len(uint(2*count))
	return shortTable{make([]shortEntry, size), uint(64 - bits.TrailingZeros(uint(size)))}
}

// packShort packs up to 16 bytes little-endian: the first 8 in lo.
func packShort(s string) (lo, hi uint64) {
	for i := 0; i < len(s) && i < 8; i++ {
		lo |= uint64(s[i]) << (8 * i)
	}
	for i := 8; i < len(s); i++ {
		hi |= uint64(s[i]) << (8 * (i - 8))
	}
	return lo, hi
}

// find returns the entry of the n bytes packed in lo, hi, or an empty one.
func (t *shortTable) find(lo, hi uint64, n int) *shortEntry {
	mask := len(t.slots) - 1
	i := int(((lo ^ bits.RotateLeft64(hi, 31) ^ uint64(n)<<59) * 0x9e3779b97f4a7c15) >> t.shift)
	for {
		e := &t.slots[i]
		if e.n == 0 || e.lo == lo && e.hi == hi && int(e.n) == n {
			return e
		}
		i = (i + 1) & mask
	}
}

func (t *shortTable) put(tok string, rank int) {
	lo, hi := packShort(tok)
	*t.find(lo, hi, len(tok)) = shortEntry{lo, hi, int32(len(tok)), int32(rank)}
}
