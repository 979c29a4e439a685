package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gollm/gollm/internal/parallel"
)

// HyperConfig holds HyperAttention's settings. DefaultHyperConfig gives the
// released code's defaults ("faithful" mode).
type HyperConfig struct {
	Block   int // sorted block size (keys per diagonal block)
	Samples int // uniformly sampled residual keys per query head; 0 disables
	Projs   int // LSH directions (buckets = 2^Projs), 1..16
	MinSeq  int // causal calls of at most MinSeq tokens (non-causal: fewer queries) are exact
	Sink    int // the first Sink keys are attended exactly and merged in; 0 disables
	// Window is the exact local window of causal calls: every query
	// attends its Window nearest keys exactly (see approximate); 0
	// disables.
	Window int
	Order  BucketOrder // bucket order of sortLSH
	// Center hashes each key minus the mean key of its call (the queries
	// as they are): q·(k − μ) differs from q·k by a constant per query, so
	// the softmax ranks keys by it alike, and the common component that
	// otherwise dominates every key's angle is gone.
	Center bool
}

// DefaultHyperConfig returns the released defaults: 7 projections, block
// 256, 256 samples, min_seq_len 4096, Gray key order, no sink.
func DefaultHyperConfig() HyperConfig {
	return HyperConfig{Block: 256, Samples: 256, Projs: 7, MinSeq: 4096}
}

// Validate reports the first invalid setting, naming its flag.
func (c HyperConfig) Validate() error {
	switch {
	case c.Block < 1:
		return fmt.Errorf("--hyper-block must be at least 1, got %d", c.Block)
	case c.Samples < 0:
		return fmt.Errorf("--hyper-samples must be non-negative, got %d", c.Samples)
	case c.Projs < 1 || c.Projs > lshCols:
		return fmt.Errorf("--hyper-projs must be in 1..%d, got %d", lshCols, c.Projs)
	case c.MinSeq < 1:
		return fmt.Errorf("--hyper-min-seq must be at least 1, got %d", c.MinSeq)
	case c.Sink < 0:
		return fmt.Errorf("--hyper-sink must be non-negative, got %d", c.Sink)
	case c.Window < 0:
		return fmt.Errorf("--hyper-window must be non-negative, got %d", c.Window)
	case c.Order != OrderGray && c.Order != OrderInverseGray:
		return fmt.Errorf("unknown bucket order %d", c.Order)
	}
	return nil
}

// String lists the settings, e.g. "block=256 samples=256 projs=7 min-seq=4096 order=gray sink=0".
func (c HyperConfig) String() string {
	s := fmt.Sprintf("block=%d samples=%d projs=%d min-seq=%d order=%s sink=%d",
		c.Block, c.Samples, c.Projs, c.MinSeq, c.Order, c.Sink)
	if c.Window > 0 {
		s += fmt.Sprintf(" window=%d", c.Window)
	}
	if c.Center {
		s += " center"
	}
	return s
}

// Hyper is HyperAttention for one layer: sortLSH-sorted block-diagonal
// attention plus uniformly sampled residual keys, merged by LSE, and the
// causal recursion over halves. Projections are drawn from (seed, layer);
// residual samples come from a per-layer generator advanced on every call,
// so a run is reproducible given the seed; Restart puts the generator at
// the start of a numbered stream, so a pass can draw the same samples
// whatever ran before it. Not safe for concurrent calls.
//
// Calls Hyper does not cover — causal calls with an offset or with NQ ≠ NK
// (decode, chunked prefill) — use Flash over the whole cache, as do calls
// short enough to be exact anyway (below min_seq_len).
type Hyper struct {
	cfg   HyperConfig
	layer int
	seed  uint64
	lsh   *lsh // created on the first call, for its head dim
	rng   *rand.Rand
}

// NewHyper returns the HyperAttention kernel of layer layer. cfg is assumed
// valid (see HyperConfig.Validate).
func NewHyper(cfg HyperConfig, layer int, seed uint64) *Hyper {
	h := &Hyper{cfg: cfg, layer: layer, seed: seed}
	h.Restart(0)
	return h
}

