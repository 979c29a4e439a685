package llama2c

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
)

// TestParseVersions reads back every layout the encoder writes.
func TestParseVersions(t *testing.T) {
	for _, tc := range []struct {
		version int
		shared  bool
	}{{0, true}, {0, false}, {1, true}, {1, false}, {2, true}, {2, false}} {
		t.Run(fmt.Sprintf("v%d/shared=%v", tc.version, tc.shared), func(t *testing.T) {
			want := randomCheckpoint(tinyConfig(tc.version, tc.shared), 1)
			got, err := Parse(encodeCheckpoint(want))
			if err != nil {
				t.Fatal(err)
			}
			if got.Config != want.Config {
				t.Fatalf("config %+v, want %+v", got.Config, want.Config)
			}
			// Q8_0 scales are recomputed from the group maximum, so allow
			// a float32 rounding of each weight.
			tol := 0.0
			if tc.version == 2 {
				tol = 1e-6
			}
			check := func(name string, g, w []float32) {
				t.Helper()
				if len(g) != len(w) {
					t.Fatalf("%s: %d values, want %d", name, len(g), len(w))
				}
				for i := range w {
					if math.Abs(float64(g[i]-w[i])) > tol*math.Abs(float64(w[i])) {
						t.Fatalf("%s[%d] = %g, want %g", name, i, g[i], w[i])
					}
				}
			}
			check("embedding", got.Embedding, want.Embedding)
			check("final norm", got.FinalNorm, want.FinalNorm)
			check("classifier", got.Classifier, want.Classifier)
			for i, l := range want.Layers {
				g := got.Layers[i]
				for _, p := range [][3]any{
					{"rms_att", g.AttnNorm, l.AttnNorm}, {"rms_ffn", g.FFNNorm, l.FFNNorm},
					{"wq", g.WQ, l.WQ}, {"wk", g.WK, l.WK}, {"wv", g.WV, l.WV}, {"wo", g.WO, l.WO},
					{"w1", g.W1, l.W1}, {"w2", g.W2, l.W2}, {"w3", g.W3, l.W3},
				} {
					check(fmt.Sprintf("layer %d %s", i, p[0]), p[1].([]float32), p[2].([]float32))
				}
			}
		})
	}
}

// TestConvertMatchesLlama2c converts random checkpoints and checks that
// gollm's Llama forward pass over the HF folder gives the logits of a
// direct llama2.c-style forward pass, which rotates interleaved pairs.
func TestConvertMatchesLlama2c(t *testing.T) {
	ids := []int{1, 5, 9, 3, 0, 7}
	for _, shared := range []bool{true, false} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			c := randomCheckpoint(tinyConfig(0, shared), 2)
			dir := t.TempDir()
			// A stale index would make loaders look for shards.
			if err := os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), []byte(`{"weight_map":{}}`), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := WriteHF(context.Background(), dir, c, tinyVocab(c.Config.VocabSize)); err != nil {
				t.Fatal(err)
			}
			ck, err := loader.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer ck.Close()
			if ck.Config.TieEmbeddings != shared || ck.Config.RopeTheta != ropeTheta || ck.Config.NormEps != normEps {
				t.Fatalf("config: tie %v, rope_theta %g, eps %g", ck.Config.TieEmbeddings, ck.Config.RopeTheta, ck.Config.NormEps)
			}
			m, err := model.Load(ck)
			if err != nil {
				t.Fatal(err)
			}
			if unused := ck.Unused(); len(unused) > 0 {
				t.Errorf("tensors the model did not read: %v", unused)
			}
			s := m.NewState(len(ids))
			hidden, err := m.Forward(s, ids, nil)
			if err != nil {
				t.Fatal(err)
			}
			v := m.VocabSize()
			logits := make([]float32, len(ids)*v)
			m.Logits(logits, hidden, len(ids))
			want := referenceLogits(c, ids)
			for p := range ids {
				for i := 0; i < v; i++ {
					if d := math.Abs(float64(logits[p*v+i]) - want[p][i]); d > 1e-4*(1+math.Abs(want[p][i])) {
						t.Fatalf("position %d logit %d: got %g, want %g", p, i, logits[p*v+i], want[p][i])
					}
				}
			}
		})
	}
}

