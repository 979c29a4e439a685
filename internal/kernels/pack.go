package kernels

import "sync"

// packA copies rows [i0, i0+mr) × columns [p0, p0+kb) of x (row stride k)
// into dst as [kb][mr], zero-filling rows at or beyond m.
func packA(dst, x []float32, m, k, i0, p0, kb, mr int) {
	rows := min(mr, m-i0)
	active.transpose(dst, mr, x[i0*k+p0:], k, rows, kb)
	zeroRows(dst, mr, rows, kb)
}

// packB copies weight rows [j0, j0+nr) × columns [p0, p0+kb) into dst as
// [kb][nr], widening to float32 and zero-filling rows at or beyond n.
// scratch holds at least nr·kb floats.
func packB(dst []float32, w wmat, n, j0, p0, kb, nr int, scratch []float32) {
	rows := min(nr, n-j0)
	if w.f32 != nil {
		active.transpose(dst, nr, w.f32[j0*w.k+p0:], w.k, rows, kb)
	} else {
		for r := 0; r < rows; r++ {
			w.seg(scratch[r*kb:], j0+r, p0, kb)
		}
		active.transpose(dst, nr, scratch, kb, rows, kb)
	}
	zeroRows(dst, nr, rows, kb)
}

// zeroRows clears rows [rows, stride) of a packed [kb][stride] panel.
func zeroRows(dst []float32, stride, rows, kb int) {
	if rows == stride {
		return
	}
	for p := 0; p < kb; p++ {
		clear(dst[p*stride+rows : (p+1)*stride])
	}
}

// bufPool recycles packing buffers between calls.
var bufPool sync.Pool

// getBuf returns a float32 buffer of length n from the pool.
func getBuf(n int) *[]float32 {
	if b, ok := bufPool.Get().(*[]float32); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]float32, n)
	return &b
}

// putBuf returns a buffer to the pool.
func putBuf(b *[]float32) { bufPool.Put(b) }
