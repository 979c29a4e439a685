package eval

import (
	"context"
	"strings"
	"testing"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/tokenizer"
	"github.com/gollm/gollm/weights"
)

// TestPasskeyPrompt checks where the key sits: at the start for depth 0,
// before the last filler sentence's end for depth 1, halfway for 0.5.
func TestPasskeyPrompt(t *testing.T) {
	sentences := strings.SplitAfter(passkeyFiller, ". ")
	sentences = sentences[:len(sentences)-1]
	for _, c := range []struct {
		depth  float64
		lo, hi float64 // the key's position as a share of the filler
	}{{0, 0, 0.01}, {0.5, 0.45, 0.55}, {1, 0.97, 1}} {
		p := passkeyPrompt(sentences, 200, c.depth, 12345)
		body := strings.TrimSuffix(strings.TrimPrefix(p, passkeyIntro), passkeyQuestion)
		at := strings.Index(body, "The pass key is 12345.")
		if at < 0 || strings.Count(p, "12345") != 2 {
			t.Fatalf("depth %g: the key's sentence is missing: %q", c.depth, p)
		}
		if share := float64(at) / float64(len(body)); share < c.lo || share > c.hi {
			t.Errorf("depth %g: key at %.3f of the filler, want [%g, %g]", c.depth, share, c.lo, c.hi)
		}
	}
}

// TestPasskey runs the grid on the default model (which cannot answer:
// only the mechanics are checked): prompt lengths near the asked ones,
// one cell per (length, depth), accuracies in range; bad specs refused.
func TestPasskey(t *testing.T) {
	m, _ := defaultModel(t)
	tok, err := tokenizer.LoadFS(weights.Default, weights.DefaultDir)
	if err != nil {
		t.Fatal(err)
	}
	spec := PasskeySpec{Lengths: []int{256, 512}, Depths: []float64{0, 1}, Trials: 2, Seed: 1}
	if err := spec.Validate(m.Config.MaxPositions); err != nil {
		t.Fatal(err)
	}
	plan := attention.NewPlan(repeat(attention.Kernel(attention.Flash{}), m.Layers()))
	cells, err := Passkey(context.Background(), m, tok, tok.Encode, spec, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 4 {
		t.Fatalf("%d cells, want 4", len(cells))
	}
	for i, c := range cells {
		want := spec.Lengths[i/2]
		if c.Length < want*9/10 || c.Length > want*11/10 || c.Accuracy < 0 || c.Accuracy > 1 || c.Trials != 2 {
			t.Errorf("cell %+v: want about %d tokens", c, want)
		}
	}
	for _, bad := range []PasskeySpec{
		{Lengths: []int{256}, Depths: []float64{1.5}, Trials: 1},
		{Lengths: []int{10}, Depths: []float64{0}, Trials: 1},
		{Lengths: []int{1 << 20}, Depths: []float64{0}, Trials: 1},
		{Lengths: []int{256}, Depths: []float64{0}, Trials: 0},
		{Depths: []float64{0}, Trials: 1},
	} {
		if err := bad.Validate(m.Config.MaxPositions); err == nil {
			t.Errorf("spec %+v accepted", bad)
		}
	}
}
