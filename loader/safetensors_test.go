package loader

import (
	"strings"
	"testing"

	"github.com/gollm/gollm/weights"
)

func TestParseSafetensorsRoundTrip(t *testing.T) {
	bf := tspec{"b", "BF16", []int{3}, []byte{0x80, 0x3f, 0x00, 0x40, 0x40, 0x40}} // 1, 2, 3
	data := buildSafetensors(t, map[string]string{"format": "pt"}, f32("a", 2, 3), bf, tspec{"empty", "F16", []int{0, 4}, nil}, f32("scalar"))
	ts, err := ParseSafetensors(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 4 {
		t.Fatalf("got %d tensors, want 4", len(ts))
	}
	a := ts["a"]
	if a.Name != "a" || a.DType != weights.F32 || len(a.Shape) != 2 || a.Shape[0] != 2 || a.Shape[1] != 3 {
		t.Errorf("a: %+v", a)
	}
	if got := a.Float32s(); got[5] != 5 || got[1] != 1 {
		t.Errorf("a values %v", got)
	}
	if got := ts["b"].Float32s(); got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("b values %v", got)
	}
	if e := ts["empty"]; e.Elements() != 0 || len(e.Data) != 0 {
		t.Errorf("empty: %+v", e)
	}
	if s := ts["scalar"]; len(s.Shape) != 0 || s.Float32s()[0] != 0 {
		t.Errorf("scalar: %+v", s)
	}
	if cap(a.Data) != len(a.Data) {
		t.Errorf("tensor data can grow into its neighbour: cap %d, len %d", cap(a.Data), len(a.Data))
	}
}

func TestParseSafetensorsErrors(t *testing.T) {
	body8 := make([]byte, 8)
	entry := func(s string) []byte { return rawSafetensors(`{"t":`+s+`}`, body8) }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"short", []byte{1, 0, 0}, "too short"},
		{"header past end", rawSafetensors("{}", nil)[:9], "exceeds the 1 bytes after it"},
		{"header over limit", append([]byte{0, 0xe2, 0xf5, 0x05, 0, 0, 0, 0}, "{}"...), "exceeds the 100000000-byte limit"},
		{"not an object", rawSafetensors("[]      ", nil), "does not start with '{'"},
		{"bad json", rawSafetensors("{\"a\": ", nil), "invalid JSON"},
		{"bad utf8", rawSafetensors("{\"\xff\": 1}", nil), "not valid UTF-8"},
		{"duplicate tensor", rawSafetensors(`{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, body8), `key "t" appears twice`},
		{"unsupported dtype", entry(`{"dtype":"I8","shape":[8],"data_offsets":[0,8]}`), `tensor "t": unsupported dtype "I8"`},
		{"f64", entry(`{"dtype":"F64","shape":[1],"data_offsets":[0,8]}`), `tensor "t": unsupported dtype "F64"`},
		{"missing dtype", entry(`{"shape":[2],"data_offsets":[0,8]}`), `tensor "t": entry needs dtype, shape and data_offsets`},
		{"missing shape", entry(`{"dtype":"F32","data_offsets":[0,8]}`), "entry needs"},
		{"three offsets", entry(`{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}`), "data_offsets has 3 values"},
		{"negative dim", entry(`{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}`), `tensor "t": invalid entry`},
		{"size mismatch", entry(`{"dtype":"F32","shape":[3],"data_offsets":[0,8]}`), "hold 8 bytes, but F32 [3] needs 12"},
		{"reversed", entry(`{"dtype":"F32","shape":[2],"data_offsets":[8,0]}`), "end before they begin"},
		{"overflow", entry(`{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}`), "overflows"},
		{"huge dim", entry(`{"dtype":"F32","shape":[18446744073709551615,0],"data_offsets":[0,0]}`), "too large"},
		{"past end", entry(`{"dtype":"F32","shape":[4],"data_offsets":[0,16]}`), "run past the 8-byte data buffer"},
		{"gap", entry(`{"dtype":"F32","shape":[1],"data_offsets":[4,8]}`), "leave a gap after byte 0"},
		{"trailing bytes", entry(`{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`), "tensors cover 4 bytes, but the data buffer holds 8"},
		{"overlap", rawSafetensors(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, body8), "overlap the previous tensor"},
		{"bad metadata", rawSafetensors(`{"__metadata__":{"a":1}}`, nil), "__metadata__ must map strings to strings"},
		{"entry not object", entry(`[1]`), `tensor "t": invalid entry`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSafetensors(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestParseSafetensorsTruncated cuts a valid file at every length: each
// prefix must give an error, never a panic.
func TestParseSafetensorsTruncated(t *testing.T) {
	data := buildSafetensors(t, nil, f32("a", 4), f32("b", 2, 2))
	if _, err := ParseSafetensors(data); err != nil {
		t.Fatal(err)
	}
	for n := range len(data) {
		if _, err := ParseSafetensors(data[:n]); err == nil {
			t.Fatalf("prefix of %d/%d bytes parsed without error", n, len(data))
		}
	}
}

// TestIndexDuplicateTensor refuses a weight_map that names a tensor twice
// (two shards claiming it; JSON would keep the last silently).
func TestIndexDuplicateTensor(t *testing.T) {
	_, _, err := parseIndex([]byte(`{"weight_map": {"a": "one.safetensors", "a": "two.safetensors"}}`))
	if err == nil || !strings.Contains(err.Error(), `weight_map: key "a" appears twice`) {
		t.Errorf("err %v, want the duplicate named", err)
	}
}
