package model

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/gguf"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/quant"
)

// ggufSource is a model to write as GGUF: its config, its tensor list in
// HF layout, and each stored tensor as float32.
type ggufSource struct {
	cfg *loader.Config
	fam *arch.Family
	get func(name string) []float32
}

// folderSource reads the HF folder dir.
func folderSource(t *testing.T, dir string) ggufSource {
	t.Helper()
	c, err := loader.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fam, err := arch.Lookup(c.Config.ModelType)
	if err != nil {
		t.Fatal(err)
	}
	return ggufSource{c.Config, fam, func(name string) []float32 {
		w, err := c.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		return w.Float32s()
	}}
}

// ggufOptions choose how writeGGUF stores the 2-D weights: in weights
// (norms and biases stay F32, as llama.cpp's converter keeps them), or,
// with roundTrip, as F32 holding the values weights would decode to.
type ggufOptions struct {
	weights   quant.Type
	roundTrip bool
}

// writeGGUF writes s as a GGUF file in a temporary folder, laid out as
// llama.cpp's converter lays it out (tools/anchors/hf_llama_to_gguf.py):
// GGUF tensor names, ggml dims, GPT-2's Conv1D weights transposed, and
// llama's q and k rows permuted per head for adjacent-pair RoPE.
func writeGGUF(t *testing.T, s ggufSource, o ggufOptions) string {
	t.Helper()
	hf := s.fam.Tensors(s.cfg, nil)
	gg := arch.GGUFTensors(s.fam, s.cfg, func(string) bool { return false })
	permute := s.fam.GGUF == "llama"
	var ts []gguf.Tensor
	add := func(name string, dims []uint64, typ quant.Type, rows [][]float32) {
		data := encodeRows(t, typ, rows)
		ts = append(ts, gguf.Tensor{Name: name, Type: typ, Dims: dims, Data: func() ([]byte, error) { return data, nil }})
	}
	for i, h := range hf {
		g := gg[i]
		w := s.get(h.WeightName())
		if h.Transposed {
			w = transpose(w, h.In, h.Out)
		}
		rows := [][]float32{w}
		typ := quant.F32
		if !h.Role.IsNorm() {
			rows, typ = splitEvery(w, h.In), o.weights
			if o.roundTrip {
				rows, typ = decodeRows(t, typ, encodeRows(t, typ, rows), h.In, h.Out), quant.F32
			}
		}
		heads := map[arch.Role]int{arch.Q: s.cfg.Heads, arch.K: s.cfg.KVHeads}[h.Role]
		if permute && heads > 0 {
			rows = interleaveRows(rows, heads)
		}
		dims := []uint64{uint64(h.In), uint64(h.Out)}
		if h.Role.IsNorm() {
			dims = []uint64{uint64(h.Out)}
		}
		add(g.WeightName(), dims, typ, rows)
		if h.Bias {
			b := s.get(h.BiasName())
			if permute && heads > 0 {
				b = slices.Concat(interleaveRows(splitEvery(b, 1), heads)...)
			}
			add(g.BiasName(), []uint64{uint64(h.Out)}, quant.F32, [][]float32{b})
		}
	}
	if s.cfg.Rope.Type == "llama3" {
		ts = append(ts, ropeFreqsTensor(t, s.cfg))
	}
	path := filepath.Join(t.TempDir(), "model.gguf")
	if err := gguf.WriteFile(path, ggufMetadata(s.fam, s.cfg), ts); err != nil {
		t.Fatal(err)
	}
	return path
}

