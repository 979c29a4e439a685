package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/weights"
)

// FillRandom appends n positions of random keys and values (uniform in
// [−4, 4), from seed) to every layer of s's cache, as if n tokens had been
// prefilled: a synthetic long cache for decode speed runs without the
// prefill. Only the cache grows; no hidden states exist for them.
func (m *Model) FillRandom(s *State, n int, seed uint64) error {
	if n < 0 || s.n+n > s.cap {
		return fmt.Errorf("model: %d random positions do not fit the KV cache (%d cached, capacity %d)", n, s.n, s.cap)
	}
	rng := rand.New(rand.NewPCG(seed, 0xf111))
	rows := make([]float32, n*m.headDim)
	put := func(f []float32, b []uint16, at int) {
		for i := 0; i < len(rows); i += 4 {
			r := rng.Uint64()
			for j := i; j < min(i+4, len(rows)); j++ {
				rows[j] = float32(int16(r)) / 8192
				r >>= 16
			}
		}
		switch s.kv {
		case weights.F32:
			copy(f[at:], rows)
		case weights.F16:
			kernels.F32ToF16(b[at:], rows)
		default:
			kernels.F32ToBF16(b[at:], rows)
		}
	}
	for li := range m.layers {
		var kf, vf []float32
		var k16, v16 []uint16
		if s.kv == weights.F32 {
			kf, vf = s.k[li], s.v[li]
		} else {
			k16, v16 = s.k16[li], s.v16[li]
		}
		for h := 0; h < m.kvHeads; h++ {
			at := (h*s.cap + s.n) * m.headDim
			put(kf, k16, at)
			put(vf, v16, at)
		}
	}
	s.n += n
	return nil
}