// Restart starts the residual sample generator afresh on stream, a
// sequence of its own for every (seed, layer, stream); stream 0 is the
// generator NewHyper starts with.
func (h *Hyper) Restart(stream uint64) {
	h.rng = rand.New(rand.NewPCG(h.seed^0x5851f42d4c957f2d, uint64(h.layer)^stream<<32))
}

// Name returns "hyper".
func (h *Hyper) Name() string { return "hyper" }

// Config returns the kernel's settings.
func (h *Hyper) Config() HyperConfig { return h.cfg }

// group is one KV head and the query heads that read it, restricted to a
// range of query rows and key rows; every slice starts at the range's
// first row (row stride dim).
type group struct {
	dim         int
	q, out, lse [][]float32 // per query head
	k, v        []float32
}

// rows narrows the group to query rows [qa, qb) and key rows [ka, kb).
func (g group) rows(qa, qb, ka, kb int) group {
	d := g.dim
	n := group{dim: d, k: g.k[ka*d : kb*d], v: g.v[ka*d : kb*d]}
	for i := range g.q {
		n.q = append(n.q, g.q[i][qa*d:qb*d])
		n.out = append(n.out, g.out[i][qa*d:qb*d])
		n.lse = append(n.lse, g.lse[i][qa:qb])
	}
	return n
}

// withOutput returns the group writing into fresh buffers for nq rows.
func (g group) withOutput(nq int) group {
	n := g
	n.out, n.lse = nil, nil
	for range g.q {
		n.out = append(n.out, make([]float32, nq*g.dim))
		n.lse = append(n.lse, make([]float32, nq))
	}
	return n
}

// Attend computes HyperAttention; see Kernel and Shape for the layouts.
func (h *Hyper) Attend(out, lse, q, k, v []float32, s Shape, p Params) {
	if s.NQ == 0 || s.Heads == 0 {
		return
	}
	short := s.NQ < h.cfg.MinSeq || (p.Causal && s.NQ == h.cfg.MinSeq)
	if short || (p.Causal && (p.Offset != 0 || s.NQ != s.NK)) {
		Flash{}.Attend(out, lse, q, k, v, s, p)
		return
	}
	if h.lsh == nil || h.lsh.dim != s.Dim {
		h.lsh = newLSH(h.cfg.Projs, s.Dim, h.cfg.Order, h.seed, h.layer)
	}
	if lse == nil {
		lse = make([]float32, s.Heads*s.NQ)
	}
	d, per := s.Dim, s.Heads/s.KVHeads
	for kv := 0; kv < s.KVHeads; kv++ {
		base := kv * s.kvStride() * d
		g := group{dim: d, k: k[base : base+s.NK*d], v: v[base : base+s.NK*d]}
		for hq := kv * per; hq < (kv+1)*per; hq++ {
			g.q = append(g.q, q[hq*s.NQ*d:][:s.NQ*d])
			g.out = append(g.out, out[hq*s.NQ*d:][:s.NQ*d])
			g.lse = append(g.lse, lse[hq*s.NQ:][:s.NQ])
		}
		if p.Causal {
			h.causal(g, s.NQ, 0, p.Scale)
		} else {
			h.nonCausal(g, s.NQ, s.NK, 0, p.Scale)
		}
	}
}

