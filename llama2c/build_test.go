package llama2c

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
)

// tinyConfig is a small model with grouped-query attention.
func tinyConfig(version int, shared bool) Config {
	c := Config{Dim: 16, Hidden: 24, Layers: 2, Heads: 4, KVHeads: 2, VocabSize: 10, SeqLen: 8, SharedClassifier: shared, Version: version}
	if version == 2 {
		c.GroupSize = 8
	}
	return c
}

// randomCheckpoint fills a checkpoint of cfg with random weights. For
// version 2 every group of a quantised tensor holds an exact multiple of
// its scale, with one weight at ±127 scales, so that Q8_0 round-trips.
func randomCheckpoint(cfg Config, seed uint64) *Checkpoint {
	rng := rand.New(rand.NewPCG(seed, 1))
	norm := func() []float32 {
		w := make([]float32, cfg.Dim)
		for i := range w {
			w[i] = 0.5 + rng.Float32()
		}
		return w
	}
	mat := func(n int) []float32 {
		w := make([]float32, n)
		if cfg.Version != 2 {
			for i := range w {
				w[i] = float32(rng.NormFloat64() * 0.5)
			}
			return w
		}
		g := cfg.GroupSize
		for start := 0; start < n; start += g {
			scale := 0.002 + 0.01*rng.Float32()
			for i := start; i < start+g; i++ {
				w[i] = float32(rng.IntN(255)-127) * scale
			}
			w[start+rng.IntN(g)] = 127 * scale
		}
		return w
	}
	d, kv, h, v := cfg.Dim, cfg.KVDim(), cfg.Hidden, cfg.VocabSize
	c := &Checkpoint{Config: cfg, Embedding: mat(v * d), FinalNorm: norm(), Layers: make([]Layer, cfg.Layers)}
	for i := range c.Layers {
		c.Layers[i] = Layer{
			AttnNorm: norm(), FFNNorm: norm(),
			WQ: mat(d * d), WK: mat(kv * d), WV: mat(kv * d), WO: mat(d * d),
			W1: mat(h * d), W2: mat(d * h), W3: mat(h * d),
		}
	}
	if !cfg.SharedClassifier {
		c.Classifier = mat(v * d)
	}
	return c
}

// encodeCheckpoint writes c in the file layout of its version, as
// llama2.c's export.py does.
func encodeCheckpoint(c *Checkpoint) []byte {
	cfg := c.Config
	var b []byte
	i32 := func(x int) { b = binary.LittleEndian.AppendUint32(b, uint32(int32(x))) }
	f32 := func(w []float32) {
		for _, x := range w {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	}
	q80 := func(w []float32) {
		g := cfg.GroupSize
		scales := make([]float32, len(w)/g)
		for k := range scales {
			var m float32
			for _, x := range w[k*g : (k+1)*g] {
				m = max(m, float32(math.Abs(float64(x))))
			}
			scales[k] = m / 127
			for _, x := range w[k*g : (k+1)*g] {
				b = append(b, byte(int8(math.Round(float64(x/scales[k])))))
			}
		}
		f32(scales)
	}
	mat := f32
	if cfg.Version == 2 {
		mat = q80
	}
	each := func(write func([]float32), field func(*Layer) []float32) {
		for i := range c.Layers {
			write(field(&c.Layers[i]))
		}
	}
	vocab := cfg.VocabSize
	if cfg.Version == 0 && !cfg.SharedClassifier {
		vocab = -vocab
	}
	if cfg.Version > 0 {
		i32(magic)
		i32(cfg.Version)
	}
	for _, x := range []int{cfg.Dim, cfg.Hidden, cfg.Layers, cfg.Heads, cfg.KVHeads, vocab, cfg.SeqLen} {
		i32(x)
	}
	matrices := func() {
		each(mat, func(l *Layer) []float32 { return l.WQ })
		each(mat, func(l *Layer) []float32 { return l.WK })
		each(mat, func(l *Layer) []float32 { return l.WV })
		each(mat, func(l *Layer) []float32 { return l.WO })
	}
	ffn := func() {
		each(mat, func(l *Layer) []float32 { return l.W1 })
		each(mat, func(l *Layer) []float32 { return l.W2 })
		each(mat, func(l *Layer) []float32 { return l.W3 })
	}
	if cfg.Version == 0 {
		f32(c.Embedding)
		each(f32, func(l *Layer) []float32 { return l.AttnNorm })
		matrices()
		each(f32, func(l *Layer) []float32 { return l.FFNNorm })
		ffn()
		f32(c.FinalNorm)
		f32(make([]float32, cfg.SeqLen*cfg.HeadDim())) // freq_cis real and imaginary halves
	} else {
		if cfg.SharedClassifier {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		if cfg.Version == 2 {
			i32(cfg.GroupSize)
		}
		b = append(b, make([]byte, versionedHeaderSize-len(b))...)
		each(f32, func(l *Layer) []float32 { return l.AttnNorm })
		each(f32, func(l *Layer) []float32 { return l.FFNNorm })
		f32(c.FinalNorm)
		mat(c.Embedding)
		matrices()
		ffn()
	}
	if !cfg.SharedClassifier {
		mat(c.Classifier)
	}
	return b
}

// encodeVocab writes a llama2.c tokenizer file.
func encodeVocab(maxLen int, pieces []string, scores []float32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(maxLen))
	for i, p := range pieces {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(scores[i]))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}
