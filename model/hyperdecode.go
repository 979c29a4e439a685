package model

import (
	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/weights"
)

// hyperDecoder is one layer's sublinear decoder over a State's cache, made
// for that layer's Hyper kernel at the first decode step that needs it.
type hyperDecoder struct {
	kern *attention.Hyper
	dec  *attention.HyperDecoder
}

// hyperDecode runs layer li's attention through its HyperDecoder when the
// plan asks for sublinear decoding, the layer is Hyper and the pass is one
// token; it reports whether it did. The decoder indexes the cache's keys on
// first use and one key per step after that; it is exact below the
// kernel's min-seq.
func (m *Model) hyperDecode(li int, s *State, w *work, kern attention.Kernel, shape attention.Shape, p attention.Params) bool {
	h, ok := kern.(*attention.Hyper)
	if !ok || w.plan == nil || !w.plan.HyperDecode() || shape.NQ != 1 {
		return false
	}
	if s.hyper == nil {
		s.hyper = make([]hyperDecoder, len(m.layers))
	}
	hd := &s.hyper[li]
	if hd.kern != h {
		*hd = hyperDecoder{kern: h, dec: h.NewDecoder(m.kvHeads, m.headDim, w.plan.HyperDecodeWindow())}
	}
	if s.kv == weights.F32 {
		hd.dec.Attend(w.oh, nil, w.qh, s.k[li], s.v[li], shape, p)
	} else {
		hd.dec.Attend16(w.oh, nil, w.qh, s.k16[li], s.v16[li], s.kv == weights.BF16, shape, p)
	}
	return true
}
