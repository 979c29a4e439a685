package model

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gollm/gollm/internal/kernels"
)

// SamplerConfig chooses the next token the way HF transformers' generate
// does: repetition penalty first, then temperature, top-k, top-p and min-p,
// then a draw from the remaining distribution. Temperature 0 is greedy.
// The OpenAI API's logit bias, when set, comes first, and its presence and
// frequency penalties right after the repetition penalty, as vLLM applies
// them.
type SamplerConfig struct {
	Temperature       float64 // 0: greedy (argmax)
	TopK              int     // 0: off
	TopP              float64 // 1 (or 0): off
	MinP              float64 // 0: off
	RepetitionPenalty float64 // 1 (or 0): off
	Seed              uint64

	// LogitBias is added to the logits of its ids (OpenAI logit_bias).
	LogitBias map[int]float64
	// PresencePenalty is subtracted once from the logit of every id
	// generated so far; FrequencyPenalty once per time it was generated
	// (OpenAI's definitions; the prompt does not count). 0: off.
	PresencePenalty, FrequencyPenalty float64
}

// Validate checks every value against its range: temperature ≥ 0,
// 0 ≤ top_p ≤ 1, 0 ≤ min_p ≤ 1, top_k ≥ 0, repetition penalty ≥ 0,
// penalties in [−2, 2] (OpenAI's range), biases in [−100, 100] on ids
// below vocab; all finite. Errors name the field as OpenAI's API does.
func (c SamplerConfig) Validate(vocab int) error {
	finite := func(name string, v, lo, hi float64) error {
		switch {
		case !math.IsNaN(v) && !math.IsInf(v, 0) && v >= lo && v <= hi:
			return nil
		case hi == math.MaxFloat64:
			return fmt.Errorf("%s must be a finite number ≥ %g, got %g", name, lo, v)
		}
		return fmt.Errorf("%s must be a finite number in [%g, %g], got %g", name, lo, hi, v)
	}
	for _, e := range []error{
		finite("temperature", c.Temperature, 0, math.MaxFloat64),
		finite("top_p", c.TopP, 0, 1),
		finite("min_p", c.MinP, 0, 1),
		finite("repetition_penalty", c.RepetitionPenalty, 0, math.MaxFloat64),
		finite("presence_penalty", c.PresencePenalty, -2, 2),
		finite("frequency_penalty", c.FrequencyPenalty, -2, 2),
	} {
		if e != nil {
			return e
		}
	}
	if c.TopK < 0 {
		return fmt.Errorf("top_k must be ≥ 0, got %d", c.TopK)
	}
	for id, b := range c.LogitBias {
		if id < 0 || id >= vocab {
			return fmt.Errorf("logit_bias: token id %d is not in the vocabulary [0, %d)", id, vocab)
		}
		if err := finite(fmt.Sprintf("logit_bias[%d]", id), b, -100, 100); err != nil {
			return err
		}
	}
	return nil
}

// Sampler draws tokens from logits; it owns its random stream, so the same
// seed and inputs give the same tokens.
type Sampler struct {
	cfg   SamplerConfig
	rng   *rand.Rand
	probs []float64
	tmp   []float64
	order []int
	ids   []int
}

// NewSampler returns a sampler for cfg.
func NewSampler(cfg SamplerConfig) *Sampler {
	return &Sampler{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))}
}

