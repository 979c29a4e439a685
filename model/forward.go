package model

import (
	"context"
	"fmt"
	"time"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/weights"
)

// State is one sequence being processed: its KV cache (one
// attention.KVCache per layer) and the number of tokens already in it.
type State struct {
	kv    []*attention.KVCache // per layer
	n     int
	hyper []hyperDecoder // per layer, under the plan's HyperDecode (hyperdecode.go)

	// OnLayer, when set, is called after each layer of a forward pass with
	// the layers done and the total (progress of a long prefill).
	OnLayer func(done, total int)
	// Ctx, when set, is checked between layers: a cancelled context stops
	// the forward pass with its error (the cache is left as before the pass).
	Ctx context.Context
	// OnAttention, when set, is told the time each layer's attention took
	// (the attention share of a forward pass).
	OnAttention func(time.Duration)
}

// StateBytes estimates the memory of a State of the given capacity and
// cache type plus the scratch of a forward pass over that many tokens.
func (m *Model) StateBytes(capacity int, kv weights.DType) int64 {
	cache := int64(len(m.layers)) * attention.KVCacheBytes(kv, m.kvHeads, m.headDim, capacity)
	c := int64(min(capacity, rowChunk))
	qd := int64(m.heads * m.headDim)
	scratch := 2*qd*int64(capacity) + int64(capacity)*int64(m.hidden) +
		c*(2*int64(m.hidden)+3*qd+2*int64(m.Config.Intermediate))
	return cache + 4*scratch + attention.KVScratchBytes(kv, m.kvHeads, m.headDim, capacity)
}

// NewState allocates a float32 KV cache for up to capacity tokens.
func (m *Model) NewState(capacity int) *State { return m.NewStateOf(capacity, weights.F32) }

// NewStateOf allocates a KV cache for up to capacity tokens stored as kv
// (F32, F16 or BF16; see attention.KVCache and attention.ParseKVType).
func (m *Model) NewStateOf(capacity int, kv weights.DType) *State {
	s := &State{}
	for range m.layers {
		s.kv = append(s.kv, attention.NewKVCache(kv, m.kvHeads, m.headDim, capacity))
	}
	return s
}

// Len is the number of tokens in the cache.
func (s *State) Len() int { return s.n }

// Cap is the number of tokens the cache can hold.
func (s *State) Cap() int { return s.kv[0].Cap() }

// Reset empties the cache for a new sequence (the memory is kept).
func (s *State) Reset() {
	s.truncate(0)
	s.hyper = nil
}

// truncate drops the cached positions from n on (what a pass appended
// before it stopped, when n is Len).
func (s *State) truncate(n int) {
	for _, c := range s.kv {
		c.Truncate(n)
	}
	s.n = n
}

