package model

import (
	"fmt"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/kernels"
)

// State is one sequence being processed: its KV cache (per layer,
// [kvHeads][capacity][headDim]) and the number of tokens already in it.
type State struct {
	k, v [][]float32
	n    int
	cap  int
}

// NewState allocates a KV cache for up to capacity tokens.
func (m *Model) NewState(capacity int) *State {
	s := &State{cap: capacity, k: make([][]float32, len(m.layers)), v: make([][]float32, len(m.layers))}
	for i := range m.layers {
		s.k[i] = make([]float32, m.kvHeads*capacity*m.headDim)
		s.v[i] = make([]float32, m.kvHeads*capacity*m.headDim)
	}
	return s
}

// Len is the number of tokens in the cache.
func (s *State) Len() int { return s.n }

// Cap is the number of tokens the cache can hold.
func (s *State) Cap() int { return s.cap }

// Reset empties the cache for a new sequence (the memory is kept).
func (s *State) Reset() { s.n = 0 }

// KVBytes is the memory held by the cache.
func (s *State) KVBytes() int64 {
	var b int64
	for i := range s.k {
		b += int64(len(s.k[i])+len(s.v[i])) * 4
	}
	return b
}

// Forward runs ids (positions s.Len() … s.Len()+len(ids)−1) through the
// model, appends their keys and values to the cache, and returns the final
// normalised hidden states [len(ids)×HiddenSize]. Turn them into logits
// with Logits. plan chooses each layer's attention kernel (nil: exact).
func (m *Model) Forward(s *State, ids []int, plan *attention.Plan) ([]float32, error) {
	n := len(ids)
	if n == 0 {
		return nil, fmt.Errorf("model: no tokens to run")
	}
	if s.n+n > s.cap {
		return nil, fmt.Errorf("model: %d tokens do not fit the KV cache (%d cached, capacity %d)", n, s.n, s.cap)
	}
	if m.posEmb != nil && s.n+n > m.posEmb.out {
		return nil, fmt.Errorf("model: position %d is beyond the %d learned positions", s.n+n-1, m.posEmb.out)
	}
	vocab := m.embed.out
	h := m.hidden
	x := make([]float32, n*h)
	row := make([]float32, h)
	for i, id := range ids {
		if id < 0 || id >= vocab {
			return nil, fmt.Errorf("model: token id %d out of range [0, %d)", id, vocab)
		}
		m.embed.row(x[i*h:(i+1)*h], id)
		if m.posEmb != nil {
			m.posEmb.row(row, s.n+i)
			kernels.Add(x[i*h:(i+1)*h], row)
		}
	}
	if m.rope != nil {
		m.rope.prepare(s.n + n - 1)
	}
	w := m.newWork(n)
	for li := range m.layers {
		var kern attention.Kernel = attention.Exact{}
		if plan != nil {
			kern = plan.Kernel(li)
		}
		m.layerForward(li, s, x, n, w, kern)
	}
	m.final.apply(x, x, n)
	s.n += n
	return x, nil
}

// Logits writes the output projection of rows hidden states into dst
// [rows×VocabSize].
func (m *Model) Logits(dst, hidden []float32, rows int) {
	m.head.apply(dst, hidden, rows)
}

// work holds the scratch buffers of one forward pass.
type work struct {
	xn, q, k, v, att, proj []float32
	qh, oh                 []float32 // head-major query and attention output
	ff1, ff2               []float32
}

func (m *Model) newWork(n int) *work {
	qd, kvd := m.heads*m.headDim, m.kvHeads*m.headDim
	inter := m.Config.Intermediate
	w := &work{
		xn: make([]float32, n*m.hidden), q: make([]float32, n*qd),
		k: make([]float32, n*kvd), v: make([]float32, n*kvd),
		att: make([]float32, n*qd), proj: make([]float32, n*m.hidden),
		qh: make([]float32, n*qd), oh: make([]float32, n*qd),
		ff1: make([]float32, n*inter),
	}
	if m.gated {
		w.ff2 = make([]float32, n*inter)
	}
	return w
}

func (m *Model) layerForward(li int, s *State, x []float32, n int, w *work, kern attention.Kernel) {
	l := &m.layers[li]
	l.attnNorm.apply(w.xn, x, n)
	m.attention(li, l, s, w, n, kern)
	l.o.apply(w.proj, w.att, n)
	if m.parallelBlock {
		m.mlp(l, w.xn, n, w)
		kernels.Add(x, w.proj)
		kernels.Add(x, w.xn) // mlp output was written over xn
		return
	}
	kernels.Add(x, w.proj)
	l.mlpNorm.apply(w.xn, x, n)
	m.mlp(l, w.xn, n, w)
	kernels.Add(x, w.xn)
}

// attention projects w.xn to q, k, v, applies norms and rotary embeddings,
// appends k and v to the cache and writes the attention output [n×heads·dim]
// into w.att.
func (m *Model) attention(li int, l *layer, s *State, w *work, n int, kern attention.Kernel) {
	hd, nh, nkv := m.headDim, m.heads, m.kvHeads
	l.q.apply(w.q, w.xn, n)
	l.k.apply(w.k, w.xn, n)
	l.v.apply(w.v, w.xn, n)
	if l.qNorm != nil {
		l.qNorm.apply(w.q, w.q, n*nh)
		l.kNorm.apply(w.k, w.k, n*nkv)
	}
	if m.rope != nil {
		m.rope.apply(w.q, n, nh, hd, s.n)
		m.rope.apply(w.k, n, nkv, hd, s.n)
	}
	// [n][heads][hd] → [heads][n][hd]; keys and values go into the cache.
	for i := 0; i < n; i++ {
		for hh := 0; hh < nh; hh++ {
			copy(w.qh[(hh*n+i)*hd:][:hd], w.q[(i*nh+hh)*hd:][:hd])
		}
		for hh := 0; hh < nkv; hh++ {
			dst := (hh*s.cap + s.n + i) * hd
			copy(s.k[li][dst:dst+hd], w.k[(i*nkv+hh)*hd:][:hd])
			copy(s.v[li][dst:dst+hd], w.v[(i*nkv+hh)*hd:][:hd])
		}
	}
	shape := attention.Shape{Heads: nh, KVHeads: nkv, NQ: n, NK: s.n + n, Dim: hd, KVStride: s.cap}
	kern.Attend(w.oh, nil, w.qh, s.k[li], s.v[li], shape, attention.Params{Scale: m.attentionScale(), Causal: true, Offset: s.n})
	for i := 0; i < n; i++ {
		for hh := 0; hh < nh; hh++ {
			copy(w.att[(i*nh+hh)*hd:][:hd], w.oh[(hh*n+i)*hd:][:hd])
		}
	}
}

// mlp computes the feed-forward block of the normed input xn and writes
// the result back into xn.
func (m *Model) mlp(l *layer, xn []float32, n int, w *work) {
	inter := m.Config.Intermediate
	if m.gated {
		l.gate.apply(w.ff1[:n*inter], xn, n)
		l.up.apply(w.ff2[:n*inter], xn, n)
		kernels.SiLUMul(w.ff1[:n*inter], w.ff2[:n*inter])
		l.down.apply(xn, w.ff1[:n*inter], n)
		return
	}
	l.fc1.apply(w.ff1[:n*inter], xn, n)
	m.act(w.ff1[:n*inter])
	l.fc2.apply(xn, w.ff1[:n*inter], n)
}