// ggufMetadata is the metadata llama.cpp's converter writes for cfg.
func ggufMetadata(fam *arch.Family, c *loader.Config) []gguf.KV {
	a := fam.GGUF + "."
	kv := func(k string, v gguf.Value) gguf.KV { return gguf.KV{Key: k, Value: v} }
	u32 := func(n int) gguf.Value { return gguf.ValueOf(uint32(n)) }
	kvs := []gguf.KV{
		kv("general.architecture", gguf.ValueOf(fam.GGUF)),
		kv(a+"context_length", u32(c.MaxPositions)),
		kv(a+"embedding_length", u32(c.Hidden)),
		kv(a+"block_count", u32(c.Layers)),
		kv(a+"feed_forward_length", u32(c.Intermediate)),
		kv(a+"attention.head_count", u32(c.Heads)),
		kv(a+"attention.head_count_kv", u32(c.KVHeads)),
		kv(a+"attention.key_length", u32(c.HeadDim)),
		kv(a+"vocab_size", u32(c.VocabSize)),
	}
	eps := a + "attention.layer_norm_epsilon"
	if fam.Norm == arch.RMSNorm {
		eps = a + "attention.layer_norm_rms_epsilon"
	}
	kvs = append(kvs, kv(eps, gguf.ValueOf(float32(c.NormEps))))
	if !fam.LearnedPositions {
		kvs = append(kvs, kv(a+"rope.freq_base", gguf.ValueOf(float32(c.RopeTheta))), kv(a+"rope.dimension_count", u32(c.RotaryDim())))
		if r := c.Rope; r.Type == "linear" || r.Type == "yarn" {
			kvs = append(kvs, kv(a+"rope.scaling.type", gguf.ValueOf(r.Type)), kv(a+"rope.scaling.factor", gguf.ValueOf(float32(r.Factor))),
				kv(a+"rope.scaling.original_context_length", u32(r.OriginalMaxPositions)))
		}
	}
	if c.BOS >= 0 {
		kvs = append(kvs, kv("tokenizer.ggml.bos_token_id", u32(c.BOS)))
	}
	if len(c.EOS) > 0 {
		kvs = append(kvs, kv("tokenizer.ggml.eos_token_id", u32(c.EOS[0])))
	}
	return kvs
}

// ropeFreqsTensor is the rope_freqs tensor llama.cpp's converter writes
// for llama3 scaling: per frequency, the base over the scaled one.
func ropeFreqsTensor(t *testing.T, c *loader.Config) gguf.Tensor {
	base := baseInvFreq(c.RopeTheta, c.RotaryDim())
	scaled := llama3InvFreq(base, c.Rope)
	ff := make([]float32, len(base))
	for i := range ff {
		ff[i] = base[i] / scaled[i]
	}
	data := encodeRows(t, quant.F32, [][]float32{ff})
	return gguf.Tensor{Name: "rope_freqs.weight", Type: quant.F32, Dims: []uint64{uint64(len(ff))}, Data: func() ([]byte, error) { return data, nil }}
}

// interleaveRows reorders the rows of each of heads heads from HF's
// halves to adjacent pairs, as the converter's permute does: new row 2i+j
// of a head is old row j·d/2 + i.
func interleaveRows(rows [][]float32, heads int) [][]float32 {
	d := len(rows) / heads
	out := make([][]float32, 0, len(rows))
	for h := range heads {
		for i := range d / 2 {
			out = append(out, rows[h*d+i], rows[h*d+d/2+i])
		}
	}
	return out
}

func splitEvery(x []float32, n int) [][]float32 {
	var rows [][]float32
	for len(x) > 0 {
		rows, x = append(rows, x[:n]), x[n:]
	}
	return rows
}

func transpose(w []float32, rows, cols int) []float32 {
	out := make([]float32, len(w))
	for r := range rows {
		for c := range cols {
			out[c*rows+r] = w[r*cols+c]
		}
	}
	return out
}

