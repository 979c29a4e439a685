package model

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/gollm/gollm/loader"
)

const gutenbergDir = "../../shared/models/gutenberg-llama-19m"

// TestGutenbergGreedy checks the real trained model's greedy continuation
// of the reference prompt against transformers' ids.
func TestGutenbergGreedy(t *testing.T) {
	b, err := os.ReadFile(gutenbergDir + ".reference.json")
	if err != nil {
		t.Skip("../shared/models/gutenberg-llama-19m is absent: skipping the real-model check")
	}
	var ref struct {
		Greedy struct {
			PromptIDs []int `json:"prompt_ids"`
			IDs       []int `json:"ids"`
		} `json:"greedy"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	c, err := loader.Open(gutenbergDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m, err := Load(c)
	if err != nil {
		t.Fatal(err)
	}
	g := ref.Greedy
	got, err := m.Generate(m.NewState(len(g.PromptIDs)+len(g.IDs)), g.PromptIDs,
		GenerateOptions{MaxTokens: len(g.IDs), Sampler: NewSampler(SamplerConfig{})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, g.IDs) {
		t.Errorf("greedy ids\n got %v\nwant %v", got, g.IDs)
	}
}
