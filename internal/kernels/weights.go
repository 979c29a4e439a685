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

// rowBytes is the size of one weight row in bytes.
func (w wmat) rowBytes() int {
	if w.f32 != nil {
		return 4 * w.k
	}
	return 2 * w.k
}

// gemv sets out[j-j0] = x · w[j] for rows j0 ≤ j < j0+len(out)
// (len(x) == k).
func (w wmat) gemv(x []float32, j0 int, out []float32) {
	lo, hi := j0*w.k, (j0+len(out))*w.k
	switch {
	case w.f32 != nil:
		active.gemvF32(x, w.f32[lo:hi], out)
	case w.bf16:
		active.gemvBF16(x, w.u16[lo:hi], out)
	default:
		active.gemvF16(x, w.u16[lo:hi], out)
	}
}
