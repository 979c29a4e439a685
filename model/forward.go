package model

import (
	"context"
	"fmt"
	"time"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
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

// KVType is the storage type of the cache.
func (s *State) KVType() weights.DType { return s.kv[0].DType() }

// Reset empties the cache for a new sequence (the memory is kept).
func (s *State) Reset() {
	s.truncate(0)
	s.hyper = nil
}

// Truncate keeps the first n cached positions and drops the rest (a prefix
// kept for reuse); sublinear decoders are rebuilt on their next use.
func (s *State) Truncate(n int) {
	if n < s.n {
		s.truncate(n)
		s.hyper = nil
	}
}

// CopyFrom makes s hold the first n positions of src's cache, which must
// be of the same model and cache type.
func (s *State) CopyFrom(src *State, n int) error {
	if len(src.kv) != len(s.kv) {
		return fmt.Errorf("model: cannot copy a State of %d layers into one of %d", len(src.kv), len(s.kv))
	}
	for i, c := range s.kv {
		if err := c.CopyFrom(src.kv[i], n); err != nil {
			return err
		}
	}
	s.n = n
	s.hyper = nil
	return nil
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
	return m.ForwardBatch([]Seq{{State: s, IDs: ids, Plan: plan}})
}

// Seq is one sequence of a batched forward pass: IDs to run after what
// State holds, attending as Plan says (nil: exact).
type Seq struct {
	State *State
	IDs   []int
	Plan  *attention.Plan
}

// ForwardBatch runs several sequences in one pass. Their rows are stacked,
// [Σ len(IDs) × HiddenSize], so every projection and the MLP read the
// weights once for all of them (the decode step of continuous batching),
// while each sequence attends to its own cache with its own plan. It
// returns the final hidden states of all rows, sequence after sequence.
// On an error no cache is changed.
func (m *Model) ForwardBatch(seqs []Seq) ([]float32, error) {
	n := 0
	for i, sq := range seqs {
		if err := m.fits(sq.State, len(sq.IDs)); err != nil {
			if len(seqs) > 1 {
				err = fmt.Errorf("sequence %d: %w", i, err)
			}
			return nil, err
		}
		for _, other := range seqs[:i] {
			if other.State == sq.State {
				return nil, fmt.Errorf("model: sequence %d repeats the State of an earlier one", i)
			}
		}
		n += len(sq.IDs)
	}
	vocab := m.embed.out
	h := m.hidden
	x := make([]float32, n*h)
	row := make([]float32, h)
	r := 0
	for _, sq := range seqs {
		for i, id := range sq.IDs {
			if id < 0 || id >= vocab {
				return nil, fmt.Errorf("model: token id %d out of range [0, %d)", id, vocab)
			}
			m.embed.row(x[r*h:(r+1)*h], id)
			if m.posEmb != nil {
				m.posEmb.row(row, sq.State.n+i)
				kernels.Add(x[r*h:(r+1)*h], row)
			}
			r++
		}
	}
	w := m.newWork(seqs, n)
	for li := range m.layers {
		m.layerForward(li, x, n, w)
		for _, sq := range seqs {
			if sq.State.OnLayer != nil {
				sq.State.OnLayer(li+1, len(m.layers))
			}
		}
		for _, sq := range seqs {
			if c := sq.State.Ctx; c != nil && c.Err() != nil {
				for _, q := range seqs {
					q.State.truncate(q.State.n) // the layers done so far appended their keys
				}
				return nil, c.Err()
			}
		}
	}
	m.final.apply(x, x, n)
	for _, sq := range seqs {
		sq.State.n += len(sq.IDs)
	}
	return x, nil
}

// fits checks that n more tokens fit s: its cache, the model's learned
// positions and its sliding window.
func (m *Model) fits(s *State, n int) error {
	if n == 0 {
		return fmt.Errorf("model: no tokens to run")
	}
	if s.n+n > s.Cap() {
		return fmt.Errorf("model: %d tokens do not fit the KV cache (%d cached, capacity %d)", n, s.n, s.Cap())
	}
	if w := m.Config.SlidingWindow; w > 0 && s.n+n > w {
		return fmt.Errorf("model: %d tokens exceed the sliding attention window of %d, which gollm does not implement (keep the context within %d tokens)", s.n+n, w, w)
	}
	if m.posEmb != nil && s.n+n > m.posEmb.out {
		return fmt.Errorf("model: position %d is beyond the %d learned positions", s.n+n-1, m.posEmb.out)
	}
	return nil
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
	seqs                   []seqWork // the pass's sequences, in row order
	sideBySide             bool      // every sequence is one decode step without a sublinear decoder
	qh, oh                 []float32 // queries and attention output, all n rows: per sequence [heads][its rows][head dim]
	xn, q, k, v, att, proj []float32 // one chunk of rows
	ff1, ff2               []float32 // one chunk of MLP activations
}

// seqWork is one sequence of a pass: its rows r0 … r0+n−1 of the batch.
type seqWork struct {
	s     *State
	r0, n int
	plan  *attention.Plan
	rot   *rotations          // RoPE of its positions (nil: learned positions)
	wide  attention.KVScratch // one layer of its cache widened for a prefill, when narrow (not f32)
}

func (m *Model) newWork(seqs []Seq, n int) *work {
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
	r0 := 0
	w.sideBySide = true
	for _, sq := range seqs {
		if len(sq.IDs) != 1 || (sq.Plan != nil && sq.Plan.HyperDecode()) {
			w.sideBySide = false
		}
		sw := seqWork{s: sq.State, r0: r0, n: len(sq.IDs), plan: sq.Plan}
		if m.rope != nil {
			sw.rot = m.rope.prepare(sq.State.n, sw.n)
		}
		w.seqs = append(w.seqs, sw)
		r0 += sw.n
	}
	return w
}

// spans calls f for each sequence with rows in the chunk c0 … c0+rows−1:
// its rows a … b−1 of the batch lie in the chunk.
func (w *work) spans(c0, rows int, f func(sq *seqWork, a, b int)) {
	for i := range w.seqs {
		sq := &w.seqs[i]
		if a, b := max(c0, sq.r0), min(c0+rows, sq.r0+sq.n); a < b {
			f(sq, a, b)
		}
	}
}

// layerForward runs decoder layer li over the n rows of x in place.
func (m *Model) layerForward(li int, x []float32, n int, w *work) {
	l := &m.layers[li]
	h := m.hidden
	for r0 := 0; r0 < n; r0 += rowChunk {
		rows := min(rowChunk, n-r0)
		m.projectQKV(li, l, x[r0*h:(r0+rows)*h], r0, rows, w)
	}
	hd, qd := m.headDim, m.heads*m.headDim
	// Sequences attend to their own caches independently. A batch of plain
	// decode steps runs them side by side (each inner loop still splits its
	// keys across threads, with the same chunks as alone); prefills and
	// sublinear decoders go one at a time, as a Hyper kernel's state is
	// not safe for concurrent calls.
	grain := len(w.seqs)
	if w.sideBySide {
		grain = 1
	}
	parallel.For(len(w.seqs), grain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			m.attend(li, &w.seqs[i], w)
		}
	})
	for r0 := 0; r0 < n; r0 += rowChunk {
		rows := min(rowChunk, n-r0)
		xc := x[r0*h : (r0+rows)*h]
		w.spans(r0, rows, func(sq *seqWork, a, b int) {
			oh := w.oh[sq.r0*qd:]
			for r := a; r < b; r++ { // [heads][n][hd] → [rows][heads·hd]
				for hh := 0; hh < m.heads; hh++ {
					copy(w.att[((r-r0)*m.heads+hh)*hd:][:hd], oh[(hh*sq.n+r-sq.r0)*hd:][:hd])
				}
			}
		})
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

// attend runs layer li's attention of one sequence's new queries (its
// block of w.qh) against its cache into its block of w.oh.
func (m *Model) attend(li int, sq *seqWork, w *work) {
	s := sq.s
	var kern attention.Kernel = attention.Reference{}
	if sq.plan != nil {
		kern = sq.plan.Kernel(li)
	}
	p := attention.Params{Scale: m.attentionScale(), Causal: true, Offset: s.n}
	if s.OnAttention != nil {
		defer func(start time.Time) { s.OnAttention(time.Since(start)) }(time.Now())
	}
	qd := m.heads * m.headDim
	qh, oh := w.qh[sq.r0*qd:(sq.r0+sq.n)*qd], w.oh[sq.r0*qd:(sq.r0+sq.n)*qd]
	if m.hyperDecode(li, sq, kern, p, qh, oh) {
		return
	}
	s.kv[li].Attend(kern, oh, nil, qh, m.heads, p, &sq.wide)
}

// projectQKV normalises the rows of xc (rows c0.. of the batch), projects
// them to q, k and v, applies q/k norms and rotary embeddings, writes q
// into each sequence's head-major block of w.qh and appends k and v to the
// sequence's layer-li cache.
func (m *Model) projectQKV(li int, l *layer, xc []float32, c0, rows int, w *work) {
	hd, nh, nkv := m.headDim, m.heads, m.kvHeads
	qd, kvd := nh*hd, nkv*hd
	l.attnNorm.apply(w.xn, xc, rows)
	applyEach(w.xn, rows, []*linear{&l.q, &l.k, &l.v}, w.q, w.k, w.v)
	if l.qNorm != nil {
		l.qNorm.apply(w.q, w.q, rows*nh)
		l.kNorm.apply(w.k, w.k, rows*nkv)
	}
	w.spans(c0, rows, func(sq *seqWork, a, b int) {
		q, k, v := w.q[(a-c0)*qd:(b-c0)*qd], w.k[(a-c0)*kvd:(b-c0)*kvd], w.v[(a-c0)*kvd:(b-c0)*kvd]
		if sq.rot != nil {
			pos := sq.s.n + a - sq.r0
			sq.rot.apply(q, b-a, nh, hd, pos)
			sq.rot.apply(k, b-a, nkv, hd, pos)
		}
		qh := w.qh[sq.r0*qd:]
		for r := a; r < b; r++ {
			for hh := 0; hh < nh; hh++ {
				copy(qh[(hh*sq.n+r-sq.r0)*hd:][:hd], q[((r-a)*nh+hh)*hd:][:hd])
			}
		}
		sq.s.kv[li].Append(k, v)
	})
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
