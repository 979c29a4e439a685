package kernels

import (
	"math"

	"github.com/x448/float16"
)

// goImpl is the portable fallback: plain Go loops, any architecture.
var goImpl = &impl{
	name: "go",
	mr:   4, nr: 4, mc: 128, kc: 256, nc: 2048,
	gemm:            gemm4x4Go,
	gemvF32:         gemvGo(dotF32Go),
	gemvBF16:        gemvGo(dotBF16Go),
	gemvF16:         gemvGo(dotF16Go),
	qdots:           goQdots,
	quantQ8_1:       quantizeQ8_1,
	quantQ8K:        quantizeQ8K,
	cvtBF16:         cvtBF16Go,
	cvtF16:          cvtF16Go,
	axpy:            axpyGo,
	weightedSum:     weightedSumGo,
	weightedSumF16:  weightedSumF16Go,
	weightedSumBF16: weightedSumBF16Go,
	transpose:       transposeGo,
	siluMul:         siluMulGo,
	geluTanh:        geluTanhGo,
	sumExp:          sumExpGo,
	expSub:          expSubGo,
	maxf:            maxGo,
	tileMulAdd:      tileMulAddGo,
}

// gemm4x4Go is the portable micro-kernel over 4×4 tiles.
func gemm4x4Go(kc int, a, b, c []float32, ldc int, acc bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	a, b = a[:4*kc], b[:4*kc]
	for p := 0; p < 4*kc; p += 4 {
		b0, b1, b2, b3 := b[p], b[p+1], b[p+2], b[p+3]
		a0, a1, a2, a3 := a[p], a[p+1], a[p+2], a[p+3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	tile := [16]float32{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
	for i := 0; i < 4; i++ {
		row := c[i*ldc : i*ldc+4]
		for j, v := range tile[4*i : 4*i+4] {
			if acc {
				v += row[j]
			}
			row[j] = v
		}
	}
}

// gemvGo builds a GEMV from a dot product: out[r·ldo + j] = x[r] · w[j].
func gemvGo[W float32 | uint16](dot func([]float32, []W) float32) func([]float32, []float32, int, []W, int, []float32, int) {
	return func(x, _ []float32, m int, w []W, n int, out []float32, ldo int) {
		k := len(x) / m
		for r := range m {
			xr, or := x[r*k:(r+1)*k], out[r*ldo:][:n]
			for j := range or {
				or[j] = dot(xr, w[j*k:(j+1)*k])
			}
		}
	}
}

func dotF32Go(x, w []float32) float32 {
	var s float32
	w = w[:len(x)]
	for i, v := range x {
		s += v * w[i]
	}
	return s
}

func dotBF16Go(x []float32, w []uint16) float32 {
	var s float32
	w = w[:len(x)]
	for i, v := range x {
		s += v * math.Float32frombits(uint32(w[i])<<16)
	}
	return s
}

func dotF16Go(x []float32, w []uint16) float32 {
	var s float32
	w = w[:len(x)]
	for i, v := range x {
		s += v * float16.Frombits(w[i]).Float32()
	}
	return s
}

func cvtBF16Go(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = math.Float32frombits(uint32(v) << 16)
	}
}

func cvtF16Go(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float16.Frombits(v).Float32()
	}
}

func weightedSumF16Go(out, p []float32, v []uint16) {
	d := len(out)
	for j, pj := range p {
		for c, x := range v[j*d : (j+1)*d] {
			out[c] += pj * float16.Frombits(x).Float32()
		}
	}
}

func weightedSumBF16Go(out, p []float32, v []uint16) {
	d := len(out)
	for j, pj := range p {
		for c, x := range v[j*d : (j+1)*d] {
			out[c] += pj * math.Float32frombits(uint32(x)<<16)
		}
	}
}

func weightedSumGo(out, p, v []float32) {
	d := len(out)
	for j, pj := range p {
		for c, x := range v[j*d : (j+1)*d] {
			out[c] += pj * x
		}
	}
}

func axpyGo(y []float32, a float32, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

func transposeGo(dst []float32, ds int, src []float32, ss, rows, cols int) {
	for r := 0; r < rows; r++ {
		for p, v := range src[r*ss : r*ss+cols] {
			dst[p*ds+r] = v
		}
	}
}

func siluMulGo(gate, up []float32) {
	up = up[:len(gate)]
	for i, g := range gate {
		gate[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
	}
}

// geluTanhGo uses 0.5·u·(1 + tanh(z)) = u / (1 + exp(−2z)), which keeps
// full relative accuracy where tanh(z) rounds to −1.
func geluTanhGo(x []float32) {
	const c = 0.7978845608028654 // sqrt(2/pi)
	for i, v := range x {
		u := float64(v)
		x[i] = float32(u / (1 + math.Exp(-2*c*(u+0.044715*u*u*u))))
	}
}

func sumExpGo(x []float32, shift float32) float64 {
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - float64(shift))
	}
	return s
}

func expSubGo(x []float32, m float32) float32 {
	var sum float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		sum += e
	}
	return sum
}

func tileMulAddGo(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, k, n int) {
	for i := 0; i < m; i++ {
		cr := c[i*ldc:][:n]
		for p, av := range a[i*lda:][:k] {
			if av == 0 {
				continue
			}
			for j, bv := range b[p*ldb:][:n] {
				cr[j] += av * bv
			}
		}
	}
}

// maxGo returns the largest value of x (−Inf when empty).
func maxGo(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	return m
}
