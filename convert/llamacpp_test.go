package convert

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/gollm/gollm/gguf"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/tokenizer"
)

// The llama.cpp build and the files docs/anchors.md describes.
const (
	llamaPerplexity = "/tmp/llama.cpp/build/bin/llama-perplexity"
	anchorDir       = "/tmp/anchors"
	model19m        = "../../shared/models/gutenberg-llama-19m"
	mobyDick        = "../../shared/data/books/moby_dick.txt"
)

// quantize19m writes the 19m model as ft with its tokenizer, skipping
// when the model is absent.
func quantize19m(t *testing.T, ft FileType) string {
	t.Helper()
	if _, err := os.Stat(model19m); err != nil {
		t.Skip("no 19m model:", err)
	}
	c, err := loader.Open(model19m)
	if err != nil {
		t.Fatal(err)
	}
	n := c.Config.VocabSize
	c.Close()
	v, err := tokenizer.GGUFVocabFromDir(model19m, n)
	if err != nil {
		t.Fatal(err)
	}
	return quantizeTo(t, model19m, ft, v)
}

// TestLlamaCppRuns has llama-perplexity run gollm's Q8_0 and Q4_K_M files
// of the 19m model, proving that llama.cpp loads them, and checks its
// figure against the one it gives llama-quantize's file of the same type
// (same text, context and chunks).
func TestLlamaCppRuns(t *testing.T) {
	if _, err := os.Stat(llamaPerplexity); err != nil {
		t.Skip("no llama.cpp build:", err)
	}
	if _, err := os.Stat(mobyDick); err != nil {
		t.Skip("no text:", err)
	}
	for ft, want := range map[FileType]float64{MostlyQ8_0: 132.4466, MostlyQ4_K_M: 133.2173} {
		path := quantize19m(t, ft)
		out, err := exec.Command(llamaPerplexity, "-m", path, "-c", "1024", "--chunks", "8", "-t", "2", "-f", mobyDick).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: llama-perplexity: %v\n%s", ft, err, out)
		}
		m := regexp.MustCompile(`Final estimate: PPL = ([0-9.]+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("%v: no PPL in llama-perplexity's output:\n%s", ft, out)
		}
		ppl, _ := strconv.ParseFloat(string(m[1]), 64)
		t.Logf("%v: llama-perplexity PPL %.4f (llama-quantize's file: %.4f)", ft, ppl, want)
		if d := ppl/want - 1; d > 1e-3 || d < -1e-3 {
			t.Errorf("%v: PPL %.4f, llama-quantize's file gives %.4f", ft, ppl, want)
		}
	}
}

// TestSameBytesAsLlamaQuantize compares each tensor of gollm's Q8_0 and
// Q4_K_M files of the 19m model with llama-quantize's of the same model
// (quantized from its f32 GGUF, no importance matrix) byte for byte.
func TestSameBytesAsLlamaQuantize(t *testing.T) {
	for _, ft := range []FileType{MostlyQ8_0, MostlyQ4_K_M} {
		ref, err := gguf.Open(filepath.Join(anchorDir, "model-"+ft.String()+".gguf"))
		if err != nil {
			t.Skip("no llama-quantize file:", err)
		}
		defer ref.Close()
		f, err := gguf.Open(quantize19m(t, ft))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		same := 0
		for _, ti := range ref.Tensors {
			got, b, err := f.Tensor(ti.Name)
			_, want, _ := ref.Tensor(ti.Name)
			switch {
			case err != nil:
				t.Errorf("%v: %s: %v", ft, ti.Name, err)
			case got.Type != ti.Type:
				t.Errorf("%v: %s: type %v, llama-quantize %v", ft, ti.Name, got.Type, ti.Type)
			case !bytes.Equal(b, want):
				t.Errorf("%v: %s: bytes differ from llama-quantize's", ft, ti.Name)
			default:
				same++
			}
		}
		t.Logf("%v: %d of %d tensors byte for byte as llama-quantize's (%d in gollm's file)", ft, same, len(ref.Tensors), len(f.Tensors))
	}
}