// causal is the recursion over halves for n queries on the same n keys,
// the first of which is key number kStart of the whole sequence.
func (h *Hyper) causal(g group, n, kStart int, scale float32) {
	if n <= h.cfg.MinSeq {
		h.dense(g, n, scale, true, n)
		return
	}
	// Split at ⌈n/2⌉: the released code pads odd n with a zero row, which
	// only changes the (dropped) padding row.
	m := (n + 1) / 2
	h.causal(g.rows(0, m, 0, m), m, kStart, scale)
	h.causal(g.rows(m, n, m, n), n-m, kStart+m, scale)
	// The off-diagonal block is approximated whatever its size: this call
	// is longer than MinSeq. (The released code re-checks the block's own
	// query count against min_seq_len, so just below a power of two times
	// MinSeq — 16,000 tokens against 16,384 — it computes twice the exact
	// work: blocks of 4,000 queries count as short.)
	left := g.rows(m, n, 0, m).withOutput(n - m)
	// The window: the first w queries of the block attend the last w keys
	// exactly (removed from their hashed set); the later queries have
	// their w nearest keys in the bottom-right recursion already.
	w := min(h.cfg.Window, n-m)
	if w > 0 {
		h.approximate(left.rows(0, w, 0, m), w, m, kStart, w, scale)
	}
	h.approximate(left.rows(w, n-m, 0, m), n-m-w, m, kStart, 0, scale)
	bottom := g.rows(m, n, 0, 0)
	for i := range g.q {
		MergeLSE(bottom.out[i], bottom.lse[i], left.out[i], left.lse[i], n-m, g.dim)
	}
}

// dense runs exact attention (Flash tiles) of the nq queries of every
// query head of g on its first nk keys, in parallel over heads and tiles.
func (h *Hyper) dense(g group, nq int, scale float32, causal bool, nk int) {
	qTiles := (nq + tileQ - 1) / tileQ
	parallel.For(len(g.q)*qTiles, 1, func(lo, hi int) {
		t := getTile(g.dim)
		defer putTile(t)
		for u := lo; u < hi; u++ {
			i, r0 := u/qTiles, (u%qTiles)*tileQ
			end0 := noCausal
			if causal {
				end0 = r0 + 1
			}
			t.start(g.q[i][r0*g.dim:], min(tileQ, nq-r0), scale)
			t.update(g.k, g.v, 0, nk, end0)
			t.finish(g.out[i][r0*g.dim:], g.lse[i][r0:])
		}
	})
}

// nonCausal is HyperAttention of nq queries on nk fully visible keys, the
// first being key number kStart of the sequence.
func (h *Hyper) nonCausal(g group, nq, nk, kStart int, scale float32) {
	if nq < h.cfg.MinSeq {
		h.dense(g, nq, scale, false, nk)
		return
	}
	h.approximate(g, nq, nk, kStart, 0, scale)
}

// approximate is non-causal HyperAttention without the length check: the
// sink (when set) and the last recent keys exact, the keys between them by
// sortedBlocks. Each key is in one of the three parts, so none is counted
// twice.
//
// Causal calls pass recent = w for the first w = Window queries [m, m+w)
// of an off-diagonal block on keys [0, m), and 0 for the rest: a query i
// has each key j in (i−W, i] either in the bottom-right recursion (j ≥ m)
// or, when i < m+w, in the strip [m−w, m) (j > i−W ≥ m−w): by induction
// over the recursion, an exact local window of W keys.
func (h *Hyper) approximate(g group, nq, nk, kStart, recent int, scale float32) {
	sink := max(0, min(h.cfg.Sink-kStart, nk))
	recent = min(recent, nk-sink)
	if sink+recent == nk {
		h.dense(g, nq, scale, false, nk)
		return
	}
	h.sortedBlocks(g.rows(0, nq, sink, nk-recent), nq, nk-sink-recent, scale)
	h.mergeExact(g, nq, 0, sink, scale)
	h.mergeExact(g, nq, nk-recent, nk, scale)
}

// mergeExact attends g's nq queries exactly to keys [ka, kb) and merges
// the result into g's outputs by LSE; an empty range does nothing.
func (h *Hyper) mergeExact(g group, nq, ka, kb int, scale float32) {
	if ka == kb {
		return
	}
	eg := g.rows(0, nq, ka, kb).withOutput(nq)
	h.dense(eg, nq, scale, false, kb-ka)
	for i := range g.q {
		MergeLSE(g.out[i], g.lse[i], eg.out[i], eg.lse[i], nq, g.dim)
	}
}

