package loader

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/gollm/gollm/arch"
	"github.com/gollm/gollm/gguf"
	"github.com/gollm/gollm/quant"
	"github.com/gollm/gollm/weights"
)

// isGGUF reports whether the file at path starts with GGUF's magic.
func isGGUF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	return err == nil && bytes.Equal(magic, []byte("GGUF"))
}

// openGGUF opens a GGUF file as a Checkpoint: its config from the
// metadata through the family of general.architecture, its tensors under
// their GGUF names with PyTorch-order shapes ([out, in] for Dims [in, out]).
func openGGUF(path string) (*Checkpoint, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	c := &Checkpoint{Dir: path, GGUF: f, tensors: map[string]located{}, used: map[string]bool{}, release: []func() error{f.Close}}
	if err := c.addGGUFTensors(f); err != nil {
		c.Close()
		return nil, err
	}
	if c.Config, err = ggufConfig(f, c); err != nil {
		c.Close()
		return nil, fmt.Errorf("loader: %s: %w", path, err)
	}
	return c, nil
}

// addGGUFTensors registers f's tensors, refusing the types gollm cannot
// read.
func (c *Checkpoint) addGGUFTensors(f *gguf.File) error {
	for _, ti := range f.Tensors {
		if !ti.Type.Loads() {
			return fmt.Errorf("loader: %s: tensor %q: type %v is not supported (supported: %s)", f.Name, ti.Name, ti.Type, strings.Join(loadableTypes(), ", "))
		}
		_, data, err := f.Tensor(ti.Name)
		if err != nil {
			return fmt.Errorf("loader: %w", err)
		}
		shape := make([]int, len(ti.Dims))
		for i, d := range ti.Dims {
			if d > math.MaxInt {
				return fmt.Errorf("loader: %s: tensor %q: dims %v are too large", f.Name, ti.Name, ti.Dims)
			}
			shape[len(shape)-1-i] = int(d)
		}
		c.tensors[ti.Name] = located{path: f.Name, t: &weights.Tensor{Name: ti.Name, DType: ti.Type, Shape: shape, Data: data}}
	}
	return nil
}

// loadableTypes names the tensor types gollm reads.
func loadableTypes() []string {
	var names []string
	for t := quant.Type(0); t < 64; t++ {
		if t.Loads() {
			names = append(names, t.String())
		}
	}
	return names
}

// ggufConfig reads the config of a GGUF file: general.architecture picks
// the family, which reads its keys; the vocabulary size is
// {arch}.vocab_size or the length of tokenizer.ggml.tokens (or the
// embedding's rows), the special tokens tokenizer.ggml.bos/eos_token_id,
// and the RoPE frequency factors the rope_freqs tensor of c holds.
func ggufConfig(f *gguf.File, c *Checkpoint) (*Config, error) {
	name, err := f.String("general.architecture")
	if err != nil {
		return nil, err
	}
	fam, err := arch.LookupGGUF(name)
	if err != nil {
		return nil, err
	}
	var rerr error
	r := &ggufReader{f: f, prefix: name + ".", err: &rerr}
	global := &ggufReader{f: f, err: &rerr}
	cfg := &Config{ModelType: fam.ModelType, Architectures: []string{fam.Class}}
	fam.ReadGGUF(r, cfg, c.Has)
	cfg.VocabSize = r.Int(ggufVocabSize(f), "vocab_size")
	cfg.BOS = global.Int(-1, "tokenizer.ggml.bos_token_id")
	if f.Has("tokenizer.ggml.eos_token_id") {
		cfg.EOS = []int{global.Int(0, "tokenizer.ggml.eos_token_id")}
	}
	if rerr != nil {
		return nil, fmt.Errorf("metadata: %w", rerr)
	}
	if c.Has(ropeFreqs) && !fam.LearnedPositions {
		if err := readFreqFactors(c, cfg); err != nil {
			return nil, err
		}
	}
	if err := validate(cfg, fam, true); err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", name, err)
	}
	return cfg, nil
}

