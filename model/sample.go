package model

import (
	"math"
	"math/rand/v2"
	"sort"
)

// SamplerConfig chooses the next token the way HF transformers' generate
// does: repetition penalty first, then temperature, top-k, top-p and min-p,
// then a draw from the remaining distribution. Temperature 0 is greedy.
type SamplerConfig struct {
	Temperature       float64 // 0: greedy (argmax)
	TopK              int     // 0: off
	TopP              float64 // 1 (or 0): off
	MinP              float64 // 0: off
	RepetitionPenalty float64 // 1 (or 0): off
	Seed              uint64
}

// Sampler draws tokens from logits; it owns its random stream, so the same
// seed and inputs give the same tokens.
type Sampler struct {
	cfg   SamplerConfig
	rng   *rand.Rand
	probs []float64
	order []int
}

// NewSampler returns a sampler for cfg.
func NewSampler(cfg SamplerConfig) *Sampler {
	return &Sampler{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))}
}

// Next picks a token from logits (modified in place) given the ids seen so
// far (prompt and generated), which the repetition penalty reads.
func (s *Sampler) Next(logits []float32, history []int) int {
	if p := s.cfg.RepetitionPenalty; p > 0 && p != 1 {
		// Each distinct id is penalised once, however often it occurred.
		seen := make(map[int]bool, len(history))
		for _, id := range history {
			if id < 0 || id >= len(logits) || seen[id] {
				continue
			}
			seen[id] = true
			if v := logits[id]; v < 0 {
				logits[id] = v * float32(p)
			} else {
				logits[id] = v / float32(p)
			}
		}
	}
	if s.cfg.Temperature <= 0 {
		return argmax(logits)
	}
	return s.draw(logits)
}

// argmax returns the first index of the largest value.
func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

func (s *Sampler) draw(logits []float32) int {
	n := len(logits)
	if cap(s.probs) < n {
		s.probs = make([]float64, n)
		s.order = make([]int, n)
	}
	p := s.probs[:n]
	t := s.cfg.Temperature
	for i, v := range logits {
		p[i] = float64(v) / t
	}
	if k := s.cfg.TopK; k > 0 && k < n {
		kth := kthLargest(p, k)
		for i, v := range p {
			if v < kth {
				p[i] = math.Inf(-1)
			}
		}
	}
	softmax(p)
	if tp := s.cfg.TopP; tp > 0 && tp < 1 {
		// HF: sort ascending, drop tokens whose cumulative probability
		// stays ≤ 1−top_p, always keep the most likely one.
		order := s.order[:n]
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return p[order[a]] < p[order[b]] })
		var cum float64
		for j, i := range order {
			cum += p[i]
			if cum <= 1-tp && j < n-1 {
				p[i] = 0
			}
		}
		normalise(p)
	}
	if mp := s.cfg.MinP; mp > 0 {
		var top float64
		for _, v := range p {
			top = math.Max(top, v)
		}
		for i, v := range p {
			if v < mp*top {
				p[i] = 0
			}
		}
		normalise(p)
	}
	r := s.rng.Float64()
	var cum float64
	last := 0
	for i, v := range p {
		if v == 0 {
			continue
		}
		cum += v
		last = i
		if r < cum {
			return i
		}
	}
	return last
}

func kthLargest(p []float64, k int) float64 {
	c := append([]float64(nil), p...)
	sort.Sort(sort.Reverse(sort.Float64Slice(c)))
	return c[k-1]
}

func softmax(p []float64) {
	mx := math.Inf(-1)
	for _, v := range p {
		mx = math.Max(mx, v)
	}
	for i, v := range p {
		p[i] = math.Exp(v - mx)
	}
	normalise(p)
}

func normalise(p []float64) {
	var s float64
	for _, v := range p {
		s += v
	}
	for i := range p {
		p[i] /= s
	}
}
