package kernels

import "math"

// Axpy computes y[i] += a*x[i].
func Axpy(y []float32, a float32, x []float32) { active.axpy(y, a, x) }

// WeightedSum computes out[c] += Σ_j p[j]·v[j·d + c] for c < d = len(out)
// and j < len(p): a probability-weighted sum of the rows of v ([len(p)×d]).
func WeightedSum(out, p, v []float32) { active.weightedSum(out, p, v) }

// WeightedSumF16 is WeightedSum with v stored as half-precision bits.
func WeightedSumF16(out, p []float32, v []uint16) { active.weightedSumF16(out, p, v) }

// WeightedSumBF16 is WeightedSum with v stored as bfloat16 bits.
func WeightedSumBF16(out, p []float32, v []uint16) { active.weightedSumBF16(out, p, v) }

// DotRows sets out[r·n + j] = x[r] · w[j] for the m rows of x (length
// k = len(x)/m ≥ 1) and the n = len(out)/m rows of w, on the calling
// goroutine (MatMulF32 without its thread split): a few queries' scores
// against a run of cached keys, each key read once for all of them.
func DotRows(out, x []float32, m int, w []float32) {
	n, k := len(out)/m, len(x)/m
	active.gemvF32(x, nil, m, w[:n*k], n, out, n)
}

// DotRowsF16 is DotRows with w stored as half-precision bits.
func DotRowsF16(out, x []float32, m int, w []uint16) {
	n, k := len(out)/m, len(x)/m
	active.gemvF16(x, nil, m, w[:n*k], n, out, n)
}

// DotRowsBF16 is DotRows with w stored as bfloat16 bits.
func DotRowsBF16(out, x []float32, m int, w []uint16) {
	n, k := len(out)/m, len(x)/m
	active.gemvBF16(x, nil, m, w[:n*k], n, out, n)
}

// ExpSub replaces x[i] by exp(x[i] − m) and returns their sum (the
// numerators and denominator of a softmax whose max is m). The vector
// exp's relative error is below 2⁻²³ (2 ulp) for −87 ≤ x[i] − m ≤ 88.37;
// below −87 (and at −Inf) it gives 0, above it is clamped to stay finite.
// The portable version, which also takes the last len(x) mod 8 elements,
// uses math.Exp.
func ExpSub(x []float32, m float32) float32 { return active.expSub(x, m) }

// Max returns the largest element of x (−Inf when x is empty).
func Max(x []float32) float32 { return active.maxf(x) }

// Transpose writes dst[p·ds + r] = src[r·ss + p] for r < rows and p < cols:
// a rows×cols block of src (row stride ss) into dst as cols×rows (row
// stride ds).
func Transpose(dst []float32, ds int, src []float32, ss, rows, cols int) {
	if rows > 0 && cols > 0 {
		_ = dst[(cols-1)*ds+rows-1]
		_ = src[(rows-1)*ss+cols-1]
		active.transpose(dst, ds, src, ss, rows, cols)
	}
}

// Add computes y[i] += x[i] (the vector loop of Axpy: 1·x + y rounds once,
// to the same sum).
func Add(y, x []float32) { active.axpy(y, 1, x) }

// RMSNorm writes x / sqrt(mean(x²) + eps) * w into dst (dst may alias x).
// The mean is accumulated in float64, in four interleaved partial sums
// (one dependent chain of float64 adds was most of its time).
func RMSNorm(dst, x, w []float32, eps float32) {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, d := float64(x[i]), float64(x[i+1]), float64(x[i+2]), float64(x[i+3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i]) * float64(x[i])
	}
	ss := (s0 + s1) + (s2 + s3)
	r := float32(1 / math.Sqrt(ss/float64(len(x))+float64(eps)))
	w = w[:len(x)]
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = v * r * w[i]
	}
}

// LayerNorm writes (x − mean) / sqrt(var + eps) * w + b into dst (dst may
// alias x; b may be nil).
func LayerNorm(dst, x, w, b []float32, eps float32) {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	mean := s / float64(len(x))
	var ss float64
	for _, v := range x {
		d := float64(v) - mean
		ss += d * d
	}
	r := 1 / math.Sqrt(ss/float64(len(x))+float64(eps))
	for i, v := range x {
		y := float32((float64(v)-mean)*r) * w[i]
		if b != nil {
			y += b[i]
		}
		dst[i] = y
	}
}

// SiLUMul computes gate[i] = silu(gate[i]) * up[i], the SwiGLU activation.
// The vectorised exp is accurate to a few ulp.
func SiLUMul(gate, up []float32) { active.siluMul(gate, up) }

// GELUTanh applies the tanh approximation of GELU in place ("gelu_new",
// "gelu_pytorch_tanh" in HF configs); the vectorised form is accurate to a
// few ulp.
func GELUTanh(x []float32) { active.geluTanh(x) }

// GELU applies the exact (erf) GELU in place ("gelu" in HF configs).
func GELU(x []float32) {
	for i, v := range x {
		u := float64(v)
		x[i] = float32(0.5 * u * (1 + math.Erf(u/math.Sqrt2)))
	}
}

// LogSumExp returns log Σ exp(x) of a row (−Inf for an empty row), with
// partial sums accumulated in float64; the NLL of token t is
// LogSumExp(x) − x[t].
func LogSumExp(x []float32) float64 {
	mx := active.maxf(x)
	if math.IsInf(float64(mx), 0) || mx != mx {
		return float64(mx)
	}
	return float64(mx) + math.Log(active.sumExp(x, mx))
}
