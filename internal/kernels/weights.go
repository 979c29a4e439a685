package kernels

// wmat is a read-only view of an [n×k] weight matrix in one of the stored
// element types; exactly one of f32 and u16 is set.
type wmat struct {
	k    int
	f32  []float32
	u16  []uint16
	bf16 bool // u16 holds bfloat16 (else IEEE half) bit patterns
}

// seg returns w[j][p0:p0+kb] as float32: a view for f32 weights, or the
// values widened into scratch (len ≥ kb) otherwise.
func (w wmat) seg(scratch []float32, j, p0, kb int) []float32 {
	off := j*w.k + p0
	if w.f32 != nil {
		return w.f32[off : off+kb]
	}
	dst := scratch[:kb]
	if w.bf16 {
		active.cvtBF16(dst, w.u16[off:off+kb])
	} else {
		active.cvtF16(dst, w.u16[off:off+kb])
	}
	return dst
}

// dot returns x · w[j] (len(x) == k).
func (w wmat) dot(x []float32, j int) float32 {
	off := j * w.k
	switch {
	case w.f32 != nil:
		return active.dotF32(x, w.f32[off:off+w.k])
	case w.bf16:
		return active.dotBF16(x, w.u16[off:off+w.k])
	default:
		return active.dotF16(x, w.u16[off:off+w.k])
	}
}
