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
	return sharedModel(t, "gutenberg-llama-19m")
}

// sharedModel loads ../shared/models/NAME and its tokenizer, or skips the
// test when it is absent.
func sharedModel(t *testing.T, name string) (*model.Model, tokenizer.Tokenizer) {
	t.Helper()
	dir := shared + "/models/" + name
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("../shared is absent: skipping the %s check", name)
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

// bookIDs returns the token ids of a held-out book.
func bookIDs(t *testing.T, tok tokenizer.Tokenizer, name string) []int {
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
// trained models with the HF transformers references: one book at 1024×8
// by default, all four books at 1024×8, 4096×4, 16384×2 (and, for the 64m
// model trained at 32k, 32768×1) with -long.
func TestGutenbergPerplexity(t *testing.T) {
	for _, c := range []struct {
		name string
		long [][2]int
	}{
		{"gutenberg-llama-19m", [][2]int{{1024, 8}, {4096, 4}, {16384, 2}}},
		{"gutenberg-llama-64m", [][2]int{{1024, 8}, {4096, 4}, {16384, 2}, {32768, 1}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			books, settings := []string{"moby_dick"}, [][2]int{{1024, 8}}
			if *long {
				books = []string{"frankenstein", "moby_dick", "pride_and_prejudice", "war_and_peace"}
				settings = c.long
			}
			checkReferencePPL(t, c.name, books, settings)
		})
	}
}

// checkReferencePPL evaluates the shared model name on each book at each
// {ctx, windows} setting and compares the perplexity with the one in
// name.reference.json (relative error ≤ 1e-4).
func checkReferencePPL(t *testing.T, name string, books []string, settings [][2]int) {
	raw, err := os.ReadFile(shared + "/models/" + name + ".reference.json")
	if err != nil {
		t.Skipf("../shared is absent: skipping the %s perplexity check", name)
	}
	var ref struct {
		Books map[string]map[string]json.RawMessage `json:"books"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	m, tok := sharedModel(t, name)
	plan := flashPlan(m)
	for _, book := range books {
		ids := bookIDs(t, tok, book)
		var count int
		json.Unmarshal(ref.Books[book]["tokens"], &count)
		if len(ids) != count {
			t.Fatalf("%s: %d tokens, reference %d", book, len(ids), count)
		}
		for _, s := range settings {
			key := fmt.Sprintf("ctx%d_windows%d", s[0], s[1])
			var want struct {
				PPL float64 `json:"ppl"`
			}
			if err := json.Unmarshal(ref.Books[book][key], &want); err != nil {
				t.Fatalf("%s %s: %v", book, key, err)
			}
			res, err := Windows(m, ids, s[0], s[1], plan, nil)
			if err != nil {
				t.Fatal(err)
			}
			rel := math.Abs(res.PPL-want.PPL) / want.PPL
			t.Logf("%s %s: ppl %.6f, transformers %.6f, relative error %.2g (%.1f s)", book, key, res.PPL, want.PPL, rel, res.Seconds)
			if rel > 1e-4 {
				t.Errorf("%s %s: ppl %.6f, transformers %.6f: relative error %.2g > 1e-4", book, key, res.PPL, want.PPL, rel)
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
	ids := bookIDs(t, tok, "moby_dick")[:3*ctx+5]
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
	ids := bookIDs(t, tok, "frankenstein")[:256]
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
