package model

import (
	"fmt"
	"math/rand/v2"
)

// FillRandom appends n positions of random keys and values (uniform in
// [−4, 4), from seed) to every layer of s's cache, as if n tokens had been
// prefilled: a synthetic long cache for decode speed runs without the
// prefill. Only the cache grows; no hidden states exist for them.
func (m *Model) FillRandom(s *State, n int, seed uint64) error {
	if n < 0 || s.n+n > s.Cap() {
		return fmt.Errorf("model: %d random positions do not fit the KV cache (%d cached, capacity %d)", n, s.n, s.Cap())
	}
	rng := rand.New(rand.NewPCG(seed, 0xf111))
	for _, c := range s.kv {
		c.AppendRandom(n, rng)
	}
	s.n += n
	return nil
}
