package llama2c

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/tokenizer"
)

// storiesDir returns ../shared/data/stories260K, found by walking up from
// the package directory, or skips the test when it is absent.
func storiesDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "data", "stories260K")
		if _, err := os.Stat(filepath.Join(p, "stories260K.bin")); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/data/stories260K not found above the package directory; skipping the stories260K check")
		}
		dir = parent
	}
}

// convertStories converts stories260K into a temporary HF folder and loads
// it.
func convertStories(t *testing.T, src, name string) (*model.Model, string) {
	t.Helper()
	c, err := ReadFile(filepath.Join(src, name))
	if err != nil {
		t.Fatal(err)
	}
	v, err := ReadVocabFile(filepath.Join(src, "tok512.bin"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := WriteHF(context.Background(), out, c, v); err != nil {
		t.Fatal(err)
	}
	ck, err := loader.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.Close() })
	m, err := model.Load(ck)
	if err != nil {
		t.Fatal(err)
	}
	return m, out
}

// TestStoriesGreedy checks that the converted stories260K reproduces
// llama2.c's published greedy run (`run stories260K.bin -z tok512.bin
// -t 0.0 -n 200`): the same ids, and through the written tokenizer.json
// the same bytes.
func TestStoriesGreedy(t *testing.T) {
	src := storiesDir(t)
	m, out := convertStories(t, src, "stories260K.bin")
	want := readInts(t, filepath.Join(src, "expected_greedy_200steps.ids.txt"))
	wantText, err := os.ReadFile(filepath.Join(src, "expected_greedy_200steps.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// llama2.c starts from BOS alone, takes at most 200 steps, and stops if
	// the model produces BOS.
	const steps = 200
	opts := model.GenerateOptions{
		MaxTokens: steps,
		Sampler:   model.NewSampler(model.SamplerConfig{}),
		Stop:      func(id int) bool { return id == bosID },
	}
	got, err := m.Generate(m.NewState(steps+1), []int{bosID}, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("generated %d ids, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("id %d: got %d, want %d (ids so far %v)", i, got[i], want[i], got[:i+1])
		}
	}
	tok, err := tokenizer.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if text := tok.Decode(got); text != string(wantText) {
		t.Errorf("decoded text differs:\n got %q\nwant %q", text, wantText)
	}
	// Encoding the text back gives BOS and the same ids, as llama2.c's
	// score-ordered merges would.
	if enc := tok.Encode(string(wantText)); !slices.Equal(enc, append([]int{bosID}, want...)) {
		t.Errorf("encoding the text gives %v, want BOS then the generated ids", enc)
	}
}

// TestStoriesLogits compares the logits of the first three positions with
// those llama2.c printed (helper_logits_pos0-2.txt) for the float32 model.
// The Q8_0 file, dequantised, must stay close to them.
func TestStoriesLogits(t *testing.T) {
	for _, tc := range []struct {
		file string
		tol  float64
	}{{"stories260K.bin", 1e-4}, {"stories260K-q8.bin", 0.3}} {
		t.Run(tc.file, func(t *testing.T) {
			worst := storiesLogitError(t, tc.file)
			t.Logf("largest logit difference over positions 0-2: %.3g", worst)
			if worst > tc.tol {
				t.Errorf("largest logit difference %.3g, want ≤ %g", worst, tc.tol)
			}
		})
	}
}

// storiesLogitError returns the largest difference between the logits of
// the converted model file and helper_logits_pos0-2.txt.
func storiesLogitError(t *testing.T, file string) float64 {
	t.Helper()
	src := storiesDir(t)
	m, _ := convertStories(t, src, file)
	data, err := os.ReadFile(filepath.Join(src, "helper_logits_pos0-2.txt"))
	if err != nil {
		t.Fatal(err)
	}
	s := m.NewState(8)
	vocab := m.VocabSize()
	logits := make([]float32, vocab)
	var worst float64
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) != 5+vocab || f[0] != "pos" || f[2] != "input_token" || f[4] != "logits" {
			t.Fatalf("unexpected line in helper_logits_pos0-2.txt: %.60q", line)
		}
		pos, _ := strconv.Atoi(f[1])
		id, _ := strconv.Atoi(f[3])
		if pos != s.Len() {
			t.Fatalf("line for position %d, but %d tokens are cached", pos, s.Len())
		}
		hidden, err := m.Forward(s, []int{id}, nil)
		if err != nil {
			t.Fatal(err)
		}
		m.Logits(logits, hidden, 1)
		for i, w := range f[5:] {
			want, err := strconv.ParseFloat(w, 64)
			if err != nil {
				t.Fatal(err)
			}
			worst = math.Max(worst, math.Abs(float64(logits[i])-want))
		}
	}
	return worst
}

// readInts reads a file of whitespace-separated integers, ignoring the
// brackets around them.
func readInts(t *testing.T, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, w := range strings.Fields(strings.Trim(strings.TrimSpace(string(data)), "[]")) {
		n, err := strconv.Atoi(w)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, n)
	}
	return out
}
