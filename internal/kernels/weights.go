package kernels

// wmat is a read-only view of an [n×k] weight matrix in one of the stored
// element types; exactly one of f32, u16 and q is set.
type wmat struct {
	k    int
	f32  []float32
	u16  []uint16
	bf16 bool  // u16 holds bfloat16 (else IEEE half) bit patterns
	q    *qmat // block-quantized rows
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
	if w.q != nil {
		return w.q.rowBytes
	}
	if w.f32 != nil {
		return 4 * w.k
	}
	return 2 * w.k
}

// gemv sets out[r·ldo + j-j0] = x[r] · w[j] for the m rows of x
// (len(x) = m·k) and rows j0 ≤ j < j0+n; a quantized w takes x's rows
// from acts, already in its activation format, a float one from xp when
// set (x laid out by pairRows).
func (w wmat) gemv(x, xp []float32, acts *[numActs]*qrows, m, j0, n int, out []float32, ldo int) {
	lo, hi := j0*w.k, (j0+n)*w.k
	switch {
	case w.q != nil:
		w.q.gemv(acts[w.q.f.act], m, j0, n, out, ldo)
	case w.f32 != nil:
		active.gemvF32(x, xp, m, w.f32[lo:hi], n, out, ldo)
	case w.bf16:
		active.gemvBF16(x, xp, m, w.u16[lo:hi], n, out, ldo)
	default:
		active.gemvF16(x, xp, m, w.u16[lo:hi], n, out, ldo)
	}
}
