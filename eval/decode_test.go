package eval

import (
	"math"
	"os"
	"testing"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/tokenizer"
	"github.com/gollm/gollm/weights"
)

// defaultModel loads the embedded model and encodes testdata/heldout.txt.
func defaultModel(t *testing.T) (*model.Model, []int) {
	t.Helper()
	c, err := loader.OpenFS(weights.Default, weights.DefaultDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	m, err := model.Load(c)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.LoadFS(c.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile("../testdata/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	return m, tok.Encode(string(text))
}

// evaluate runs settings over spans with decodeLast and returns the runs.
func evaluate(t *testing.T, m *model.Model, ids []int, spans []Span, settings []Setting, ref *attention.Plan, decodeLast int) []Run {
	t.Helper()
	ev, err := NewEvaluation(m, [][]int{ids}, spans, settings, ref)
	if err != nil {
		t.Fatal(err)
	}
	ev.DecodeLast = decodeLast
	if err := ev.Evaluate(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	return ev.Runs()
}

// TestDecodeLast: the last M targets scored through decode steps give the
// prefill's figures for the same targets; a Hyper plan whose prefill is
// exact (below min-seq) matches exact decoding until --hyper-decode makes
// its decode steps sublinear, which then shows in KL.
func TestDecodeLast(t *testing.T) {
	m, ids := defaultModel(t)
	const n, last = 256, 128
	if len(ids) < n {
		t.Fatalf("heldout.txt has %d tokens, want ≥ %d", len(ids), n)
	}
	ids = ids[:n]
	flash := attention.NewPlan(repeat(attention.Kernel(attention.Flash{}), m.Layers()))
	prefilled := evaluate(t, m, ids, []Span{{End: n, From: n - last}}, []Setting{{Plan: flash}}, nil, 0)[0]
	decoded := evaluate(t, m, ids, []Span{{End: n, From: 1}}, []Setting{{Plan: flash}}, nil, last)[0]
	if decoded.TokensScored != last || math.Abs(decoded.PPL-prefilled.PPL)/prefilled.PPL > 1e-5 {
		t.Errorf("decode-last %d: PPL %.6f over %d targets, prefill %.6f over %d", last, decoded.PPL, decoded.TokensScored, prefilled.PPL, prefilled.TokensScored)
	}
	pf := attention.DefaultPlanSpec()
	pf.HyperLayers = m.Layers()
	pf.Hyper.MinSeq, pf.Hyper.Block, pf.Hyper.Samples = n-last, 16, 8
	exactDecode, err := pf.Build(m.Layers(), 1)
	if err != nil {
		t.Fatal(err)
	}
	pf.HyperDecode = true
	hyperDecode, err := pf.Build(m.Layers(), 1)
	if err != nil {
		t.Fatal(err)
	}
	runs := evaluate(t, m, ids, []Span{{End: n, From: 1}}, []Setting{{Plan: exactDecode}, {Plan: hyperDecode}}, flash, last)
	if k := runs[0].KL; k == nil || k.MeanKL > 1e-9 || k.Top1 != 1 {
		t.Errorf("Hyper plan, exact decode: %+v, want KL 0 against Flash", k)
	}
	if k := runs[1].KL; k == nil || k.MeanKL < 1e-4 || runs[1].AttnSeconds <= 0 {
		t.Errorf("--hyper-decode: %+v (attention %.3g s), want a visible KL", k, runs[1].AttnSeconds)
	}
	ev, err := NewEvaluation(m, [][]int{ids}, []Span{{End: n, From: 200}}, []Setting{{Plan: flash}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev.DecodeLast = 100
	if err := ev.Evaluate(t.Context(), nil); err == nil {
		t.Error("decoding 100 targets of a window that scores 56: no error")
	}
}
