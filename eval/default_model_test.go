package eval

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/weights"
)

// TestDefaultModelHeldout checks the embedded default model on the
// project's own held-out text against the perplexity transformers computed
// at training time (weights/default/reference.json), and its greedy
// continuation of "Once upon a time".
func TestDefaultModelHeldout(t *testing.T) {
	raw, err := weights.Default.ReadFile(weights.DefaultDir + "/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Heldout struct {
			IDs []int   `json:"ids"`
			PPL float64 `json:"ppl"`
		} `json:"heldout"`
		Greedy struct {
			PromptIDs []int `json:"prompt_ids"`
			IDs       []int `json:"ids"`
		} `json:"greedy"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	m, ids := defaultModel(t)
	if len(ids) != len(ref.Heldout.IDs) {
		t.Fatalf("heldout.txt encodes to %d tokens, transformers had %d", len(ids), len(ref.Heldout.IDs))
	}
	plan := attention.NewPlan(repeat(attention.Kernel(attention.Flash{}), m.Layers()))
	res, err := Windows(m, ids, len(ids), 1, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rel := math.Abs(res.PPL-ref.Heldout.PPL) / ref.Heldout.PPL; rel > 1e-4 {
		t.Errorf("heldout perplexity %.6f, transformers %.6f: relative error %.2g > 1e-4", res.PPL, ref.Heldout.PPL, rel)
	}
	g := ref.Greedy
	got, err := m.Generate(m.NewState(len(g.PromptIDs)+len(g.IDs)), g.PromptIDs,
		model.GenerateOptions{MaxTokens: len(g.IDs), Plan: plan, Sampler: model.NewSampler(model.SamplerConfig{})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.IDs {
		if i >= len(got) || got[i] != g.IDs[i] {
			t.Fatalf("greedy ids\n got %v\nwant %v", got, g.IDs)
		}
	}
}
