package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
)

// HyperDecoder is sublinear decoding attention for one Hyper layer over one
// growing KV cache (the paper stops at prefill; this is gollm's extension).
// Per KV head it keeps an index of the cached keys by LSH bucket — the
// layer's own projections and bucket order, as the prefill's sortLSH — in
// append-only per-bucket position lists, so the sorted order of the keys is
// known without sorting. A new query row attends to
//   - the sink: the keys at positions < Sink, exactly;
//   - the window: the most recent Window keys, exactly (the causal recursion
//     of the prefill keeps the diagonal blocks, i.e. recent context, exact);
//   - its sorted neighbourhood: the Block indexed keys nearest, in the sorted
//     order, to the middle of the query's own bucket, exactly;
//   - Samples keys drawn uniformly from the indexed ones (those between the
//     sink and the window), dropping those in the neighbourhood and counting
//     each of the others R/Samples times (R indexed keys) — the prefill's
//     residual estimator.
//
// The sink and the window go through the split-KV decoding path (each key
// read once for the whole GQA group); the neighbourhood and the samples,
// gathered per query head, share one softmax, where raising a sample's
// score by log(R/Samples) is the prefill's LSE merge of the sampled part
// with its lse raised by that much; the parts are then merged by LSE. Keys enter the index when they leave the
// window, so each decode step indexes one key per KV head; the first step at
// MinSeq keys or more indexes the cache so far. Work per row is
// O(Block + Samples + Sink + 2^Projs), not O(cache). Below MinSeq keys, or
// for anything but one query row per head at the end of the cache, the
// attention is exact (the decoding path of Flash).
//
// Samples come from a generator seeded by (seed, layer), advanced in a fixed
// order by every call, so a run is reproducible given the seed and does not
// depend on the thread count. Not safe for concurrent calls.
type HyperDecoder struct {
	cfg     HyperConfig
	window  int // keys of the exact recent window
	lsh     *lsh
	dirs    []float32 // [projs][dim]: the projections as rows
	rng     *rand.Rand
	kv      []keyIndex  // per KV head
	heads   []headTemps // per query head
	indexed int         // positions [Sink, indexed) of every KV head are indexed

	lse, sinkOut, sinkLSE []float32 // scratch of a step
}

// keyIndex is one KV head's keys by bucket.
type keyIndex struct {
	lists [][]int32 // per sort key: the positions of its keys, ascending
	key   []uint16  // the sort key of each position (positions < Sink unused)
	start []int     // scratch: sorted position of each bucket's first key
}

// headTemps is one query head's scratch for a decode step.
type headTemps struct {
	pos    []int32   // neighbourhood positions, then the kept samples
	q      []float32 // the query row, scaled
	ks, vs []float32 // the attended keys and values, widened
	sc     []float32 // their scores, then weights
	out    []float32 // the normalised output of the gathered part
}

// NewDecoder returns a sublinear decoder with h's settings, projections and
// seed, for a KV cache of kvHeads heads of dimension dim, whose exact window
// holds the most recent window keys (Block when window < 1).
func (h *Hyper) NewDecoder(kvHeads, dim, window int) *HyperDecoder {
	if window < 1 {
		window = h.cfg.Block
	}
	l := newLSH(h.cfg.Projs, dim, h.cfg.Order, h.seed, h.layer)
	d := &HyperDecoder{cfg: h.cfg, window: window, lsh: l, dirs: make([]float32, l.projs*dim),
		rng: decodeRNG(h.seed, h.layer), kv: make([]keyIndex, kvHeads)}
	for i := 0; i < l.projs; i++ {
		for c := 0; c < dim; c++ {
			d.dirs[i*dim+c] = l.pt[c*lshCols+i]
		}
	}
	for i := range d.kv {
		d.kv[i].lists = make([][]int32, 1<<l.projs)
		d.kv[i].start = make([]int, 1<<l.projs+1)
	}
	return d
}

// decodeRNG is the sample generator of layer's decoder.
func decodeRNG(seed uint64, layer int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x2545f4914f6cdd1d, uint64(layer)))
}

// Indexed is the number of cache positions below which every key past the
// sink is in the index.
func (d *HyperDecoder) Indexed() int { return d.indexed }