func encodeRows(t *testing.T, typ quant.Type, rows [][]float32) []byte {
	t.Helper()
	var out []byte
	for _, r := range rows {
		n, err := typ.RowBytes(len(r))
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, n)
		if err := quant.QuantizeRow(typ, b, r); err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

func decodeRows(t *testing.T, typ quant.Type, data []byte, n, rows int) [][]float32 {
	t.Helper()
	out := make([][]float32, rows)
	rb := len(data) / rows
	for i := range out {
		out[i] = make([]float32, n)
		if err := quant.DequantizeRow(typ, out[i], data[i*rb:(i+1)*rb]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// openModel loads the checkpoint at path and checks that it uses every
// tensor.
func openModel(t *testing.T, path string) *Model {
	t.Helper()
	c, err := loader.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	m, err := Load(c)
	if err != nil {
		t.Fatal(err)
	}
	if u := c.Unused(); len(u) > 0 {
		t.Errorf("%s: unused tensors %v", path, u)
	}
	return m
}

// relDiff is max |got − want| over max |want|.
func relDiff(got, want []float32) float64 {
	var d, m float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i]-want[i])))
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	return d / m
}

// ggufFixtures are the fixtures whose RoPE GGUF can carry (dynamic NTK
// has no GGUF key; llama3 goes as a rope_freqs tensor).
func ggufFixtures(t *testing.T) []string {
	var out []string
	for _, dir := range fixtureDirs(t) {
		c, err := loader.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if c.Config.Rope.Type != "dynamic" {
			out = append(out, dir)
		}
		c.Close()
	}
	return out
}

// TestGGUFCopiesMatchFolders writes each fixture as GGUF in F32 and in its
// stored 16-bit type: the logits equal the folder's.
func TestGGUFCopiesMatchFolders(t *testing.T) {
	for _, dir := range ggufFixtures(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, ref := loadFixture(t, dir)
			want := allLogits(t, m, ref.InputIDs)
			src := folderSource(t, dir)
			types := []quant.Type{quant.F32}
			if dt := m.layers[0].o.dtype; dt != quant.F32 {
				types = append(types, dt)
			}
			for _, typ := range types {
				g := openModel(t, writeGGUF(t, src, ggufOptions{weights: typ}))
				if d := relDiff(allLogits(t, g, ref.InputIDs), want); d > 1e-5 {
					t.Errorf("%v copy: max |logit − folder's| = %.3g × max |logit| > 1e-5", typ, d)
				}
			}
		})
	}
}

// TestGGUFQuantized loads block-format GGUFs and bounds their logits'
// distance from an F32 GGUF of the weights they decode to (the products
// quantize activations to 8 bits per block too, and these random models
// amplify the rounding layer after layer: 2–6% of the largest logit
// measured): Q8_0 over the fixtures, the K-quants and legacy formats over
// a random Llama with 256-wide rows.
func TestGGUFQuantized(t *testing.T) {
	check := func(t *testing.T, src ggufSource, typ quant.Type, ids []int, bound float64) {
		exact := openModel(t, writeGGUF(t, src, ggufOptions{weights: typ, roundTrip: true}))
		q := openModel(t, writeGGUF(t, src, ggufOptions{weights: typ}))
		want := allLogits(t, exact, ids)
		got := allLogits(t, q, ids)
		d := relDiff(got, want)
		t.Logf("%v: max |logit − dequantized f32| = %.3g × max |logit|", typ, d)
		if d > bound || d == 0 {
			t.Errorf("%v: max |logit − dequantized f32| = %.3g × max |logit|, want in (0, %g]", typ, d, bound)
		}
		if got := prefillThenDecode(t, q, q.NewState(len(ids)), ids, len(ids)/2); relDiff(got, allLogits(t, q, ids)) > 1e-4 {
			t.Errorf("%v: decode differs from prefill", typ)
		}
	}
	for _, dir := range ggufFixtures(t) {
		t.Run("Q8_0/"+filepath.Base(dir), func(t *testing.T) {
			_, ref := loadFixture(t, dir)
			check(t, folderSource(t, dir), quant.Q8_0, ref.InputIDs, 0.1)
		})
	}
	ids := make([]int, 24)
	for i := range ids {
		ids[i] = (i * 37) % 256
	}
	for _, typ := range []quant.Type{quant.Q4_K, quant.Q6_K, quant.Q4_0, quant.Q5_1, quant.Q5_K} {
		t.Run(typ.String()+"/random-llama", func(t *testing.T) { check(t, randomLlama(), typ, ids, 0.1) })
	}
}

