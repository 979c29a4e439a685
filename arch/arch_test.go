package arch

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	want := []string{"gpt2", "llama", "mistral", "qwen2", "qwen3", "phi"}
	if got := ModelTypes(); !slices.Equal(got, want) {
		t.Errorf("ModelTypes() = %v, want %v", got, want)
	}
	for _, name := range want {
		f, err := Lookup(name)
		if err != nil || f.ModelType != name || f.Class == "" || f.GGUF == "" {
			t.Errorf("Lookup(%q) = %+v, %v", name, f, err)
		}
	}
	for name, msg := range map[string]string{
		"":     "no model_type (supported: gpt2, llama, mistral, qwen2, qwen3, phi)",
		"bert": `model_type "bert" is not supported (supported: gpt2, llama`,
	} {
		if _, err := Lookup(name); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Lookup(%q): error %v, want it to contain %q", name, err, msg)
		}
	}
}

// TestTensorLists checks every family's list against its traits: names
// unique, each layer complete, model-wide tensors outside the layers.
func TestTensorLists(t *testing.T) {
	for _, f := range families {
		for _, tied := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/tied=%v", f.ModelType, tied), func(t *testing.T) {
				c := &Config{ModelType: f.ModelType, VocabSize: 10, Hidden: 8, Intermediate: 12, Layers: 2,
					Heads: 2, KVHeads: 1, HeadDim: 4, MaxPositions: 16, TieEmbeddings: tied}
				checkTensors(t, f, c, f.Tensors(c, nil))
			})
		}
	}
}

func checkTensors(t *testing.T, f *Family, c *Config, ts []Tensor) {
	t.Helper()
	names := map[string]bool{}
	roles := make([]map[Role]int, c.Layers+1) // index 0: model-wide
	for i := range roles {
		roles[i] = map[Role]int{}
	}
	for _, tt := range ts {
		if names[tt.Name] {
			t.Errorf("%s listed twice", tt.Name)
		}
		names[tt.Name] = true
		global := tt.Role <= Head
		if global != (tt.Layer == -1) || tt.Layer < -1 || tt.Layer >= c.Layers {
			t.Errorf("%s: role %d in layer %d", tt.Name, tt.Role, tt.Layer)
			continue
		}
		if tt.Role.IsNorm() != (tt.In == 0) || tt.Out <= 0 {
			t.Errorf("%s: shape %v for role %d", tt.Name, tt.WeightShape(), tt.Role)
		}
		roles[tt.Layer+1][tt.Role]++
	}
	wantGlobal := []Role{Embedding, FinalNorm}
	if f.LearnedPositions {
		wantGlobal = append(wantGlobal, Positions)
	}
	if !c.TieEmbeddings {
		wantGlobal = append(wantGlobal, Head)
	}
	wantLayer := []Role{AttnNorm, O, FC1, FC2}
	if f.GatedMLP {
		wantLayer = []Role{AttnNorm, O, Gate, Up, Down}
	}
	if !f.ParallelBlock {
		wantLayer = append(wantLayer, MLPNorm)
	}
	if f.QKNorm {
		wantLayer = append(wantLayer, QNorm, KNorm)
	}
	if len(roles[0]) != len(wantGlobal) {
		t.Errorf("model-wide roles %v, want %v", roles[0], wantGlobal)
	}
	for _, r := range wantGlobal {
		if roles[0][r] != 1 {
			t.Errorf("model-wide role %d listed %d times", r, roles[0][r])
		}
	}
	for i, got := range roles[1:] {
		fused := got[QKV] == 1 && got[Q]+got[K]+got[V] == 0
		split := got[QKV] == 0 && got[Q] == 1 && got[K] == 1 && got[V] == 1
		qkv := 3
		if fused {
			qkv = 1
		}
		if !fused && !split || len(got) != len(wantLayer)+qkv {
			t.Errorf("layer %d: roles %v, want q/k/v and %v", i, got, wantLayer)
		}
		for _, r := range wantLayer {
			if got[r] != 1 {
				t.Errorf("layer %d: role %d listed %d times (roles %v)", i, r, got[r], got)
			}
		}
	}
}

// TestGGUF checks the GGUF names: every family with one is found by it,
// the lists keep the roles of the HF lists under llama.cpp's names, and a
// file's attn_qkv replaces q, k and v.
func TestGGUF(t *testing.T) {
	for _, f := range families {
		g, err := LookupGGUF(f.GGUF)
		if err != nil || g.GGUF != f.GGUF || f.ReadGGUF == nil {
			t.Errorf("LookupGGUF(%q) = %v, %v", f.GGUF, g, err)
		}
		c := &Config{ModelType: f.ModelType, VocabSize: 10, Hidden: 8, Intermediate: 12, Layers: 2,
			Heads: 2, KVHeads: 1, HeadDim: 4, MaxPositions: 16}
		none := func(string) bool { return false }
		ts := GGUFTensors(f, c, none)
		checkTensors(t, f, c, ts)
		for _, tt := range ts {
			if tt.Transposed || !strings.HasPrefix(tt.Name, "blk.") && tt.Layer >= 0 {
				t.Errorf("%s: %+v", f.ModelType, tt)
			}
		}
		fused := GGUFTensors(f, c, func(n string) bool { return strings.HasSuffix(n, "attn_qkv.weight") })
		checkTensors(t, f, c, fused)
		want := 8 + 2*4
		if f.ModelType == "gpt2" {
			want = 3 * 8 // always as many KV heads as heads
		}
		for _, tt := range fused {
			if tt.Role == QKV && tt.Out != want {
				t.Errorf("%s: fused %+v", f.ModelType, tt)
			}
		}
	}
	if _, err := LookupGGUF("mamba"); err == nil || !strings.Contains(err.Error(), "(supported: gpt2, llama, qwen2, qwen3, phi2)") {
		t.Errorf("LookupGGUF(mamba): %v", err)
	}
}