// Attend is decoding attention of the heads query heads q ([heads][NQ][Dim],
// NQ = len(q)/(heads·Dim)) against the whole cache c, into out and lse as
// KVCache.Attend writes them; see HyperDecoder for what it attends to. c
// must be the cache the decoder has served so far (the index holds its
// keys).
func (d *HyperDecoder) Attend(out, lse, q []float32, c *KVCache, heads int, p Params) {
	d.attend(out, lse, q, c.store, c.shape(heads, q), p)
}

// gather widens the keys and values of the rows pos of kv (the head from
// element base) into k and v, touching them all first.
func gather(kv kvStore, k, v []float32, base, d int, pos []int32) {
	kv.touchRows(base, d, pos)
	for i, j := range pos {
		kv.readRows(k[i*d:], v[i*d:], base, d, int(j), int(j)+1)
	}
}

// hash is the sort key of one row, as sortLSH would give it.
func (d *HyperDecoder) hash(x []float32) uint16 {
	var p [lshCols]float32
	kernels.MatMulF32(p[:], x, 1, d.lsh.dim, d.dirs, d.lsh.projs)
	return uint16(d.lsh.key(p[:]))
}

// windowStart is the first position of the exact window of n keys.
func (d *HyperDecoder) windowStart(n int) int { return max(min(d.cfg.Sink, n), n-d.window) }

// index adds the keys at positions [indexed, upto) (past the sink) of every
// KV head to the index: hashed in parallel, appended in position order.
func (d *HyperDecoder) index(kv kvStore, s Shape, upto int) {
	from := max(d.indexed, d.cfg.Sink)
	if upto <= from {
		return
	}
	dim := s.Dim
	for h := range d.kv {
		x := &d.kv[h]
		x.key = slices.Grow(x.key, upto-len(x.key))[:upto]
		base := h * s.kvStride() * dim
		parallel.For(upto-from, 512, func(lo, hi int) {
			n := hi - lo
			rows := make([]float32, n*dim)
			kv.readRows(rows, nil, base, dim, from+lo, from+hi)
			// One product for the chunk, projections × rows: each output is
			// the same GEMV dot as hash's (the operands swapped, the
			// summation order the same), so a key hashes alike either way.
			proj := make([]float32, d.lsh.projs*n)
			kernels.MatMulF32(proj, d.dirs, d.lsh.projs, dim, rows, n)
			var p [lshCols]float32
			for i := range n {
				for j := range d.lsh.projs {
					p[j] = proj[j*n+i]
				}
				x.key[from+lo+i] = uint16(d.lsh.key(p[:]))
			}
		})
		for j := from; j < upto; j++ {
			x.lists[x.key[j]] = append(x.lists[x.key[j]], int32(j))
		}
	}
	d.indexed = upto
}

func (d *HyperDecoder) attend(out, lse, q []float32, kv kvStore, s Shape, p Params) {
	if len(d.kv) != s.KVHeads || d.lsh.dim != s.Dim {
		panic(fmt.Sprintf("attention: HyperDecoder for %d KV heads of dim %d called with %d of dim %d", len(d.kv), d.lsh.dim, s.KVHeads, s.Dim))
	}
	n := s.NK
	if s.NQ != 1 || (p.Causal && p.Offset < n-1) || n < d.cfg.MinSeq || n == 0 {
		decode(out, lse, q, kv, s, p)
		return
	}
	sink, win := min(d.cfg.Sink, n), d.windowStart(n)
	d.index(kv, s, win)
	r := win - sink // keys in the index
	g, dim := s.Heads/s.KVHeads, s.Dim
	if len(d.heads) != s.Heads {
		d.heads = make([]headTemps, s.Heads)
	}
	for kvh := range d.kv {
		d.kv[kvh].prefix()
	}
	// Samples, drawn in head order before any parallel work.
	m := d.cfg.Samples
	if r <= d.cfg.Block {
		m = 0 // the neighbourhood holds every indexed key
	}
	samples := make([]int32, s.Heads*m)
	for i := range samples {
		samples[i] = int32(sink + d.rng.IntN(r))
	}
	logW := float32(0)
	if m > 0 {
		logW = float32(math.Log(float64(r) / float64(m)))
	}
	// The exact parts, window then sink, through the split-KV decoding path
	// (each key read once for the whole GQA group), merged by LSE.
	if lse == nil {
		lse = grow(&d.lse, s.Heads)
	}
	part := s
	part.NK, part.KVStride = n-win, s.kvStride()
	decode(out, lse, q, kv.from(win*dim), part, Params{Scale: p.Scale})
	if sink > 0 {
		part.NK = sink
		so, sl := grow(&d.sinkOut, s.Heads*dim), grow(&d.sinkLSE, s.Heads)
		decode(so, sl, q, kv, part, Params{Scale: p.Scale})
		MergeLSE(out, lse, so, sl, s.Heads, dim)
	}
	parallel.For(s.Heads, 1, func(lo, hi int) {
		for h := lo; h < hi; h++ {
			x, t := &d.kv[h/g], &d.heads[h]
			qr := q[h*dim : (h+1)*dim]
			t.pos = x.neighbourhood(t.pos[:0], d.hash(qr), min(d.cfg.Block, r))
			near := len(t.pos)
			a, b := t.pos[0:0], t.pos[0:0]
			if near > 0 {
				a, b = t.pos[:1], t.pos[near-1:near]
			}
			for _, j := range samples[h*m : (h+1)*m] {
				if !x.between(j, a, b) {
					t.pos = append(t.pos, j)
				}
			}
			if len(t.pos) > 0 {
				var l float32
				t.run(&l, qr, kv, (h/g)*s.kvStride()*dim, dim, near, logW, p.Scale)
				MergeLSE(out[h*dim:(h+1)*dim], lse[h:h+1], t.out, []float32{l}, 1, dim)
			}
		}
	})
}

