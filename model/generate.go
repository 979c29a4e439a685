package model

import (
	"fmt"
	"math"

	"github.com/gollm/gollm/attention"
)

// GenerateOptions control a generation run.
type GenerateOptions struct {
	MaxTokens int               // new tokens at most
	Stop      func(id int) bool // true ends generation before emitting id (e.g. EOS); nil: never
	Plan      *attention.Plan
	Sampler   *Sampler
	// Cached is how many leading ids of the prompt s already holds (a
	// prefix kept from an earlier generation): only the rest is run, while
	// the sampler still sees the whole prompt.
	Cached int
	// OnLogits, when set, sees each step's raw logits before the sampler
	// changes them (e.g. to compute log-probabilities); it must not keep
	// the slice, which is reused.
	OnLogits func(logits []float32)
}

// CheckLogits returns an error naming position pos (the token whose
// logits these are) when a logit is NaN or ±Inf, which only bad weights or
// a bad input make; sampling from them would pick a token silently.
func CheckLogits(logits []float32, pos int) error {
	for j, x := range logits {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("model: non-finite logits at position %d (token %d's logit is %v): the weights or the input are bad", pos, j, x)
		}
	}
	return nil
}

// Generate prefills prompt into s (all but the opts.Cached ids it already
// holds), then samples up to opts.MaxTokens new
// tokens, calling emit with each as soon as it is chosen. It returns the
// generated ids; non-finite logits are an error (CheckLogits). emit returning an error stops generation with that error
// (the ids so far are still returned).
func (m *Model) Generate(s *State, prompt []int, opts GenerateOptions, emit func(id int) error) ([]int, error) {
	if len(prompt) == 0 {
		return nil, fmt.Errorf("model: empty prompt")
	}
	if opts.Cached != s.Len() || opts.Cached >= len(prompt) {
		return nil, fmt.Errorf("model: %d cached prompt ids for a cache of %d and a prompt of %d (at least the last id must run)", opts.Cached, s.Len(), len(prompt))
	}
	logits := make([]float32, m.VocabSize())
	hidden, err := m.Forward(s, prompt[opts.Cached:], opts.Plan)
	if err != nil {
		return nil, err
	}
	last := hidden[(len(prompt)-opts.Cached-1)*m.hidden:]
	var out []int
	for len(out) < opts.MaxTokens {
		m.Logits(logits, last, 1)
		if err := CheckLogits(logits, s.Len()-1); err != nil {
			return out, err
		}
		if opts.OnLogits != nil {
			opts.OnLogits(logits)
		}
		id := opts.Sampler.Next(logits, prompt, out)
		if opts.Stop != nil && opts.Stop(id) {
			break
		}
		out = append(out, id)
		if emit != nil {
			if err := emit(id); err != nil {
				return out, err
			}
		}
		if len(out) == opts.MaxTokens {
			break
		}
		if last, err = m.Forward(s, []int{id}, opts.Plan); err != nil {
			return out, err
		}
	}
	return out, nil
}
