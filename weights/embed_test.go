package weights

import (
	"encoding/json"
	"io/fs"
	"path"
	"testing"
)

func TestDefaultModelFiles(t *testing.T) {
	var total int64
	for _, name := range []string{"config.json", "generation_config.json", "model.safetensors",
		"tokenizer.json", "tokenizer_config.json", "reference.json"} {
		info, err := fs.Stat(Default, path.Join(DefaultDir, name))
		if err != nil {
			t.Fatalf("embedded default model: %v", err)
		}
		total += info.Size()
	}
	if total > 20_000_000 {
		t.Errorf("embedded default model is %d bytes, want at most 20 MB", total)
	}
}

func TestDefaultReferenceFigures(t *testing.T) {
	raw, err := fs.ReadFile(Default, path.Join(DefaultDir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Heldout struct {
			Tokens int     `json:"tokens"`
			IDs    []int   `json:"ids"`
			PPL    float64 `json:"ppl"`
		} `json:"heldout"`
		Greedy struct {
			IDs []int `json:"ids"`
		} `json:"greedy"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatalf("reference.json: %v", err)
	}
	if ref.Heldout.Tokens < 100 || len(ref.Heldout.IDs) != ref.Heldout.Tokens {
		t.Errorf("reference.json heldout: %d tokens but %d ids", ref.Heldout.Tokens, len(ref.Heldout.IDs))
	}
	if ref.Heldout.PPL <= 1 || ref.Heldout.PPL > 1000 {
		t.Errorf("reference.json heldout ppl %v is implausible", ref.Heldout.PPL)
	}
	if len(ref.Greedy.IDs) != 32 {
		t.Errorf("reference.json greedy: %d ids, want 32", len(ref.Greedy.IDs))
	}
}
