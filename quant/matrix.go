package quant

import (
	"sync/atomic"

	"github.com/gollm/gollm/internal/parallel"
)

// QuantizeRows encodes rows rows of cols weights (src, row-major) as type t,
// rows in parallel over the worker pool, and returns the rows' bytes in
// order. Output row r is source row order(r), or row r when order is nil
// (a converter's row permutation). Each row goes through QuantizeRow, so
// the bytes do not depend on the thread count.
func QuantizeRows(t Type, src []float32, rows, cols int, order func(r int) int) ([]byte, error) {
	rb, err := t.RowBytes(cols)
	if err != nil {
		return nil, err
	}
	out := make([]byte, rows*rb)
	var failed atomic.Value
	parallel.For(rows, max(1, 4096/max(cols, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			s := r
			if order != nil {
				s = order(r)
			}
			if err := QuantizeRow(t, out[r*rb:(r+1)*rb], src[s*cols:(s+1)*cols]); err != nil {
				failed.Store(err)
			}
		}
	})
	if err, ok := failed.Load().(error); ok {
		return nil, err
	}
	return out, nil
}
