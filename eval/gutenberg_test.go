package eval

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/tokenizer"
)

var long = flag.Bool("long", false, "check every book and context of the gutenberg reference (minutes)")

const shared = "../../shared"

// gutenberg loads the shared gutenberg-llama-19m model and its tokenizer,
// or skips the test when ../shared is absent.
func gutenberg(t *testing.T) (*model.Model, tokenizer.Tokenizer) {
	t.Helper()
	dir := shared + "/models/gutenberg-llama-19m"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("../shared is absent: skipping the gutenberg-llama-19m check")
	}
	c, err := loader.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	m, err := model.Load(c)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m, tok
}

// book returns the token ids of a held-out book.
func book(t *testing.T, tok tokenizer.Tokenizer, name string) []int {
	t.Helper()
	text, err := os.ReadFile(shared + "/data/books/" + name + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	return tok.Encode(string(text))
}

func flashPlan(m *model.Model) *attention.Plan {
	return attention.NewPlan(repeat(attention.Kernel(attention.Flash{}), m.Layers()))
}

// TestGutenbergPerplexity compares gollm's windowed perplexity on the real
// trained model with the HF transformers reference: one book at 1024×8 by
// default, all four books at 1024×8, 4096×4 and 16384×2 with -long.
func TestGutenbergPerplexity(t *testing.T) {
	raw, err := os.ReadFile(shared + "/models/gutenberg-llama-19m.reference.json")
	if err != nil {
		t.Skip("../shared is absent: skipping the gutenberg-llama-19m perplexity check")
	}
	var ref struct {
		Books map[string]map[string]json.RawMessage `json:"books"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	m, tok := gutenberg(t)
	plan := flashPlan(m)
	books := []string{"moby_dick"}
	settings := [][2]int{{1024, 8}}
	if *long {
		books = []string{"frankenstein", "moby_dick", "pride_and_prejudice", "war_and_peace"}
		settings = [][2]int{{1024, 8}, {4096, 4}, {16384, 2}}
	}
	for _, name := range books {
		ids := book(t, tok, name)
		var count int
		json.Unmarshal(ref.Books[name]["tokens"], &count)
		if len(ids) != count {
			t.Fatalf("%s: %d tokens, reference %d", name, len(ids), count)
		}
		for _, s := range settings {
			key := fmt.Sprintf("ctx%d_windows%d", s[0], s[1])
			var want struct {
				PPL float64 `json:"ppl"`
			}
			if err := json.Unmarshal(ref.Books[name][key], &want); err != nil {
				t.Fatalf("%s %s: %v", name, key, err)
			}
			res, err := Windows(m, ids, s[0], s[1], plan, nil)
			if err != nil {
				t.Fatal(err)
			}
			rel := math.Abs(res.PPL-want.PPL) / want.PPL
			t.Logf("%s %s: ppl %.6f, transformers %.6f, relative error %.2g (%.1f s)", name, key, res.PPL, want.PPL, rel, res.Seconds)
			if rel > 1e-4 {
				t.Errorf("%s %s: ppl %.6f, transformers %.6f: relative error %.2g > 1e-4", name, key, res.PPL, want.PPL, rel)
			}
		}
	}
}

// TestLlamaCppHandComputed checks the llamacpp protocol against a direct
// computation: each chunk of 32 tokens through the model, a float64
// log-softmax of every row, targets 17..31 of each chunk, and
// llama-perplexity's "PPL ± ppl·sqrt((mean(x²) − mean²)/(n−1))".
func TestLlamaCppHandComputed(t *testing.T) {
	m, tok := gutenberg(t)
	const ctx = 32
	ids := book(t, tok, "moby_dick")[:3*ctx+5]
	plan := flashPlan(m)
	lay, err := Protocol{Name: ProtocolLlamaCpp, Ctx: ctx}.Spans([]int{len(ids)})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := NewEvaluation(m, [][]int{ids}, lay.Spans, []Setting{{Plan: plan}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Evaluate(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	got := ev.Runs()[0]

	var nlls []float64
	v, h := m.VocabSize(), m.HiddenSize()
	logits := make([]float32, v)
	for c := 0; c+ctx <= len(ids); c += ctx {
		chunk := ids[c : c+ctx]
		hidden, err := m.Forward(m.NewState(ctx), chunk, plan)
		if err != nil {
			t.Fatal(err)
		}
		for row := ctx / 2; row < ctx-1; row++ {
			m.Logits(logits, hidden[row*h:(row+1)*h], 1)
			var z float64
			for _, x := range logits {
				z += math.Exp(float64(x))
			}
			nlls = append(nlls, math.Log(z)-float64(logits[chunk[row+1]]))
		}
	}
	var s, s2 float64
	for _, x := range nlls {
		s += x
		s2 += x * x
	}
	n := float64(len(nlls))
	ppl := math.Exp(s / n)
	se := ppl * math.Sqrt((s2/n-(s/n)*(s/n))/(n-1))
	if got.TokensScored != 3*15 || got.Windows != 3 {
		t.Fatalf("scored %d tokens in %d chunks, want 45 in 3", got.TokensScored, got.Windows)
	}
	if math.Abs(got.PPL-ppl)/ppl > 1e-5 || math.Abs(got.PPLSE-se)/se > 1e-4 {
		t.Errorf("PPL = %.6f +/- %.6f, by hand %.6f +/- %.6f", got.PPL, got.PPLSE, ppl, se)
	}
}

// TestKLModes runs three settings against a Flash reference: Flash itself
// (the reference, not compared), Exact (the same distributions up to
// rounding) and HyperAttention in the last 4 layers (different ones).
func TestKLModes(t *testing.T) {
	m, tok := gutenberg(t)
	ids := book(t, tok, "frankenstein")[:256]
	ref := flashPlan(m)
	exact := attention.NewPlan(repeat(attention.Kernel(attention.Reference{}), m.Layers()))
	pf := attention.DefaultPlanSpec()
	pf.HyperLayers = 4
	pf.Hyper.MinSeq, pf.Hyper.Block, pf.Hyper.Samples = 32, 16, 16
	hyper, err := pf.Build(m.Layers(), 1)
	if err != nil {
		t.Fatal(err)
	}
	lay, _ := Protocol{Name: ProtocolWindows, Ctx: 256}.Spans([]int{len(ids)})
	settings := []Setting{{Plan: ref}, {Plan: exact}, {Plan: hyper, HyperLayers: 4, Pattern: "last", Seed: 1}}
	ev, err := NewEvaluation(m, [][]int{ids}, lay.Spans, settings, ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Evaluate(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	runs := ev.Runs()
	if runs[0].KL != nil {
		t.Error("the reference setting should carry no comparison with itself")
	}
	if k := runs[1].KL; k == nil || k.MeanKL > 1e-6 || k.Top1 < 0.999 || k.MaxADP > 1e-3 {
		t.Errorf("exact vs flash: %+v, want KL ≈ 0, top-1 ≈ 1, |Δp| ≈ 0", k)
	}
	if k := runs[2].KL; k == nil || k.MeanKL < 1e-4 || k.Top1 > 0.9999 || k.MedianADP > k.P99ADP {
		t.Errorf("hyper vs flash: %+v, want a visible KL and ordered percentiles", k)
	}
	if math.Abs(runs[1].PPL-runs[0].PPL)/runs[0].PPL > 1e-5 {
		t.Errorf("exact PPL %.6f vs flash %.6f", runs[1].PPL, runs[0].PPL)
	}
	for i, r := range runs {
		if r.TokensScored != 255 || r.AttnSeconds <= 0 || r.AttnSeconds > r.Seconds {
			t.Errorf("setting %d: %d tokens, attention %.3f s of %.3f s", i, r.TokensScored, r.AttnSeconds, r.Seconds)
		}
	}
	sums := Summarize(runs[:1])
	if len(sums) != 1 || sums[0].DeltaPct == nil || *sums[0].DeltaPct != 0 || *sums[0].Speedup != 1 {
		t.Errorf("summary of the baseline alone: %+v", sums)
	}
}

func repeat[T any](v T, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = v
	}
	return s
}
