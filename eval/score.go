package eval

import (
	"math"
	"time"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/model"
)

// logitRows is how many positions get their logits at once: it bounds the
// logits buffers to logitRows × vocab floats whatever the context.
const logitRows = 128

// scorer turns final hidden states into per-target statistics, a block of
// logitRows positions at a time, so no window's logits are ever whole.
type scorer struct {
	m                 *model.Model
	logits, refLogits []float32
	tok               [logitRows]tokenStats
}

// tokenStats is what one scored target contributes.
type tokenStats struct {
	nll    float64 // −log q(target) under the setting
	kl     float64 // KL(reference ‖ setting) of the next-token distributions
	dp     float64 // q(target) − p(target): setting minus reference
	agrees bool    // same top-1 token as the reference
}

func newScorer(m *model.Model) *scorer {
	return &scorer{m: m, logits: make([]float32, logitRows*m.VocabSize())}
}

// score adds targets from..len(ids)−1 of a window to t, given the window's
// final hidden states. With ref (the reference run's hidden states of the
// same window) it also adds KL, top-1 agreement and Δp. It returns the time
// spent in the setting's own output layer and the first row whose figures
// are not finite (non-finite logits; −1: none), where it stops adding.
func (s *scorer) score(t *SpanScore, hidden, ref []float32, ids []int, from int) (time.Duration, int) {
	h, v := s.m.HiddenSize(), s.m.VocabSize()
	if ref != nil && s.refLogits == nil {
		s.refLogits = make([]float32, logitRows*v)
	}
	var own time.Duration
	for r0 := from - 1; r0 < len(ids)-1; r0 += logitRows {
		rows := min(logitRows, len(ids)-1-r0)
		start := time.Now()
		s.m.Logits(s.logits, hidden[r0*h:(r0+rows)*h], rows)
		own += time.Since(start)
		if ref != nil {
			s.m.Logits(s.refLogits, ref[r0*h:(r0+rows)*h], rows)
		}
		parallel.For(rows, 8, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				target := ids[r0+i+1]
				q := s.logits[i*v : (i+1)*v]
				if ref == nil {
					s.tok[i] = tokenStats{nll: kernels.LogSumExp(q) - float64(q[target])}
				} else {
					s.tok[i] = compareRows(s.refLogits[i*v:(i+1)*v], q, target)
				}
			}
		})
		for i := 0; i < rows; i++ { // fixed order: deterministic sums
			if !s.tok[i].finite() {
				return own, r0 + i
			}
			t.add(s.tok[i], ref != nil)
		}
	}
	return own, -1
}

// finite reports whether the token's figures are all finite numbers, as
// they are unless the logits (of either run) hold NaN or ±Inf.
func (ts tokenStats) finite() bool {
	for _, x := range [...]float64{ts.nll, ts.kl, ts.dp} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// compareRows scores target under the setting's logits q and compares the
// next-token distribution with the reference's logits p.
func compareRows(p, q []float32, target int) tokenStats {
	lseP, lseQ := kernels.LogSumExp(p), kernels.LogSumExp(q)
	var kl float64
	argP, argQ := 0, 0
	for j, a := range p {
		kl += math.Exp(float64(a)-lseP) * float64(a-q[j])
		if a > p[argP] {
			argP = j
		}
		if q[j] > q[argQ] {
			argQ = j
		}
	}
	kl += lseQ - lseP
	nll := lseQ - float64(q[target])
	return tokenStats{
		nll:    nll,
		kl:     max(kl, 0), // rounding can leave a tiny negative
		dp:     math.Exp(-nll) - math.Exp(float64(p[target])-lseP),
		agrees: argP == argQ,
	}
}
