package eval

import (
	"context"
	"fmt"
	"math"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/model"
)

// RetrievalSpec describes the retrieval probe: windows of Ctx tokens whose
// last Span tokens repeat the Span tokens that start Distance positions
// before the repeat. A model that retrieves predicts the repeat by copying;
// one whose attention lost the distant span cannot.
type RetrievalSpec struct {
	Ctx, Span int
	Distances []int // for each, the windows are measured; 0 is the window's start (Ctx − Span)
	Windows   int   // windows per distance, taken one after another from the text
}

// RetrievalResult is the probe at one distance.
type RetrievalResult struct {
	Distance int     `json:"distance"`
	Windows  int     `json:"windows"`
	NLL      float64 `json:"nll"`      // mean NLL of the repeat's tokens after its first
	Accuracy float64 `json:"accuracy"` // share of them that are the top-1 prediction (0–1)
	// BaseNLL is the mean NLL of the same tokens where they first
	// occur: what the model knows without the copy.
	BaseNLL float64 `json:"base_nll"`
}

// Validate checks spec against a text of n tokens.
func (s RetrievalSpec) Validate(n int) error {
	switch {
	case s.Span < 2:
		return fmt.Errorf("--span must be ≥ 2 (the first token of the repeat is not scored), got %d", s.Span)
	case s.Ctx < 2*s.Span:
		return fmt.Errorf("--ctx %d must hold the span twice (--span %d)", s.Ctx, s.Span)
	case s.Windows < 1:
		return fmt.Errorf("--windows must be ≥ 1, got %d", s.Windows)
	case len(s.Distances) == 0:
		return fmt.Errorf("--distance needs at least one value")
	}
	for _, d := range s.Distances {
		if d < 0 || d > s.Ctx-s.Span {
			return fmt.Errorf("--distance %d: must be in [%d, %d] for --ctx %d and --span %d (0: the window's start)", d, s.Span, s.Ctx-s.Span, s.Ctx, s.Span)
		}
		if d != 0 && d < s.Span {
			return fmt.Errorf("--distance %d is shorter than the span %d (the copy would overlap itself)", d, s.Span)
		}
	}
	if need := s.Windows * (s.Ctx - s.Span); need > n {
		return fmt.Errorf("the text has %d tokens; %d windows of %d text tokens need %d", n, s.Windows, s.Ctx-s.Span, need)
	}
	return nil
}

// Retrieval runs the probe over ids with plan (nil: the Reference kernel).
// Window w takes text tokens ids[w·(Ctx−Span):][:Ctx−Span] and appends the
// Span tokens that start Distance before that end. When a forward pass
// fails (ctx cancelled), it returns the distances finished so far with the
// error.
func Retrieval(ctx context.Context, m *model.Model, ids []int, spec RetrievalSpec, plan *attention.Plan) ([]RetrievalResult, error) {
	if err := spec.Validate(len(ids)); err != nil {
		return nil, err
	}
	text := spec.Ctx - spec.Span
	st := m.NewState(spec.Ctx)
	st.Ctx = ctx
	h, v := m.HiddenSize(), m.VocabSize()
	logits := make([]float32, spec.Span*v)
	var out []RetrievalResult
	for _, dist := range spec.Distances {
		if dist == 0 {
			dist = text
		}
		r := RetrievalResult{Distance: dist, Windows: spec.Windows}
		var nll, base float64
		var hits, n int
		for w := range spec.Windows {
			window := append([]int(nil), ids[w*text:][:text]...)
			from := text - dist // where the copied span first occurs
			window = append(window, window[from:from+spec.Span]...)
			st.Reset()
			hidden, err := m.Forward(st, window, plan)
			if err != nil {
				return out, err // the distances finished so far
			}
			// The rows predicting the span's tokens 1…Span−1: at its first
			// occurrence (base) and in the repeat.
			for _, at := range []int{from, text} {
				m.Logits(logits, hidden[at*h:(at+spec.Span-1)*h], spec.Span-1)
				for i := range spec.Span - 1 {
					row := logits[i*v : (i+1)*v]
					target := window[at+i+1]
					lp := kernels.LogSumExp(row) - float64(row[target])
					if at == from {
						base += lp
						continue
					}
					nll += lp
					n++
					if argmaxRow(row) == target {
						hits++
					}
				}
			}
		}
		r.NLL, r.BaseNLL, r.Accuracy = nll/float64(n), base/float64(n), float64(hits)/float64(n)
		if math.IsNaN(r.NLL) || math.IsInf(r.NLL, 0) {
			return nil, fmt.Errorf("retrieval at distance %d: the NLL is %v (non-finite logits)", dist, r.NLL)
		}
		out = append(out, r)
	}
	return out, nil
}

// argmaxRow is the first index of the largest value.
func argmaxRow(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
