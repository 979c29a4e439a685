package engine

import "github.com/gollm/gollm/model"

// minSaved is the shortest prefix the prompt cache keeps: shorter ones cost
// less to run again than to keep.
const minSaved = 64

// promptCache keeps copies of slots' caches that a new job was about to
// overwrite, within a memory budget, least recently used evicted first:
// with more documents in use than slots, a question about an older one
// still skips its prefill.
type promptCache struct {
	budget, used int64
	entries      []*cacheEntry // least recently used first
}

// cacheEntry is one saved prefix: the keys and values of tokens under a plan.
type cacheEntry struct {
	state   *model.State
	tokens  []int
	planKey string
}

func newPromptCache(budget int64) *promptCache { return &promptCache{budget: budget} }

// best returns the entry sharing the longest prefix with prompt under
// planKey, and that length (0 and nil when none does).
func (c *promptCache) best(prompt []int, planKey string) (*cacheEntry, int) {
	var best *cacheEntry
	n := 0
	for _, e := range c.entries {
		if e.planKey != planKey {
			continue
		}
		if k := commonPrefix(e.tokens, prompt); k > n {
			best, n = e, k
		}
	}
	return best, n
}

// touch marks e as just used.
func (c *promptCache) touch(e *cacheEntry) {
	for i, x := range c.entries {
		if x == e {
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
			return
		}
	}
}

// save copies what slot s holds, unless the part about to be kept (its
// first keep tokens) is most of it, it is short, it is already saved (as
// an entry it is a prefix of) or it does not fit the budget; entries it
// contains are dropped, then the least recently used until it fits.
func (c *promptCache) save(m *model.Model, s *slot, keep int) {
	n := len(s.tokens)
	if n < minSaved || n-keep < minSaved || c.budget == 0 {
		return
	}
	bytes := s.state.KVBytes() / int64(s.state.Cap()) * int64(n)
	if bytes > c.budget {
		return
	}
	for _, e := range c.entries {
		if e.planKey == s.planKey && commonPrefix(e.tokens, s.tokens) == n {
			c.touch(e) // already saved, as this or a longer prefix
			return
		}
	}
	kept := c.entries[:0]
	for _, e := range c.entries {
		if e.planKey == s.planKey && commonPrefix(e.tokens, s.tokens) == len(e.tokens) {
			c.used -= e.state.KVBytes() // a prefix of the new entry
			continue
		}
		kept = append(kept, e)
	}
	c.entries = kept
	for c.used+bytes > c.budget && len(c.entries) > 0 {
		c.used -= c.entries[0].state.KVBytes()
		c.entries = c.entries[1:]
	}
	st := m.NewStateOf(n, s.state.KVType())
	if err := st.CopyFrom(s.state, n); err != nil {
		panic(err) // made like the slot's
	}
	c.entries = append(c.entries, &cacheEntry{state: st, tokens: append([]int(nil), s.tokens...), planKey: s.planKey})
	c.used += st.KVBytes()
}