// randomLlama is a Llama of 256-wide rows with random weights.
func randomLlama() ggufSource {
	c := &loader.Config{ModelType: "llama", VocabSize: 256, Hidden: 256, Intermediate: 512, Layers: 2, Heads: 4, KVHeads: 2,
		HeadDim: 64, MaxPositions: 64, NormEps: 1e-5, Act: "silu", RopeTheta: 10000, PartialRotary: 1,
		Rope: loader.RopeScaling{Type: "default", Factor: 1, OriginalMaxPositions: 64}, BOS: -1}
	fam, _ := arch.Lookup("llama")
	sizes := map[string]int{}
	norms := map[string]bool{}
	for _, t := range fam.Tensors(c, nil) {
		sizes[t.WeightName()] = t.Out * max(t.In, 1)
		norms[t.WeightName()] = t.Role.IsNorm()
	}
	return ggufSource{c, fam, func(name string) []float32 {
		r := rand.New(rand.NewPCG(uint64(len(name)), uint64(sizes[name])))
		w := make([]float32, sizes[name])
		for i := range w {
			w[i] = float32(r.NormFloat64() * 0.08)
			if norms[name] {
				w[i] += 1
			}
		}
		return w
	}}
}

// TestGutenbergGGUF checks llama.cpp-layout GGUF copies of the real model
// (tools/anchors/hf_llama_to_gguf.py writes them: see docs/loader.md)
// against its HF folder, when both are present.
func TestGutenbergGGUF(t *testing.T) {
	if _, err := os.Stat(gutenbergDir); err != nil {
		t.Skip("../shared/models/gutenberg-llama-19m is absent")
	}
	ids := []int{464, 3797, 286, 262, 1263, 11, 290, 262, 995, 373, 1175, 13}
	want := allLogits(t, openModel(t, gutenbergDir), ids)
	for _, path := range []string{"/tmp/g19m-f32.gguf", "/tmp/g19m-bf16.gguf"} {
		if _, err := os.Stat(path); err != nil {
			t.Logf("%s is absent: skipped", path)
			continue
		}
		if d := relDiff(allLogits(t, openModel(t, path), ids), want); d > 1e-5 {
			t.Errorf("%s: max |logit − folder's| = %.3g × max |logit| > 1e-5", path, d)
		}
	}
}

// TestConvertOnLoad re-stores each fixture's weights at load: as F32 the
// logits are the folder's, as Q8_0 and Q4_0 those of a GGUF file
// quantized the same way, and the progress reaches every row.
func TestConvertOnLoad(t *testing.T) {
	for _, dir := range ggufFixtures(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, ref := loadFixture(t, dir)
			want := allLogits(t, m, ref.InputIDs)
			src := folderSource(t, dir)
			for _, typ := range []quant.Type{quant.F32, quant.Q8_0, quant.Q4_0} {
				c, err := loader.Open(dir)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				var done, total int
				got, err := LoadWith(c, LoadOptions{Convert: true, Weights: typ, Progress: func(d, n int) { done, total = d, n }})
				if err != nil {
					t.Fatal(err)
				}
				if done != total || total == 0 {
					t.Errorf("%v: progress ended at %d of %d rows", typ, done, total)
				}
				if typ != quant.F32 {
					want = allLogits(t, openModel(t, writeGGUF(t, src, ggufOptions{weights: typ})), ref.InputIDs)
				}
				if d := relDiff(allLogits(t, got, ref.InputIDs), want); d > 1e-5 {
					t.Errorf("%v: max |logit − reference| = %.3g × max |logit| > 1e-5", typ, d)
				}
			}
		})
	}
}
