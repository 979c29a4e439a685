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
	dir := shared + "/models/gutenberg-llama-19m"
	c, err := loader.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m, err := model.Load(c)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	plan := attention.NewPlan(repeat(attention.Kernel(attention.Flash{}), m.Layers()))
	books := []string{"moby_dick"}
	settings := [][2]int{{1024, 8}}
	if *long {
		books = []string{"frankenstein", "moby_dick", "pride_and_prejudice", "war_and_peace"}
		settings = [][2]int{{1024, 8}, {4096, 4}, {16384, 2}}
	}
	for _, book := range books {
		text, err := os.ReadFile(shared + "/data/books/" + book + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		ids := tok.Encode(string(text))
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

func repeat[T any](v T, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = v
	}
	return s
}
