package gguf

import (
	"bytes"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes: it must return an error or a file
// whose every value and tensor can be read, and which writes back to a
// file that parses.
func FuzzParse(f *testing.F) {
	f.Add(base().bytes())
	f.Add(encode(f, everyValue(), testTensors()))
	f.Add(encode(f, []KV{{alignmentKey, ValueOf(uint32(64))}, {"a", ArrayOf([]string{"x", "yz"})}}, testTensors()[:2]))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data, "fuzz.gguf")
		if err != nil {
			return
		}
		for _, kv := range file.KV {
			_ = kv.Value.String()
			file.String(kv.Key)
			file.Bool(kv.Key)
			file.Uint(kv.Key)
			file.Int(kv.Key)
			file.Float(kv.Key)
			file.Strings(kv.Key)
			file.Float32s(kv.Key)
			file.Int32s(kv.Key)
		}
		ts := make([]Tensor, len(file.Tensors))
		for i, info := range file.Tensors {
			_, b, err := file.Tensor(info.Name)
			if err != nil || int64(len(b)) != info.Size {
				t.Fatalf("tensor %q: %d bytes, %v; size %d", info.Name, len(b), err, info.Size)
			}
			ts[i] = Tensor{info.Name, info.Type, info.Dims, func() ([]byte, error) { return b, nil }}
		}
		var out bytes.Buffer
		if Write(&out, file.KV, ts) != nil {
			return // a tensor name too long for ggml
		}
		again, err := Parse(out.Bytes(), "rewritten.gguf")
		if err != nil || len(again.KV) != len(file.KV) || len(again.Tensors) != len(file.Tensors) {
			t.Fatalf("rewritten file: %v", err)
		}
	})
}
