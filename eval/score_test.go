package eval

import (
	"math"
	"testing"
)

func TestCompareRows(t *testing.T) {
	// p = softmax(0, ln 3) = (1/4, 3/4), q = softmax(0, 0) = (1/2, 1/2).
	p := []float32{0, float32(math.Log(3))}
	q := []float32{0, 0}
	got := compareRows(p, q, 1)
	wantKL := 0.25*math.Log(0.5) + 0.75*math.Log(1.5)
	if math.Abs(got.kl-wantKL) > 1e-6 {
		t.Errorf("KL %.7f, want %.7f", got.kl, wantKL)
	}
	if math.Abs(got.nll-math.Log(2)) > 1e-6 {
		t.Errorf("NLL %.7f, want ln 2", got.nll)
	}
	if math.Abs(got.dp-(0.5-0.75)) > 1e-6 {
		t.Errorf("Δp %.7f, want −0.25", got.dp)
	}
	if got.agrees {
		t.Error("top-1 of p is token 1, of q token 0: they should disagree")
	}
	same := compareRows(p, p, 0)
	if same.kl != 0 || same.dp != 0 || !same.agrees {
		t.Errorf("a row against itself: %+v, want KL 0, Δp 0, agreement", same)
	}
}

func TestStdErrMatchesLlamaCpp(t *testing.T) {
	// llama-perplexity: sqrt((Σx²/n − mean²)/(n−1)).
	xs := []float64{1, 2, 4, 7}
	var s, s2 float64
	for _, x := range xs {
		s += x
		s2 += x * x
	}
	n := float64(len(xs))
	want := math.Sqrt((s2/n - (s/n)*(s/n)) / (n - 1))
	if got := stdErr(s, s2, len(xs)); math.Abs(got-want) > 1e-12 {
		t.Errorf("stdErr %g, want %g", got, want)
	}
	if stdErr(3, 9, 1) != 0 {
		t.Error("one value has no standard error")
	}
}