// prefix fills start: the sorted position of each bucket's first key.
func (x *keyIndex) prefix() {
	x.start[0] = 0
	for b, l := range x.lists {
		x.start[b+1] = x.start[b] + len(l)
	}
}

// neighbourhood appends to dst the size keys nearest, in the sorted order
// of the index, to the middle of bucket kq: the sorted positions
// [c − size/2, c − size/2 + size) with c the middle, shifted to fit. The
// result runs in sorted order.
func (x *keyIndex) neighbourhood(dst []int32, kq uint16, size int) []int32 {
	if size == 0 {
		return dst
	}
	total := x.start[len(x.lists)]
	c := x.start[kq] + len(x.lists[kq])/2
	lo := min(max(c-size/2, 0), total-size)
	hi := lo + size
	b := 0
	for x.start[b+1] <= lo {
		b++
	}
	for i := lo; i < hi; b++ {
		l := x.lists[b]
		a := i - x.start[b]
		e := min(len(l), hi-x.start[b])
		dst = append(dst, l[a:e]...)
		i += e - a
	}
	return dst
}

// between reports whether position j lies in the sorted order from the key
// at position a[0] to the one at b[0] inclusive (false when a is empty).
func (x *keyIndex) between(j int32, a, b []int32) bool {
	if len(a) == 0 {
		return false
	}
	kj, ka, kb := x.key[j], x.key[a[0]], x.key[b[0]]
	return (kj > ka || (kj == ka && j >= a[0])) && (kj < kb || (kj == kb && j <= b[0]))
}

// run attends row q to the positions t.pos, gathered (the first near
// exactly, the others samples whose scores are raised by logW), writing the
// normalised output to t.out and its LSE to lse.
func (t *headTemps) run(lse *float32, q []float32, kv kvStore, base, d, near int, logW, scale float32) {
	g := len(t.pos)
	t.ks = slices.Grow(t.ks[:0], g*d)[:g*d]
	t.vs = slices.Grow(t.vs[:0], g*d)[:g*d]
	gather(kv, t.ks, t.vs, base, d, t.pos)
	t.q = t.q[:0]
	for _, x := range q {
		t.q = append(t.q, x*scale)
	}
	t.sc = slices.Grow(t.sc[:0], g)[:g]
	kernels.DotRows(t.sc, t.q, 1, t.ks)
	for i := near; i < g; i++ {
		t.sc[i] += logW
	}
	mx := kernels.Max(t.sc)
	sum := kernels.ExpSub(t.sc, mx)
	t.out = grow(&t.out, d)
	clear(t.out)
	kernels.WeightedSum(t.out, t.sc, t.vs)
	inv := 1 / sum
	for c := range t.out {
		t.out[c] *= inv
	}
	*lse = mx + float32(math.Log(float64(sum)))
}