// Next picks a token from logits (modified in place) given the prompt and
// the ids generated so far: the repetition penalty reads both, the
// presence and frequency penalties only the generated ones.
func (s *Sampler) Next(logits []float32, prompt, generated []int) int {
	for id, b := range s.cfg.LogitBias {
		if id >= 0 && id < len(logits) {
			logits[id] += float32(b)
		}
	}
	if p := s.cfg.RepetitionPenalty; p > 0 && p != 1 {
		// Each distinct id is penalised once, however often it occurred.
		seen := make(map[int]bool, len(prompt)+len(generated))
		for _, ids := range [][]int{prompt, generated} {
			for _, id := range ids {
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
	}
	if s.cfg.PresencePenalty != 0 || s.cfg.FrequencyPenalty != 0 {
		// logit[j] −= count[j]·frequency + (count[j] > 0)·presence
		count := make(map[int]int, len(generated))
		for _, id := range generated {
			count[id]++
		}
		for id, c := range count {
			if id >= 0 && id < len(logits) {
				logits[id] -= float32(float64(c)*s.cfg.FrequencyPenalty + s.cfg.PresencePenalty)
			}
		}
	}
	if s.cfg.Temperature <= 0 {
		return argmax(logits)
	}
	return s.draw(logits)
}

// argmax returns the first index of the largest value: the vector
// maximum, then the first place it occurs (a plain scan when the maximum
// is not found, as with NaN).
func argmax(x []float32) int {
	if len(x) == 0 {
		return 0
	}
	if m := kernels.Max(x); m == m {
		if i := slices.Index(x, m); i >= 0 {
			return i
		}
	}
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
		s.tmp = make([]float64, n)
		s.order = make([]int, n)
		s.ids = make([]int, n)
	}
	p := s.probs[:n]
	t := s.cfg.Temperature
	for i, v := range logits {
		p[i] = float64(v) / t
	}
	// ids maps the entries of p still in play to token ids: after top-k
	// only the k (with ties, more) largest, in id order, so that softmax,
	// top-p, min-p and the draw see k entries instead of the vocabulary —
	// the same numbers, as the others' probabilities are exactly 0.
	var ids []int
	if k := s.cfg.TopK; k > 0 && k < n {
		kth := kthLargest(p, s.tmp, k)
		ids = s.ids[:0]
		for i, v := range p {
			if v >= kth {
				ids = append(ids, i)
			}
		}
		kept := s.tmp[:len(ids)]
		for j, i := range ids {
			kept[j] = p[i]
		}
		p = kept
	}
	softmax(p)
	if tp := s.cfg.TopP; tp > 0 && tp < 1 {
		// HF: sort ascending, drop tokens whose cumulative probability
		// stays ≤ 1−top_p, always keep the most likely one. Tokens of
		// probability 0 would add nothing: only the others are sorted.
		order := s.order[:0]
		for i, v := range p {
			if v > 0 {
				order = append(order, i)
			}
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
		var cum float64
		for j, i := range order {
			cum += p[i]
			if cum <= 1-tp && j < len(order)-1 {
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
	id := func(i int) int {
		if ids == nil {
			return i
		}
		return ids[i]
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
			return id(i)
		}
	}
	return id(last)
}

// kthLargest returns the k-th largest value of p (k from 1), selecting in
// a copy in tmp (quickselect: linear time, where sorting the vocabulary
// for top-k took milliseconds a token).
func kthLargest(p, tmp []float64, k int) float64 {
	c := append(tmp[:0], p...)
	want := k - 1 // its index in descending order
	lo, hi := 0, len(c)-1
	for lo < hi {
		a, b, m := c[lo], c[hi], c[(lo+hi)/2]
		pivot := max(min(a, b), min(max(a, b), m)) // the median of the three
		i, j := lo, hi
		for i <= j { // Hoare partition, descending: c[lo..j] ≥ pivot ≥ c[i..hi]
			for c[i] > pivot {
				i++
			}
			for c[j] < pivot {
				j--
			}
			if i <= j {
				c[i], c[j] = c[j], c[i]
				i++
				j--
			}
		}
		switch {
		case want <= j:
			hi = j
		case want >= i:
			lo = i
		default:
			return c[want] // between j and i every value is the pivot
		}
	}
	return c[want]
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

// TokenLogprob is one token and its log-probability.
type TokenLogprob struct {
	ID      int
	Logprob float64
}

// Logprobs returns the log-probability of id under the softmax of logits
// (the model's own distribution, before any sampler setting) and the top
// most likely tokens, most likely first (ties: lower id first).
func Logprobs(logits []float32, id, top int) (float64, []TokenLogprob) {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v) - mx)
	}
	lse := mx + math.Log(sum)
	lp := func(i int) float64 { return float64(logits[i]) - lse }
	top = min(top, len(logits))
	best := make([]TokenLogprob, 0, top+1)
	for i, v := range logits {
		if len(best) == top && (top == 0 || v <= logits[best[top-1].ID]) {
			continue
		}
		j := len(best)
		if j == top {
			j--
		} else {
			best = append(best, TokenLogprob{})
		}
		for ; j > 0 && logits[best[j-1].ID] < v; j-- {
			best[j] = best[j-1]
		}
		best[j] = TokenLogprob{ID: i}
	}
	for i := range best {
		best[i].Logprob = lp(best[i].ID)
	}
	return lp(id), best
}