// ropeFreqs is the GGUF tensor of per-frequency RoPE factors.
const ropeFreqs = "rope_freqs.weight"

// readFreqFactors reads the rope_freqs tensor into cfg's RoPE: one factor
// per rotated pair, each positive, over linear or no other scaling.
func readFreqFactors(c *Checkpoint, cfg *Config) error {
	if cfg.Rope.Type != "default" {
		return fmt.Errorf("tensor %q: RoPE factors with rope.scaling.type %q are not supported", ropeFreqs, cfg.Rope.Type)
	}
	t, err := c.Tensor(ropeFreqs)
	if err != nil {
		return err
	}
	if t.DType != quant.F32 || len(t.Shape) != 1 || t.Shape[0] != cfg.RotaryDim()/2 {
		return fmt.Errorf("tensor %q: %v %v, want F32 [%d] (half the rotary dimension)", ropeFreqs, t.DType, t.Shape, cfg.RotaryDim()/2)
	}
	ff := t.Float32s()
	for i, f := range ff {
		if !(f > 0) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("tensor %q: factor %d is %g (want > 0)", ropeFreqs, i, f)
		}
	}
	cfg.Rope.Type, cfg.Rope.FreqFactors = "factors", ff
	return nil
}

// ggufVocabSize is the length of tokenizer.ggml.tokens, or the rows of
// token_embd.weight when the file has no token list (0 when neither).
func ggufVocabSize(f *gguf.File) int {
	if v, ok := f.Get("tokenizer.ggml.tokens"); ok && v.Type() == gguf.TypeArray {
		return v.Len()
	}
	for _, t := range f.Tensors {
		if t.Name == "token_embd.weight" && len(t.Dims) == 2 && t.Dims[1] <= math.MaxInt32 {
			return int(t.Dims[1])
		}
	}
	return 0
}

// ggufReader reads GGUF metadata keys, named without prefix, as an
// arch.Reader: an absent key gives the default, a wrong type the error
// recorded in *err (the first one sticks).
type ggufReader struct {
	f      *gguf.File
	prefix string
	err    *error
}

// lookup returns the full name of the first of keys the file holds.
func (r *ggufReader) lookup(keys []string) (string, bool) {
	for _, k := range keys {
		if r.f.Has(r.prefix + k) {
			return r.prefix + k, true
		}
	}
	return "", false
}

// Int returns the first present key as an int (of int32's range).
func (r *ggufReader) Int(def int, keys ...string) int {
	n := get(r, int64(def), keys, r.f.Int)
	if n < math.MinInt32 || n > math.MaxInt32 {
		k, _ := r.lookup(keys)
		r.Fail(fmt.Errorf("key %q: %d is out of range", k, n))
		return def
	}
	return int(n)
}

// Float returns the first present key as a float64.
func (r *ggufReader) Float(def float64, keys ...string) float64 {
	return get(r, def, keys, r.f.Float)
}

// Bool returns the first present key as a bool.
func (r *ggufReader) Bool(def bool, keys ...string) bool { return get(r, def, keys, r.f.Bool) }

// String returns the first present key as a string.
func (r *ggufReader) String(def string, keys ...string) string {
	return get(r, def, keys, r.f.String)
}

// Present reports whether the file holds key.
func (r *ggufReader) Present(key string) bool { return r.f.Has(r.prefix + key) }

// Fail records err unless an error is already recorded.
func (r *ggufReader) Fail(err error) {
	if *r.err == nil {
		*r.err = err
	}
}

// get reads the first present key of r with read, or gives def.
func get[T any](r *ggufReader, def T, keys []string, read func(string) (T, error)) T {
	k, ok := r.lookup(keys)
	if !ok {
		return def
	}
	v, err := read(k)
	if err != nil {
		r.Fail(err)
		return def
	}
	return v
}
