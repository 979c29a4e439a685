package attention

import "math"

// gemm computes c[m×n] += a[m×k] · b[k×n] (all row-major with the given
// leading dimensions). It is the only matrix product of the tiles: scores
// against a transposed key tile, and probabilities against a value tile.
func gemm(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, k, n int) {
	if m <= 0 || k <= 0 || n <= 0 {
		return
	}
	// Bounds are checked once here so the assembly can run unchecked.
	_ = c[(m-1)*ldc+n-1]
	_ = a[(m-1)*lda+k-1]
	_ = b[(k-1)*ldb+n-1]
	m4 := m &^ 3
	n16 := n &^ 15
	if useSIMD && m4 > 0 && n16 > 0 {
		for i := 0; i < m4; i += 4 {
			for j := 0; j < n16; j += 16 {
				gemm4x16(&c[i*ldc+j], ldc, &a[i*lda], lda, &b[j], ldb, k)
			}
		}
		if n16 < n {
			gemmGo(c[n16:], ldc, a, lda, b[n16:], ldb, m4, k, n-n16)
		}
		if m4 < m {
			gemmGo(c[m4*ldc:], ldc, a[m4*lda:], lda, b, ldb, m-m4, k, n)
		}
		return
	}
	gemmGo(c, ldc, a, lda, b, ldb, m, k, n)
}

// gemmGo is the portable gemm.
func gemmGo(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, m, k, n int) {
	for i := 0; i < m; i++ {
		cr := c[i*ldc:][:n]
		ar := a[i*lda:][:k]
		for p, av := range ar {
			if av == 0 {
				continue
			}
			br := b[p*ldb:][:n]
			for j := range cr {
				cr[j] += av * br[j]
			}
		}
	}
}

// expSub replaces x[i] by exp(x[i] − m) and returns their sum. Arguments
// below −87 give 0; the relative error is under 3e-7.
func expSub(x []float32, m float32) float32 {
	var sum float32
	n8 := len(x) &^ 7
	if useSIMD && n8 > 0 {
		sum = expSub8(&x[0], n8, m)
	} else {
		n8 = 0
	}
	for i := n8; i < len(x); i++ {
		e := exp32(x[i] - m)
		x[i] = e
		sum += e
	}
	return sum
}

// exp32 is the scalar twin of the vector exponential in expSub8:
// e^x = 2^r · e^f with r = round(x·log2 e) and f = x − r·ln 2 (ln 2 in two
// parts, so f is accurate), e^f by its degree-6 Taylor polynomial on
// |f| ≤ ln2/2. Arguments below expMin give 0.
func exp32(x float32) float32 {
	if !(x >= expMin) {
		return 0
	}
	r := float32(math.RoundToEven(float64(x * math.Log2E)))
	f := x - r*ln2Hi - r*ln2Lo
	p := float32(1.0 / 720)
	p = p*f + 1.0/120
	p = p*f + 1.0/24
	p = p*f + 1.0/6
	p = p*f + 0.5
	p = p*f + 1
	p = p*f + 1
	return p * math.Float32frombits(uint32(int32(r)+127)<<23)
}

// The two parts of ln 2 (the high part has few bits, so r·ln2Hi is exact),
// and the argument below which exp32 and expSub8 return 0 (2^-126 is the
// smallest normal float32).
const (
	ln2Hi  = 0.693359375
	ln2Lo  = -2.12194440e-4
	expMin = -87.0
)
