package kernels

import (
	"fmt"
	"iter"

	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/quant"
)

// qmat is a weight matrix stored in one of ggml's block formats: row r is
// the rowBytes bytes at r·rowBytes.
type qmat struct {
	t        quant.Type
	f        qformat
	data     []byte
	rowBytes int
}

// QuantMat views data as an [n×k] matrix whose rows are blocks of type t
// (row r's bytes at r·t.RowBytes(k)), as a GGUF file stores a quantized
// tensor. Products quantize x's rows to the activation format ggml pairs
// with t and sum each block in integers (docs/quantization.md, Kernels).
// Supported: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K and Q6_K; k must be
// a whole number of blocks and data exactly n rows.
func QuantMat(t quant.Type, data []byte, n, k int) (Mat, error) {
	f, ok := qformats[t]
	if !ok {
		return Mat{}, fmt.Errorf("kernels: no quantized matrix product for type %v", t)
	}
	if n < 0 || k < 0 || k%f.elems != 0 {
		return Mat{}, fmt.Errorf("kernels: a %v matrix of %d×%d is not whole blocks of %d weights", t, n, k, f.elems)
	}
	rb := k / f.elems * f.bytes
	if len(data) != n*rb {
		return Mat{}, fmt.Errorf("kernels: a %v matrix of %d×%d takes %d bytes, not %d", t, n, k, n*rb, len(data))
	}
	return Mat{wmat{k: k, q: &qmat{t, f, data, rb}}, n}, nil
}

// row returns weight row j's bytes.
func (q *qmat) row(j int) []byte { return q.data[j*q.rowBytes : (j+1)*q.rowBytes] }

// gemv sets out[r·ldo + j-j0] = x[r] · w[j] for the m rows of the
// quantized activations x and weight rows j0 ≤ j < j0+n, each weight row
// read once against all of x's rows. The rows are visited as four streams
// (j, j+q, j+2q, j+3q for j < q = n/4, then the last n%4), which keeps
// more reads in flight than one, as in the float GEMV (docs/kernels.md).
func (q *qmat) gemv(x *qrows, m, j0, n int, out []float32, ldo int) {
	kn := active.qdots[q.t]
	// Rows of x in fours go through the four- and eight-row kernels; the
	// last m%4 take a one-row pass each (a lone row through dot costs more
	// than its own pass over the weights).
	lead := m
	if kn.gemv1 != nil {
		lead = m &^ 3
	}
	if lead > 0 {
		var tmp [8]float32
		for j := range fourStreams(n) {
			kn.tile(q.row(j0+j), x, 0, lead, out[j:], ldo, &tmp)
		}
	}
	for i := lead; i < m; i++ {
		kn.gemv1(q.data[j0*q.rowBytes:(j0+n)*q.rowBytes], q.rowBytes, n, x.row(i), out[i*ldo:])
	}
}

// fourStreams yields 0 … n−1 in the order the GEMVs read weight rows: j,
// j+q, j+2q, j+3q for j < q = n/4, then the last n%4.
func fourStreams(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		q4 := n / 4
		for t := 0; t < q4; t++ {
			for j := t; j < 4*q4; j += q4 {
				if !yield(j) {
					return
				}
			}
		}
		for j := 4 * q4; j < n; j++ {
			if !yield(j) {
				return
			}
		}
	}
}

// qgemmRows and qgemmCols are the tile of the prefill product, in rows of
// x and weight rows: each task keeps a tile of weight rows in L2 while its
// block of x's rows passes over them.
const qgemmRows, qgemmCols = 16, 32

// qgemm computes out[m×n] = x[m×k] · wᵀ for a quantized w: x's rows are
// quantized once, then each (x row block, weight row block) tile is a task.
// Every element is the same dot product gemv computes, so results equal
// the decode path's and do not depend on the thread count.
func qgemm(out, x []float32, m, k int, q *qmat, n int) {
	if active.qgemm != nil && active.qgemm(out, x, m, k, q, n) {
		return
	}
	xq := quantizeRows(q.f.act, x, m, k)
	defer putQrows(xq)
	kn := active.qdots[q.t]
	rowTiles := (m + qgemmRows - 1) / qgemmRows
	colTiles := (n + qgemmCols - 1) / qgemmCols
	parallel.For(rowTiles*colTiles, 1, func(lo, hi int) {
		var tmp [8]float32
		for t := lo; t < hi; t++ {
			i0, j0 := t/colTiles*qgemmRows, t%colTiles*qgemmCols
			for j := j0; j < min(j0+qgemmCols, n); j++ {
				kn.tile(q.row(j), xq, i0, min(i0+qgemmRows, m), out[i0*n+j:], n, &tmp)
			}
		}
	})
}

// quantActs returns x's m rows quantized to each activation format a
// quantized matrix among ws needs (nil entries for formats none needs), to
// be released with releaseActs.
func quantActs(x []float32, m, k int, ws []Mat) (acts [numActs]*qrows) {
	for _, a := range ws {
		if q := a.w.q; q != nil && acts[q.f.act] == nil {
			acts[q.f.act] = quantizeRows(q.f.act, x, m, k)
		}
	}
	return acts
}

func releaseActs(acts [numActs]*qrows) {
	for _, q := range acts {
		if q != nil {
			putQrows(q)
		}
	}
}
