package model

import (
	"fmt"

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

// Generate prefills prompt into s (all but the opts.Cached ids it already
// holds), then samples up to opts.MaxTokens new
// tokens, calling emit with each as soon as it is chosen. It returns the
// generated ids. emit returning an error stops generation with that error
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
