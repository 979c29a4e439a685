package attention

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/weights"
)

// TestDecode16 checks decoding against a 16-bit cache: equal to Exact on
// the same keys and values narrowed to f16 or bf16 and widened back.
func TestDecode16(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, s := range []Shape{
		{Heads: 4, KVHeads: 2, NQ: 1, NK: 2500, Dim: 64, KVStride: 2600}, // 3 tasks per head
		{Heads: 8, KVHeads: 1, NQ: 1, NK: 37, Dim: 32},
		{Heads: 2, KVHeads: 2, NQ: 3, NK: 2000, Dim: 72, KVStride: 2010}, // 3 tasks, causal rows
	} {
		in := randInputs(rng, s)
		p := Params{Scale: 0.125, Causal: true, Offset: s.NK - s.NQ}
		for _, dtype := range []weights.DType{weights.F16, weights.BF16} {
			wantOut, wantLSE := rounded(in, dtype).run(Reference{}, p)
			out, lse := attendCache(in, dtype, Reference{}, p) // few rows: the decoding path, whatever the kernel
			checkClose(t, fmt.Sprintf("%+v %s", s, dtype), out, lse, wantOut, wantLSE, 1e-5)
		}
	}
}

// TestDecode16NoRows checks that a call with no query rows writes nothing
// and does not fail.
func TestDecode16NoRows(t *testing.T) {
	c := NewKVCache(weights.F16, 2, 8, 10)
	c.Append(make([]float32, 10*2*8), make([]float32, 10*2*8))
	c.Attend(Flash{}, nil, nil, nil, 4, Params{Scale: 1, Causal: true, Offset: 10}, nil)
}

// TestDecodeSplitKV reaches the split-KV decoding path with several chunks
// per KV head spread over threads — decodeTasks, which decode splits by,
// gives at least two chunks per head and more tasks than threads — on f32
// and 16-bit caches, against the float64 reference; the result must not
// depend on the thread count.
func TestDecodeSplitKV(t *testing.T) {
	defer parallel.SetThreads(parallel.Threads())
	rng := rand.New(rand.NewPCG(41, 42))
	for _, s := range []Shape{
		{Heads: 8, KVHeads: 2, NQ: 1, NK: 3000, Dim: 64, KVStride: 3100},
		{Heads: 4, KVHeads: 2, NQ: 2, NK: 2100, Dim: 48}, // two causal rows per query head
		{Heads: 2, KVHeads: 1, NQ: 1, NK: 2500, Dim: 128},
	} {
		in := randInputs(rng, s)
		p := Params{Scale: 0.1, Causal: true, Offset: s.NK - s.NQ}
		for _, dtype := range []weights.DType{weights.F32, weights.F16, weights.BF16} {
			ref := in
			if dtype != weights.F32 {
				ref = rounded(in, dtype)
			}
			wantOut, wantLSE := ref.run(Reference{}, p)
			_, chunks := decodeTasks(s.NK, s.Dim, storage(dtype).make(0).elemBytes())
			if chunks < 2 || s.KVHeads*chunks <= 3 {
				t.Fatalf("%+v %s: %d chunks per KV head do not split the keys over 3 threads", s, dtype, chunks)
			}
			var first []float32
			for _, th := range []int{1, 2, 3} {
				parallel.SetThreads(th)
				out, lse := attendCache(in, dtype, Flash{}, p)
				what := fmt.Sprintf("%+v %s, %d threads", s, dtype, th)
				checkClose(t, what, out, lse, wantOut, wantLSE, 1e-5)
				if first == nil {
					first = out
				} else if !slices.Equal(out, first) {
					t.Errorf("%s: output differs from 1 thread", what)
				}
			}
		}
	}
}

// TestKVCachePrefill16 checks that a prefill kernel reads a 16-bit cache
// widened: exactly what it gives on the rounded keys and values as float32.
func TestKVCachePrefill16(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	s := Shape{Heads: 4, KVHeads: 2, NQ: 70, NK: 70, Dim: 16, KVStride: 90}
	in := randInputs(rng, s)
	p := Params{Scale: 0.25, Causal: true}
	for _, dtype := range []weights.DType{weights.F16, weights.BF16} {
		wantOut, wantLSE := rounded(in, dtype).run(Flash{}, p)
		out, lse := attendCache(in, dtype, Flash{}, p)
		if !slices.Equal(out, wantOut) || !slices.Equal(lse, wantLSE) {
			t.Errorf("%s: differs from Flash on the rounded float32 cache", dtype)
		}
	}
}

// TestKVCacheAppend checks the bookkeeping: Len, Append in pieces equal to
// one Append, AppendRandom's range, Truncate, and the panic past capacity.
func TestKVCacheAppend(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	s := Shape{Heads: 2, KVHeads: 2, NQ: 1, NK: 30, Dim: 8, KVStride: 40}
	in := randInputs(rng, s)
	whole := cacheOf(in, weights.F32)
	pieces := NewKVCache(weights.F32, 2, 8, 40)
	appendRows(pieces, in, 0, 7)
	appendRows(pieces, in, 7, 30)
	if whole.Len() != 30 || pieces.Len() != 30 || whole.Cap() != 40 {
		t.Fatalf("Len %d and %d, Cap %d; want 30, 30, 40", whole.Len(), pieces.Len(), whole.Cap())
	}
	if !slices.Equal(whole.store.(kvF32).k, pieces.store.(kvF32).k) || !slices.Equal(whole.store.(kvF32).v, pieces.store.(kvF32).v) {
		t.Error("appending in two pieces stores other rows than appending at once")
	}
	whole.AppendRandom(10, rng)
	for _, x := range whole.store.(kvF32).k {
		if x < -4 || x >= 4 {
			t.Fatalf("random key %g outside [−4, 4)", x)
		}
	}
	if whole.Bytes() != 2*2*8*40*4 {
		t.Errorf("Bytes %d, want %d", whole.Bytes(), 2*2*8*40*4)
	}
	whole.Truncate(35)
	if whole.Len() != 35 {
		t.Errorf("Len %d after Truncate(35)", whole.Len())
	}
	whole.Truncate(0)
	if whole.Len() != 0 {
		t.Errorf("Len %d after Truncate(0)", whole.Len())
	}
	defer func() {
		if recover() == nil {
			t.Error("appending past the capacity did not panic")
		}
	}()
	pieces.AppendRandom(11, rng)
}

// TestParseKVType checks the --kv-type names, auto's threshold and the
// error naming the flag and the choices.
func TestParseKVType(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		want weights.DType
	}{{"f32", 1 << 20, weights.F32}, {"f16", 1, weights.F16}, {"bf16", 1, weights.BF16},
		{"auto", 8192, weights.F32}, {"auto", 8193, weights.F16}} {
		if got, err := ParseKVType(c.name, c.n); err != nil || got != c.want {
			t.Errorf("ParseKVType(%q, %d) = %s, %v; want %s", c.name, c.n, got, err, c.want)
		}
	}
	_, err := ParseKVType("f8", 1)
	if err == nil || err.Error() != `--kv-type must be auto, f32, f16 or bf16, got "f8"` {
		t.Errorf("ParseKVType(f8): %v", err)
	}
}