// KVBytes is the memory held by the cache.
func (s *State) KVBytes() int64 {
	var b int64
	for _, c := range s.kv {
		b += c.Bytes()
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
	if s.n+n > s.Cap() {
		return nil, fmt.Errorf("model: %d tokens do not fit the KV cache (%d cached, capacity %d)", n, s.n, s.Cap())
	}
	if w := m.Config.SlidingWindow; w > 0 && s.n+n > w {
		return nil, fmt.Errorf("model: %d tokens exceed the sliding attention window of %d, which gollm does not implement (keep the context within %d tokens)", s.n+n, w, w)
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
	w := m.newWork(n)
	if m.rope != nil {
		w.rot = m.rope.prepare(s.n, n)
	}
	w.plan = plan
	for li := range m.layers {
		var kern attention.Kernel = attention.Exact{}
		if plan != nil {
			kern = plan.Kernel(li)
		}
		m.layerForward(li, s, x, n, w, kern)
		if s.OnLayer != nil {
			s.OnLayer(li+1, len(m.layers))
		}
		if s.Ctx != nil && s.Ctx.Err() != nil {
			s.truncate(s.n) // the layers done so far appended their keys
			return nil, s.Ctx.Err()
		}
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

// rowChunk is how many positions go through the projections and the MLP
// at once: it bounds the scratch memory of a long prefill to a few chunk-
// sized buffers plus the head-major queries and attention output.
const rowChunk = 512

// work holds the scratch buffers of one forward pass.
type work struct {
	qh, oh                 []float32           // head-major queries and attention output, all n rows
	wide                   attention.KVScratch // one layer of a narrow (not f32) cache, widened for a prefill
	xn, q, k, v, att, proj []float32           // one chunk of rows
	ff1, ff2               []float32           // one chunk of MLP activations
	plan                   *attention.Plan     // of this pass (its HyperDecode)

	rot *rotations // RoPE of this pass's positions (nil: learned positions)
}

func (m *Model) newWork(n int) *work {
	qd, kvd := m.heads*m.headDim, m.kvHeads*m.headDim
	inter := m.Config.Intermediate
	c := min(n, rowChunk)
	w := &work{
		qh: make([]float32, n*qd), oh: make([]float32, n*qd),
		xn: make([]float32, c*m.hidden), q: make([]float32, c*qd),
		k: make([]float32, c*kvd), v: make([]float32, c*kvd),
		att: make([]float32, c*qd), proj: make([]float32, c*m.hidden),
		ff1: make([]float32, c*inter),
	}
	if m.traits.GatedMLP {
		w.ff2 = make([]float32, c*inter)
	}
	return w
}

// layerForward runs decoder layer li over the n rows of x in place.
func (m *Model) layerForward(li int, s *State, x []float32, n int, w *work, kern attention.Kernel) {
	l := &m.layers[li]
	h := m.hidden
	for r0 := 0; r0 < n; r0 += rowChunk {
		rows := min(rowChunk, n-r0)
		m.projectQKV(li, l, s, x[r0*h:(r0+rows)*h], r0, rows, n, w)
	}
	hd := m.headDim
	m.attend(li, s, n, w, kern)
	for r0 := 0; r0 < n; r0 += rowChunk {
		rows := min(rowChunk, n-r0)
		xc := x[r0*h : (r0+rows)*h]
		for i := 0; i < rows; i++ { // [heads][n][hd] → [rows][heads·hd]
			for hh := 0; hh < m.heads; hh++ {
				copy(w.att[(i*m.heads+hh)*hd:][:hd], w.oh[(hh*n+r0+i)*hd:][:hd])
			}
		}
		if m.traits.ParallelBlock { // phi: x + attn(ln x) + mlp(ln x)
			l.attnNorm.apply(w.xn, xc, rows)
			m.mlp(l, w.xn, rows, w)
			l.o.apply(w.proj, w.att, rows)
			kernels.Add(xc, w.proj[:rows*h])
			kernels.Add(xc, w.xn[:rows*h])
			continue
		}
		l.o.apply(w.proj, w.att, rows)
		kernels.Add(xc, w.proj[:rows*h])
		l.mlpNorm.apply(w.xn, xc, rows)
		m.mlp(l, w.xn, rows, w)
		kernels.Add(xc, w.xn[:rows*h])
	}
}

// attend runs layer li's attention of the n new queries (w.qh) against the
// cache into w.oh.
func (m *Model) attend(li int, s *State, n int, w *work, kern attention.Kernel) {
	p := attention.Params{Scale: m.attentionScale(), Causal: true, Offset: s.n}
	if s.OnAttention != nil {
		defer func(start time.Time) { s.OnAttention(time.Since(start)) }(time.Now())
	}
	if m.hyperDecode(li, s, n, w, kern, p) {
		return
	}
	s.kv[li].Attend(kern, w.oh, nil, w.qh, m.heads, p, &w.wide)
}

// projectQKV normalises the rows of xc (positions r0.. of this pass),
// projects them to q, k and v, applies q/k norms and rotary embeddings,
// writes q head-major into w.qh and appends k and v to layer li's cache.
func (m *Model) projectQKV(li int, l *layer, s *State, xc []float32, r0, rows, n int, w *work) {
	hd, nh, nkv := m.headDim, m.heads, m.kvHeads
	l.attnNorm.apply(w.xn, xc, rows)
	applyEach(w.xn, rows, []*linear{&l.q, &l.k, &l.v}, w.q, w.k, w.v)
	if l.qNorm != nil {
		l.qNorm.apply(w.q, w.q, rows*nh)
		l.kNorm.apply(w.k, w.k, rows*nkv)
	}
	pos := s.n + r0
	if w.rot != nil {
		w.rot.apply(w.q, rows, nh, hd, pos)
		w.rot.apply(w.k, rows, nkv, hd, pos)
	}
	for i := 0; i < rows; i++ {
		for hh := 0; hh < nh; hh++ {
			copy(w.qh[(hh*n+r0+i)*hd:][:hd], w.q[(i*nh+hh)*hd:][:hd])
		}
	}
	s.kv[li].Append(w.k[:rows*nkv*hd], w.v[:rows*nkv*hd])
}

// mlp computes the feed-forward block of the rows of the normed input xn
// and writes the result back into xn.
func (m *Model) mlp(l *layer, xn []float32, rows int, w *work) {
	n := rows * m.Config.Intermediate
	if m.traits.GatedMLP {
		applyEach(xn, rows, []*linear{&l.gate, &l.up}, w.ff1[:n], w.ff2[:n])
		kernels.SiLUMul(w.ff1[:n], w.ff2[:n])
		l.down.apply(xn, w.ff1[:n], rows)
		return
	}
	l.fc1.apply(w.ff1[:n], xn, rows)
	m.act(w.ff1[:n])
	l.fc2.apply(xn, w.ff1[:n], rows)
}