// sortedBlocks is the core of non-causal HyperAttention: sortLSH, exact
// attention inside the diagonal blocks of the sorted order, and the
// sampled residual, merged by LSE, then unsorted into g's outputs.
func (h *Hyper) sortedBlocks(g group, nq, nk int, scale float32) {
	d, bs := g.dim, h.cfg.Block
	hashed := g.k
	if h.cfg.Center {
		hashed = centered(g.k, nk, d)
	}
	kPerm := h.lsh.sortRows(hashed, nk)
	ks := make([]float32, nk*d)
	vs := make([]float32, nk*d)
	gatherRows(ks, g.k, kPerm, d)
	gatherRows(vs, g.v, kPerm, d)

	// Query blocks as in the released code: both sides padded to a multiple
	// of the block, the queries cut into as many blocks as the keys.
	nb := (nk + bs - 1) / bs
	qbs := max(1, (nq+bs-1)/bs*bs/nb)
	qBlocks := (nq + qbs - 1) / qbs
	residual := h.cfg.Samples > 0 && nq > qbs && nk > bs

	heads := len(g.q)
	type headWork struct {
		perm    []int32
		qs, o   []float32
		l       []float32
		samples []int32   // sorted sampled key positions (in sorted order)
		sk, sv  []float32 // their rows
	}
	work := make([]headWork, heads)
	for i := range work {
		w := &work[i]
		w.perm = h.lsh.sortRows(g.q[i], nq)
		w.qs = make([]float32, nq*d)
		gatherRows(w.qs, g.q[i], w.perm, d)
		w.o = make([]float32, nq*d)
		w.l = make([]float32, nq)
		if residual {
			w.samples = make([]int32, h.cfg.Samples)
			for j := range w.samples {
				w.samples[j] = int32(h.rng.IntN(nk))
			}
			slices.Sort(w.samples)
			w.sk = make([]float32, len(w.samples)*d)
			w.sv = make([]float32, len(w.samples)*d)
			gatherRows(w.sk, ks, w.samples, d)
			gatherRows(w.sv, vs, w.samples, d)
		}
	}
	logW := float32(math.Log(float64(nk) / float64(h.cfg.Samples)))
	parallel.For(heads*qBlocks, 1, func(lo, hi int) {
		var ro, rl []float32
		for u := lo; u < hi; u++ {
			w := &work[u/qBlocks]
			b := u % qBlocks
			q0, q1 := b*qbs, min(nq, (b+1)*qbs)
			kb := min(b, nb-1)
			o, l := w.o[q0*d:q1*d], w.l[q0:q1]
			attendDense(o, l, w.qs[q0*d:], q1-q0, d, ks, vs, scale, [2]int{kb * bs, min(nk, (kb+1)*bs)})
			if !residual {
				continue
			}
			// Samples inside this query block's own key block are already
			// counted exactly; the sorted samples make them one run [a, c).
			a, _ := slices.BinarySearch(w.samples, int32(kb*bs))
			c, _ := slices.BinarySearch(w.samples, int32((kb+1)*bs))
			ro = slices.Grow(ro[:0], (q1-q0)*d)[:(q1-q0)*d]
			rl = slices.Grow(rl[:0], q1-q0)[:q1-q0]
			attendDense(ro, rl, w.qs[q0*d:], q1-q0, d, w.sk, w.sv, scale, [2]int{0, a}, [2]int{c, len(w.samples)})
			for i := range rl {
				rl[i] += logW
			}
			MergeLSE(o, l, ro, rl, q1-q0, d)
		}
	})
	for i := range work {
		w := &work[i]
		for j, r := range w.perm {
			copy(g.out[i][int(r)*d:][:d], w.o[j*d:][:d])
			g.lse[i][r] = w.l[j]
		}
	}
}

// centered returns the n rows of x (dim d) minus their mean row.
func centered(x []float32, n, d int) []float32 {
	mean := make([]float64, d)
	for r := range n {
		for c, v := range x[r*d : (r+1)*d] {
			mean[c] += float64(v)
		}
	}
	mu := make([]float32, d)
	for c := range mu {
		mu[c] = float32(mean[c] / float64(n))
	}
	out := make([]float32, n*d)
	for r := range n {
		row := out[r*d : (r+1)*d]
		for c, v := range x[r*d : (r+1)*d] {
			row[c] = v - mu[c]
		}
	}
	return out
}
