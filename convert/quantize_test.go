package convert

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/gguf"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/quant"
	"github.com/gollm/gollm/tokenizer"
)

// openModel loads the model at path (a folder or a GGUF file), checking
// that every tensor is used.
func openModel(t *testing.T, path string) *model.Model {
	t.Helper()
	c, err := loader.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	m, err := model.Load(c)
	if err != nil {
		t.Fatal(err)
	}
	if u := c.Unused(); len(u) > 0 {
		t.Errorf("%s: unused tensors %v", path, u)
	}
	return m
}

// quantizeTo writes the model of dir as type ft under t's temp dir.
func quantizeTo(t *testing.T, dir string, ft FileType, vocab *tokenizer.GGUFVocab) string {
	t.Helper()
	c, err := loader.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := filepath.Join(t.TempDir(), "model-"+ft.String()+".gguf")
	if _, err := Quantize(c, out, Options{Type: ft, Name: "test", Vocab: vocab}); err != nil {
		t.Fatal(err)
	}
	return out
}

// logits runs ids through m and returns the logits [n×vocab].
func logits(t *testing.T, m *model.Model, ids []int) []float32 {
	t.Helper()
	h, err := m.Forward(m.NewState(len(ids)), ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(ids)*m.VocabSize())
	m.Logits(out, h, len(ids))
	return out
}

