package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gollm/gollm/weights"
)

// reference is what tools/fixtures/make_fixtures.py records from HF
// transformers for each fixture model.
type reference struct {
	Arch     string      `json:"arch"`
	InputIDs []int       `json:"input_ids"`
	Logits   [][]float64 `json:"logits"`
	NLL      []float64   `json:"nll"`
	PPL      float64     `json:"ppl"`
	Greedy   struct {
		PromptIDs []int `json:"prompt_ids"`
		IDs       []int `json:"ids"`
	} `json:"greedy"`
}

func fixtureDirs(t *testing.T) []string {
	dirs, _ := filepath.Glob("../testdata/models/*/reference.json")
	if len(dirs) == 0 {
		t.Skip("no fixtures under testdata/models (make them with tools/fixtures)")
	}
	for i, d := range dirs {
		dirs[i] = filepath.Dir(d)
	}
	return dirs
}

func loadFixture(t *testing.T, dir string) (*Model, *reference) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return openModel(t, dir), &ref
}

// allLogits runs ids through a fresh state and returns logits [n×vocab].
func allLogits(t *testing.T, m *Model, ids []int) []float32 {
	t.Helper()
	st := m.NewState(len(ids))
	h, err := m.Forward(st, ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(ids)*m.VocabSize())
	m.Logits(out, h, len(ids))
	return out
}

func TestFixturesMatchTransformers(t *testing.T) {
	for _, dir := range fixtureDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, ref := loadFixture(t, dir)
			v := m.VocabSize()
			got := allLogits(t, m, ref.InputIDs)
			var maxRef, maxDiff float64
			for i, row := range ref.Logits {
				for j, want := range row {
					maxRef = math.Max(maxRef, math.Abs(want))
					maxDiff = math.Max(maxDiff, math.Abs(float64(got[i*v+j])-want))
				}
			}
			if maxDiff > 1e-4*maxRef {
				t.Errorf("max |logit − transformers| = %.3g > 1e-4 × max |logit| (%.3g)", maxDiff, maxRef)
			}
			var sum float64
			for i := 0; i+1 < len(ref.InputIDs); i++ {
				row := got[i*v : (i+1)*v]
				sum += logSumExp64(row) - float64(row[ref.InputIDs[i+1]])
			}
			ppl := math.Exp(sum / float64(len(ref.InputIDs)-1))
			if rel := math.Abs(ppl-ref.PPL) / ref.PPL; rel > 1e-5 {
				t.Errorf("perplexity %.8g, transformers %.8g (relative error %.2g > 1e-5)", ppl, ref.PPL, rel)
			}
			gen, err := m.Generate(m.NewState(len(ref.Greedy.PromptIDs)+len(ref.Greedy.IDs)), ref.Greedy.PromptIDs,
				GenerateOptions{MaxTokens: len(ref.Greedy.IDs), Sampler: NewSampler(SamplerConfig{})}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gen, ref.Greedy.IDs) {
				t.Errorf("greedy ids\n got %v\nwant %v", gen, ref.Greedy.IDs)
			}
		})
	}
}

// prefillThenDecode runs ids[:split] as one forward pass into st, then the
// rest one token at a time, and returns the logits of every position.
func prefillThenDecode(t *testing.T, m *Model, st *State, ids []int, split int) []float32 {
	t.Helper()
	v := m.VocabSize()
	got := make([]float32, len(ids)*v)
	h, err := m.Forward(st, ids[:split], nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Logits(got, h, split)
	for i := split; i < len(ids); i++ {
		if h, err = m.Forward(st, ids[i:i+1], nil); err != nil {
			t.Fatal(err)
		}
		m.Logits(got[i*v:(i+1)*v], h, 1)
	}
	return got
}

// TestDecodeMatchesPrefill checks the KV cache: feeding tokens one at a
// time gives the logits of one forward over the whole sequence.
func TestDecodeMatchesPrefill(t *testing.T) {
	for _, dir := range fixtureDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, ref := loadFixture(t, dir)
			ids := ref.InputIDs[:12]
			full := allLogits(t, m, ids)
			got := prefillThenDecode(t, m, m.NewState(len(ids)), ids, 5)
			for i, want := range full {
				if d := math.Abs(float64(got[i] - want)); d > 1e-4*(1+math.Abs(float64(want))) {
					t.Fatalf("position %d logit %d: decode %g, prefill %g", i/m.VocabSize(), i%m.VocabSize(), got[i], want)
				}
			}
		})
	}
}

func logSumExp64(x []float32) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}

// TestKVCacheTypes checks 16-bit KV caches on every fixture: a prefill
// and token-by-token decode (both cache paths) stay within the rounding of
// the stored keys and values of the float32 cache's logits.
func TestKVCacheTypes(t *testing.T) {
	for _, dir := range fixtureDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, ref := loadFixture(t, dir)
			ids := ref.InputIDs[:12]
			full := allLogits(t, m, ids)
			for _, kv := range []weights.DType{weights.F16, weights.BF16} {
				got := prefillThenDecode(t, m, m.NewStateOf(len(ids), kv), ids, 6)
				tol := 2e-2 // bf16 keeps 8 bits of mantissa
				if kv == weights.F16 {
					tol = 2e-3
				}
				var maxDiff, maxRef float64
				for i := range full {
					maxDiff = math.Max(maxDiff, math.Abs(float64(got[i]-full[i])))
					maxRef = math.Max(maxRef, math.Abs(float64(full[i])))
				}
				if maxDiff > tol*maxRef {
					t.Errorf("%s cache: max |logit − f32 cache| = %.3g > %g × %.3g", kv, maxDiff, tol, maxRef)
				}
				if maxDiff == 0 {
					t.Errorf("%s cache: logits identical to the f32 cache: was the cache rounded at all?", kv)
				}
			}
		})
	}
}
