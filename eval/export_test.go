package eval

import (
	"context"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/model"
)

// Windows evaluates plan on the first k non-overlapping windows of ctx
// tokens of ids (all that fit when k ≤ 0), each a fresh forward pass scored
// on targets 1..ctx−1: the protocol of the transformers reference files.
// progress, if not nil, is called after each window.
func Windows(m *model.Model, ids []int, ctx, k int, plan *attention.Plan, progress func(Progress)) (Stats, error) {
	lay, err := Protocol{Name: ProtocolWindows, Ctx: ctx, Max: max(k, 0)}.Spans([]int{len(ids)})
	if err != nil {
		return Stats{}, err
	}
	ev, err := NewEvaluation(m, [][]int{ids}, lay.Spans, []Setting{{Plan: plan, HyperLayers: plan.HyperLayers()}}, nil)
	if err != nil {
		return Stats{}, err
	}
	if err := ev.Evaluate(context.Background(), progress); err != nil {
		return Stats{}, err
	}
	return ev.Runs()[0].Stats, nil
}
