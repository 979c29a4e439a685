// Package eval measures language-model quality: perplexity over token
// windows of long documents, for any attention plan.
package eval

import (
	"fmt"
	"math"
	"time"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/model"
)

// Result is the outcome of one perplexity evaluation.
type Result struct {
	PPL          float64   `json:"ppl"`      // exp(MeanNLL)
	MeanNLL      float64   `json:"mean_nll"` // nats per scored token
	TokensScored int       `json:"tokens_scored"`
	Windows      int       `json:"windows"`
	WindowNLL    []float64 `json:"window_mean_nll"` // mean NLL of each window
	Seconds      float64   `json:"seconds"`
}

// logitRows is how many positions get their logits at once: it bounds the
// logits buffer to logitRows × vocab floats whatever the context.
const logitRows = 128

// WindowNLL runs one window of ids from an empty cache and returns the
// summed NLL of targets 1..len(ids)−1 (the first token is context only).
func WindowNLL(m *model.Model, st *model.State, ids []int, plan *attention.Plan) (float64, error) {
	st.Reset()
	hidden, err := m.Forward(st, ids, plan)
	if err != nil {
		return 0, err
	}
	return sumNLL(m, hidden, ids), nil
}

// sumNLL is Σ_i −log softmax(logits_i)[ids[i+1]] over rows 0..len(ids)−2.
func sumNLL(m *model.Model, hidden []float32, ids []int) float64 {
	h, v := m.HiddenSize(), m.VocabSize()
	logits := make([]float32, logitRows*v)
	nll := make([]float64, logitRows)
	var total float64
	for r0 := 0; r0 < len(ids)-1; r0 += logitRows {
		rows := min(logitRows, len(ids)-1-r0)
		m.Logits(logits, hidden[r0*h:(r0+rows)*h], rows)
		parallel.For(rows, 8, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				row := logits[i*v : (i+1)*v]
				nll[i] = kernels.LogSumExp(row) - float64(row[ids[r0+i+1]])
			}
		})
		for i := 0; i < rows; i++ { // fixed order: deterministic sum
			total += nll[i]
		}
	}
	return total
}

// Windows evaluates the first k non-overlapping windows of ctx tokens of
// ids (as many as fit when k ≤ 0), each a fresh forward pass, and reports
// perplexity over targets 1..ctx−1 of every window. progress, if not nil,
// is called after each window.
func Windows(m *model.Model, ids []int, ctx, k int, plan *attention.Plan, progress func(done, total int)) (Result, error) {
	if ctx < 2 {
		return Result{}, fmt.Errorf("eval: context %d is too short (need at least 2 tokens)", ctx)
	}
	avail := len(ids) / ctx
	if avail == 0 {
		return Result{}, fmt.Errorf("eval: the text has %d tokens, fewer than one window of %d", len(ids), ctx)
	}
	if k <= 0 || k > avail {
		k = avail
	}
	start := time.Now()
	st := m.NewState(ctx)
	res := Result{Windows: k}
	var total float64
	for w := 0; w < k; w++ {
		s, err := WindowNLL(m, st, ids[w*ctx:(w+1)*ctx], plan)
		if err != nil {
			return Result{}, err
		}
		total += s
		res.WindowNLL = append(res.WindowNLL, s/float64(ctx-1))
		if progress != nil {
			progress(w+1, k)
		}
	}
	res.TokensScored = k * (ctx - 1)
	res.MeanNLL = total / float64(res.TokensScored)
	res.PPL = math.Exp(res.MeanNLL)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}
