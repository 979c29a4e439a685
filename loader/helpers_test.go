package loader

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// tspec describes one tensor of a test safetensors file.
type tspec struct {
	name  string
	dtype string
	shape []int
	data  []byte
}

// f32 returns a tensor spec of F32 values 0, 1, 2, … of the given shape.
func f32(name string, shape ...int) tspec {
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(float32(i)))
	}
	return tspec{name, "F32", shape, data}
}

// rawSafetensors frames header and body as a safetensors file.
func rawSafetensors(header string, body []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), body...)
}

// buildSafetensors writes tensors back to back, with a header padded with
// spaces to a multiple of 8 bytes as the reference writer does.
func buildSafetensors(t testing.TB, meta map[string]string, ts ...tspec) []byte {
	t.Helper()
	header := map[string]any{}
	if meta != nil {
		header["__metadata__"] = meta
	}
	var body []byte
	for _, s := range ts {
		shape := append([]int{}, s.shape...) // a scalar's shape is [], not null
		header[s.name] = map[string]any{"dtype": s.dtype, "shape": shape, "data_offsets": []int{len(body), len(body) + len(s.data)}}
		body = append(body, s.data...)
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	return rawSafetensors(string(h), body)
}

// writeFiles creates a folder holding files (name → content).
func writeFiles(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
