package model

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/gollm/gollm/loader"
)

const gutenbergDir = "../../shared/models/gutenberg-llama-19m"

// TestGutenbergGreedy checks the real trained models' greedy continuation
// of the reference prompt against transformers' ids.
func TestGutenbergGreedy(t *testing.T) {
	for _, name := range []string{"gutenberg-llama-19m", "gutenberg-llama-64m"} {
		t.Run(name, func(t *testing.T) { checkGreedy(t, "../../shared/models/"+name) })
	}
}

// checkGreedy compares the model in dir with the greedy ids of its
// reference file dir.reference.json.
func checkGreedy(t *testing.T, dir string) {
	b, err := os.ReadFile(dir + ".reference.json")
	if err != nil {
		t.Skipf("%s is absent: skipping the real-model check", dir)
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
	c, err := loader.Open(dir)
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
