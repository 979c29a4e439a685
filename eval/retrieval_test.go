package eval

import (
	"context"
	"math"
	"testing"

	"github.com/gollm/gollm/attention"
)

// TestRetrievalChecks runs the probe on the default model (which does not
// copy, nor does gutenberg-llama-19m: only the mechanics are checked): the same figures under Exact
// and the float64 Reference, values in range, and bad specs refused.
func TestRetrievalChecks(t *testing.T) {
	m, ids := defaultModel(t)
	spec := RetrievalSpec{Ctx: 256, Span: 32, Distances: []int{64, 0}, Windows: 2}
	exact := attention.NewPlan(repeat(attention.Kernel(attention.Exact{}), m.Layers()))
	a, err := Retrieval(context.Background(), m, ids, spec, exact)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Retrieval(context.Background(), m, ids, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if math.Abs(a[i].NLL-b[i].NLL) > 1e-4 || math.Abs(a[i].BaseNLL-b[i].BaseNLL) > 1e-4 || a[i].Accuracy != b[i].Accuracy {
			t.Errorf("distance %d: exact %+v, reference %+v", a[i].Distance, a[i], b[i])
		}
		if a[i].Accuracy < 0 || a[i].Accuracy > 1 || !(a[i].NLL > 0) || a[i].Windows != 2 {
			t.Errorf("out of range: %+v", a[i])
		}
	}
	for _, bad := range []RetrievalSpec{
		{Ctx: 256, Span: 1, Distances: []int{0}, Windows: 1},
		{Ctx: 40, Span: 32, Distances: []int{0}, Windows: 1},
		{Ctx: 256, Span: 32, Distances: []int{16}, Windows: 1},
		{Ctx: 256, Span: 32, Distances: []int{300}, Windows: 1},
		{Ctx: 256, Span: 32, Distances: []int{0}, Windows: 1 << 20},
		{Ctx: 256, Span: 32, Windows: 1},
	} {
		if _, err := Retrieval(context.Background(), m, ids, bad, exact); err == nil {
			t.Errorf("spec %+v accepted", bad)
		}
	}
}