// TestRotateHalfRows checks the row permutation on a head of 6 rows.
func TestRotateHalfRows(t *testing.T) {
	// Two heads of dimension 6, one column: row r holds r.
	w := []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	got := rotateHalfRows(w, 2, 6, 1)
	want := []float32{0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestParseErrors feeds damaged files and checks for a clear error.
func TestParseErrors(t *testing.T) {
	good := encodeCheckpoint(randomCheckpoint(tinyConfig(0, true), 3))
	goodV2 := encodeCheckpoint(randomCheckpoint(tinyConfig(2, false), 3))
	patch := func(b []byte, off int, v int32) []byte {
		b = slices.Clone(b)
		b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short for a llama2.c header"},
		{"truncated", good[:len(good)-1], "truncated?"},
		{"trailing", append(slices.Clone(good), 0), "trailing bytes"},
		{"zero dim", patch(good, 0, 0), "dim 0 is out of range"},
		{"huge vocab", patch(good, 20, 1<<30), "vocab_size 1073741824 is out of range"},
		{"heads do not divide dim", patch(good, 12, 3), "not a multiple of n_heads"},
		{"kv heads do not divide heads", patch(good, 16, 3), "not a multiple of n_kv_heads"},
		{"text file", []byte("this is not a model file at all, no"), "out of range"},
		{"ak42 short", goodV2[:100], "too short for its 256-byte"},
		{"ak42 version", patch(goodV2, 4, 7), "version 7 is not supported"},
		{"ak42 flag", func() []byte { b := slices.Clone(goodV2); b[36] = 9; return b }(), "shared_classifier flag is 9"},
		{"zero group", patch(goodV2, 37, 0), "group_size 0 is out of range"},
		{"group does not divide", patch(goodV2, 37, 7), "not a multiple of the Q8_0 group_size 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestReadFileNamesPath checks that file errors name the file.
func TestReadFileNamesPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.bin")
	if err := os.WriteFile(p, []byte{1, 2, 3}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("error %v does not name %s", err, p)
	}
	if _, err := ReadVocabFile(filepath.Join(t.TempDir(), "missing.bin")); err == nil || !strings.Contains(err.Error(), "missing.bin") {
		t.Fatalf("error %v does not name missing.bin", err)
	}
}

// FuzzParse checks that no input makes Parse panic, and that what it
// accepts has weights of the sizes its config implies.
func FuzzParse(f *testing.F) {
	for v := 0; v <= 2; v++ {
		f.Add(encodeCheckpoint(randomCheckpoint(tinyConfig(v, v != 1), 4)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		cfg := c.Config
		if len(c.Embedding) != cfg.VocabSize*cfg.Dim || len(c.Layers) != cfg.Layers || len(c.FinalNorm) != cfg.Dim {
			t.Fatalf("accepted a file whose weights do not match %+v", cfg)
		}
	})
}

// TestWriteHFFailureLeavesNothing fails the safetensors write (an embedding
// shorter than its shape), then cancels one: no model folder, and no
// temporary one, appears.
func TestWriteHFFailureLeavesNothing(t *testing.T) {
	c := randomCheckpoint(tinyConfig(0, true), 2)
	c.Embedding = c.Embedding[:len(c.Embedding)-1]
	base := t.TempDir()
	dir := filepath.Join(base, "model")
	v := tinyVocab(c.Config.VocabSize)
	if err := WriteHF(context.Background(), dir, c, v); err == nil || !strings.Contains(err.Error(), "model.safetensors") {
		t.Fatalf("WriteHF: %v, want an error naming model.safetensors", err)
	}
	if es, _ := os.ReadDir(base); len(es) > 0 {
		t.Errorf("a failed convert left %v", es[0].Name())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as a stop signal does
	if err := WriteHF(ctx, dir, randomCheckpoint(tinyConfig(0, true), 2), v); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled WriteHF: %v", err)
	}
	if es, _ := os.ReadDir(base); len(es) > 0 {
		t.Errorf("a cancelled convert left %v", es[0].Name())
	}
}
