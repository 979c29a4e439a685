package loader

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gollm/gollm/arch"
)

// The committed seed corpora live in testdata/fuzz/<target>; run a target
// with e.g. `go test -fuzz FuzzParseSafetensors -fuzztime 30s ./loader`.

func FuzzParseSafetensors(f *testing.F) {
	f.Add(buildSafetensors(f, map[string]string{"format": "pt"}, f32("a", 2, 2), tspec{"b", "BF16", []int{3}, make([]byte, 6)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := ParseSafetensors(data)
		if err != nil {
			return
		}
		total := 0
		for name, tn := range ts {
			if tn.Name != name || len(tn.Data) != tn.Elements()*tn.DType.BlockBytes() {
				t.Fatalf("tensor %q: %d bytes for %s %v", name, len(tn.Data), tn.DType, tn.Shape)
			}
			total += len(tn.Data)
		}
		if total > len(data)-8 {
			t.Fatalf("tensors hold %d bytes of a %d-byte file", total, len(data))
		}
	})
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"metadata": {"total_size": 16}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wm, files, err := parseIndex(data)
		if err != nil {
			return
		}
		if len(wm) == 0 || !slices.IsSorted(files) || len(slices.Compact(slices.Clone(files))) != len(files) {
			t.Fatalf("weight_map %v, files %v", wm, files)
		}
		for _, file := range wm {
			if _, found := slices.BinarySearch(files, file); !found || !fs.ValidPath(file) {
				t.Fatalf("shard %q: listed %v, valid %v", file, found, fs.ValidPath(file))
			}
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	samples, _ := filepath.Glob("testdata/configs/*.json")
	for _, s := range samples {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		if c.Heads%c.KVHeads != 0 || c.HeadDim <= 0 || c.Layers <= 0 || c.VocabSize <= 0 || c.Intermediate <= 0 || c.MaxPositions <= 0 {
			t.Fatalf("invalid sizes accepted: %+v", *c)
		}
		if c.Rope.Type != "none" && (c.RotaryDim() < 2 || c.RotaryDim()%2 != 0 || c.RotaryDim() > c.HeadDim) {
			t.Fatalf("invalid rotary dimension %d accepted: %+v", c.RotaryDim(), *c)
		}
		if fam, err := arch.Lookup(c.ModelType); err != nil || !fam.Accepts(c.Act) {
			t.Fatalf("unsupported names accepted: %+v", *c)
		}
	})
}
