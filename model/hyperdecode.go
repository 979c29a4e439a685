package model

import "github.com/gollm/gollm/attention"

// hyperDecoder is one layer's sublinear decoder over a State's cache, made
// for that layer's Hyper kernel at the first decode step that needs it.
type hyperDecoder struct {
	kern *attention.Hyper
	dec  *attention.HyperDecoder
}

// hyperDecode runs layer li's attention through its HyperDecoder when the
// plan asks for sublinear decoding, the layer is Hyper and the pass is one
// token (n = 1); it reports whether it did. The decoder indexes the cache's keys on
// first use and one key per step after that; it is exact below the
// kernel's min-seq. qh and oh are the sequence's query and output rows.
func (m *Model) hyperDecode(li int, sq *seqWork, kern attention.Kernel, p attention.Params, qh, oh []float32) bool {
	h, ok := kern.(*attention.Hyper)
	if !ok || sq.plan == nil || !sq.plan.HyperDecode() || sq.n != 1 {
		return false
	}
	s := sq.s
	if s.hyper == nil {
		s.hyper = make([]hyperDecoder, len(m.layers))
	}
	hd := &s.hyper[li]
	if hd.kern != h {
		*hd = hyperDecoder{kern: h, dec: h.NewDecoder(m.kvHeads, m.headDim, sq.plan.HyperDecodeWindow())}
	}
	hd.dec.Attend(oh, nil, qh, s.kv[li], m.heads, p)
	return true
}