// fixtureIDs are the token ids a fixture's reference.json runs.
func fixtureIDs(t *testing.T, dir string) []int {
	b, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		t.Skip("no fixture:", err)
	}
	var ref struct {
		InputIDs []int `json:"input_ids"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref.InputIDs
}

// TestQuantizedLogits quantizes each fixture whose family has a GGUF name
// and whose config GGUF expresses, reopens the file and compares its
// logits with the original model's and, at Q8_0, with the original model
// quantized to Q8_0 at load (the same encoding of the same rows: only
// rounding apart; not for gpt2, whose position embeddings the file keeps
// F32). The fixtures' tiny random weights make the logits
// sensitive to quantization, hence the loose bounds against the original.
func TestQuantizedLogits(t *testing.T) {
	bounds := map[FileType]float64{MostlyQ8_0: 0.1, MostlyQ4_K_M: 0.4, MostlyQ6_K: 0.1}
	for _, name := range []string{"llama", "mistral", "qwen2", "qwen3", "phi", "gpt2", "llama-mqa-linear"} {
		dir := filepath.Join("..", "testdata", "models", name)
		t.Run(name, func(t *testing.T) {
			ids := fixtureIDs(t, dir)
			want := logits(t, openModel(t, dir), ids)
			maxRef := maxAbsDiff(want, make([]float32, len(want)))
			for _, ft := range []FileType{MostlyQ8_0, MostlyQ4_K_M, MostlyQ6_K} {
				got := logits(t, openModel(t, quantizeTo(t, dir, ft, nil)), ids)
				d := maxAbsDiff(got, want)
				t.Logf("%v: max |Δlogit| %.3g of max |logit| %.3g", ft, d, maxRef)
				if d > bounds[ft]*maxRef {
					t.Errorf("%v: max |Δlogit| %.3g > %.2g × max |logit| (%.3g)", ft, d, bounds[ft], maxRef)
				}
				if ft == MostlyQ8_0 && name != "gpt2" {
					if d := maxAbsDiff(got, logits(t, loadQ8(t, dir), ids)); d > 1e-4*maxRef {
						t.Errorf("Q8_0 file: max |Δlogit| %.3g from the model quantized at load", d)
					}
				}
			}
		})
	}
}

// loadQ8 loads the model of dir with its linear maps quantized to Q8_0.
func loadQ8(t *testing.T, dir string) *model.Model {
	t.Helper()
	c, err := loader.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	m, err := model.LoadWith(c, model.LoadOptions{Convert: true, Weights: quant.Q8_0})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// maxAbsDiff is the largest |a[i] − b[i]|.
func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// TestLlamaFixtureLayout checks the keys and the tensor types of the llama
// fixture (hidden 64, MLP 128, 3 layers, tied) at Q4_K_M: rows of 64 and
// 128 weights are not whole K-quant blocks, so Q4_K falls back to Q5_0 and
// Q6_K (the tied embedding; attn_v and ffn_down of layer 2, the one
// useMoreBits picks of 3) to Q8_0, as llama-quantize does.
func TestLlamaFixtureLayout(t *testing.T) {
	path := quantizeTo(t, filepath.Join("..", "testdata", "models", "llama"), MostlyQ4_K_M, nil)
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ints := map[string]int64{"general.file_type": 15, "general.quantization_version": 2, "llama.block_count": 3,
		"llama.context_length": 64, "llama.embedding_length": 64, "llama.feed_forward_length": 128,
		"llama.attention.head_count": 4, "llama.attention.head_count_kv": 2, "llama.attention.key_length": 16,
		"llama.attention.value_length": 16, "llama.rope.dimension_count": 16, "llama.vocab_size": 256}
	for k, want := range ints {
		if got, err := f.Int(k); err != nil || got != want {
			t.Errorf("%s = %d (%v), want %d", k, got, err, want)
		}
	}
	floats := map[string]float64{"llama.attention.layer_norm_rms_epsilon": float64(float32(1e-5)), "llama.rope.freq_base": 10000}
	for k, want := range floats {
		if got, err := f.Float(k); err != nil || got != want {
			t.Errorf("%s = %g (%v), want %g", k, got, err, want)
		}
	}
	if a, err := f.String("general.architecture"); a != "llama" || err != nil {
		t.Errorf("general.architecture = %q (%v)", a, err)
	}
	types := map[string]quant.Type{"token_embd.weight": quant.Q8_0, "output_norm.weight": quant.F32,
		"blk.0.attn_norm.weight": quant.F32, "blk.0.attn_q.weight": quant.Q5_0, "blk.0.attn_v.weight": quant.Q5_0,
		"blk.1.ffn_down.weight": quant.Q5_0, "blk.2.attn_v.weight": quant.Q8_0, "blk.2.ffn_down.weight": quant.Q8_0,
		"blk.2.ffn_gate.weight": quant.Q5_0}
	for name, want := range types {
		if ti, _, err := f.Tensor(name); err != nil || ti.Type != want {
			t.Errorf("%s: type %v (%v), want %v", name, ti.Type, err, want)
		}
	}
	if _, _, err := f.Tensor("output.weight"); err == nil {
		t.Error("a tied model's file holds output.weight")
	}
}

// TestMatrixTypes checks the Q4_K_M mix on the 19m model's shape (8
// layers, hidden 256, MLP 768, tied) against the types llama-quantize gave
// it: Q6_K for the embedding and for attn_v and ffn_down of layers 0, 3, 6
// and 7; Q4_K elsewhere.
func TestMatrixTypes(t *testing.T) {
	more := map[int]bool{0: true, 3: true, 6: true, 7: true}
	for l := range 8 {
		for _, r := range []arch.Role{arch.Q, arch.K, arch.V, arch.O, arch.Gate, arch.Up, arch.Down} {
			in := 256
			if r == arch.Down {
				in = 768
			}
			want := quant.Q4_K
			if more[l] && (r == arch.V || r == arch.Down) {
				want = quant.Q6_K
			}
			if got := MostlyQ4_K_M.matrixType(arch.Tensor{Role: r, Layer: l, In: in}, 8, true); got != want {
				t.Errorf("layer %d role %d: %v, want %v", l, r, got, want)
			}
		}
	}
	emb := arch.Tensor{Role: arch.Embedding, Layer: -1, In: 256}
	for ft, want := range map[FileType]quant.Type{MostlyQ4_K_M: quant.Q6_K, MostlyQ6_K: quant.Q6_K, MostlyQ8_0: quant.Q8_0} {
		if got := ft.matrixType(emb, 8, true); got != want {
			t.Errorf("%v tied embedding: %v, want %v", ft, got, want)
		}
	}
	if got := MostlyQ4_K_M.matrixType(emb, 8, false); got != quant.Q4_K {
		t.Errorf("Q4_K_M untied embedding: %v, want Q4_K", got)
	}
	if got := MostlyQ8_0.matrixType(arch.Tensor{Role: arch.Q, In: 48}, 8, false); got != quant.F16 {
		t.Errorf("Q8_0 of rows of 48: %v, want F16", got)
	}
}

// TestRefusals checks that configs GGUF metadata cannot express are
// refused by name, before anything is written.
func TestRefusals(t *testing.T) {
	for name, want := range map[string]string{
		"llama-yarn":    `rope_type "yarn": not written to GGUF`,
		"llama3-rope":   `rope_type "llama3": not written to GGUF`,
		"llama-dynamic": `rope_type "dynamic": not written to GGUF`,
	} {
		c, err := loader.Open(filepath.Join("..", "testdata", "models", name))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out.gguf")
		_, err = Quantize(c, out, Options{Type: MostlyQ8_0})
		c.Close()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", name, err, want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a refused run wrote %s", name, out)
		}
	}
	c, err := loader.Open(filepath.Join("..", "testdata", "models", "llama"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := Quantize(c, filepath.Join(t.TempDir(), "out.gguf"), Options{Type: 2}); err == nil || !strings.Contains(err.Error(), "FileType(2): not a file type") {
		t.Errorf("file type 2: error %v", err)
	}
	if _, err := ParseFileType("Q4_0"); err == nil {
		t.Error("ParseFileType accepts Q4_0")
	}
}
