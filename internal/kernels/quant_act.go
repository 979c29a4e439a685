package kernels

import (
	"math"
	"sync"

	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/quant"
)

// act is an activation format: the block quantization x's rows take before
// their integer dot products with quantized weights, the one ggml pairs
// with each weight type (its vec_dot_type).
type act uint8

const (
	// act32 is ggml's Q8_1: blocks of 32 signed bytes with a half scale d
	// and the half of d·Σq. Its quants and d are Q8_0's, so the Q8_0
	// weight formats (Q4_0, Q5_0, Q8_0) use it too and ignore the sums.
	act32 act = iota
	// act256 is ggml's Q8_K: blocks of 256 signed bytes with a float32
	// scale and the sums of each 16 quants (for Q4_K, Q5_K and Q6_K).
	act256
	numActs
)

// blockLen is the number of quants that share one scale.
func (a act) blockLen() int {
	if a == act32 {
		return quant.QK
	}
	return quant.QKK
}

// qrow is one row of x in an activation format, split into arrays: k
// quants, a scale per block, and per block the half-rounded d·Σq (act32) or
// per 16 quants their sum (act256).
type qrow struct {
	qs    []int8
	d     []float32
	s     []float32
	bsums []int16
}

// qrows holds m rows of x in format a, row r at r·k quants.
type qrows struct {
	a     act
	k     int
	qs    []int8
	d     []float32
	s     []float32
	bsums []int16
	rows  []qrow // rows[r] views row r (built once: the dot loops ask for it per weight row)
}

var qrowsPool sync.Pool

// quantizeRows returns the m rows of x (each k long, k a multiple of a's
// block) in format a, in a buffer to be returned with putQrows. Rows are
// quantized in parallel when there are many.
func quantizeRows(a act, x []float32, m, k int) *qrows {
	q, _ := qrowsPool.Get().(*qrows)
	if q == nil {
		q = new(qrows)
	}
	nb := k / a.blockLen()
	q.a, q.k = a, k
	q.qs = grow(q.qs, m*k)
	q.d = grow(q.d, m*nb)
	if a == act32 {
		q.s, q.bsums = grow(q.s, m*nb), q.bsums[:0]
	} else {
		q.s, q.bsums = q.s[:0], grow(q.bsums, m*k/16)
	}
	q.rows = grow(q.rows, m)
	for r := range q.rows {
		q.rows[r] = q.view(r)
	}
	grain := max(1, (1<<16)/max(k, 1))
	parallel.For(m, grain, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, qr := x[r*k:(r+1)*k], q.row(r)
			if a == act32 {
				active.quantQ8_1(qr, xr)
			} else {
				active.quantQ8K(qr, xr)
			}
		}
	})
	return q
}

func putQrows(q *qrows) { qrowsPool.Put(q) }

// grow returns s resized to n, reallocated when its capacity is short.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// row returns row r.
func (q *qrows) row(r int) qrow { return q.rows[r] }

// view slices row r out of q's buffers.
func (q *qrows) view(r int) qrow {
	nb := q.k / q.a.blockLen()
	x := qrow{qs: q.qs[r*q.k : (r+1)*q.k], d: q.d[r*nb : (r+1)*nb]}
	if q.a == act32 {
		x.s = q.s[r*nb : (r+1)*nb]
	} else {
		x.bsums = q.bsums[r*q.k/16 : (r+1)*q.k/16]
	}
	return x
}

// quantizeQ8_1 is ggml's quantize_row_q8_1_ref (whose quants and d are
// quantize_row_q8_0_ref's): per block d = amax/127 stored as a half, q =
// round(x/d) (half away from zero), s = d·Σq stored as a half. The halves
// are kept widened.
func quantizeQ8_1(y qrow, x []float32) {
	for b := range y.d {
		xb, qb := x[b*quant.QK:(b+1)*quant.QK], y.qs[b*quant.QK:(b+1)*quant.QK]
		var amax float32
		for _, v := range xb {
			if a := abs32(v); !(amax > a) {
				amax = a
			}
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		sum := 0
		for j, v := range xb {
			q := int8(math.Round(float64(float32(v * id))))
			qb[j] = q
			sum += int(q)
		}
		y.d[b] = roundHalf(d)
		y.s[b] = roundHalf(float32(sum) * d)
	}
}

// quantizeQ8K is ggml's quantize_row_q8_K_ref: per block of 256 the value
// of largest magnitude max (the first such), iscale = −127/max, q =
// min(127, round-to-even(iscale·x)), d = 1/iscale; an all-zero block gets
// d = 0.
func quantizeQ8K(y qrow, x []float32) {
	for b := range y.d {
		xb, qb := x[b*quant.QKK:(b+1)*quant.QKK], y.qs[b*quant.QKK:(b+1)*quant.QKK]
		var amax, mx float32
		for _, v := range xb {
			if a := abs32(v); amax < a {
				amax, mx = a, v
			}
		}
		sums := y.bsums[b*quant.QKK/16 : (b+1)*quant.QKK/16]
		if amax == 0 {
			y.d[b] = 0
			clear(qb)
			clear(sums)
			continue
		}
		iscale := -127 / mx
		for j, v := range xb {
			qb[j] = int8(min(127, int(math.RoundToEven(float64(float32(iscale*v))))))
		}
		for j := range sums {
			var s int16
			for _, q := range qb[16*j : 16*j+16] {
				s += int16(q)
			}
			sums[j] = s
		}
		y.d[b] = 1 / iscale
	}
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// roundHalf rounds f to the nearest half-precision value, as ggml stores it.
func roundHalf(f float32) float32 { return quant.FP16ToFP32(quant.FP32ToFP16(f)) }
