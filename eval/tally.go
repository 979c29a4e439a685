package eval

import (
	"math"
	"slices"
	"time"

	"github.com/gollm/gollm/internal/stats"
)

// tally accumulates one run (one setting, one seed) over the spans.
type tally struct {
	nll, nll2 float64 // Σ and Σ² of per-target NLL
	n         int
	docNLL    []float64 // Σ NLL per document
	docN      []int
	windowNLL []float64 // mean NLL of each span
	spans     int
	tokensRun int
	seconds   time.Duration // forward passes plus the output layer
	attention time.Duration // inside the attention kernels
	kl        klTally
}

// klTally accumulates the comparison with the reference run.
type klTally struct {
	kl, klMax, dp float64
	agree, n      int
	absDP         []float32 // |Δp| of every scored target, for percentiles
}

func newTally(docs int) *tally {
	return &tally{docNLL: make([]float64, docs), docN: make([]int, docs)}
}

func (t *tally) add(s tokenStats, withKL bool) {
	t.nll += s.nll
	t.nll2 += s.nll * s.nll
	t.n++
	if !withKL {
		return
	}
	k := &t.kl
	k.kl += s.kl
	k.klMax = max(k.klMax, s.kl)
	k.dp += s.dp
	if s.agrees {
		k.agree++
	}
	k.n++
	k.absDP = append(k.absDP, float32(math.Abs(s.dp)))
}

// endSpan books span sp, whose targets are all the tally holds.
func (t *tally) endSpan(sp Span) {
	t.docNLL[sp.Doc] += t.nll
	t.docN[sp.Doc] += t.n
	t.windowNLL = append(t.windowNLL, t.nll/float64(t.n))
	t.spans++
	t.tokensRun += sp.Len()
}

// merge adds the figures of u (disjoint spans) to t.
func (t *tally) merge(u *tally) {
	t.nll += u.nll
	t.nll2 += u.nll2
	t.n += u.n
	for d := range t.docNLL {
		t.docNLL[d] += u.docNLL[d]
		t.docN[d] += u.docN[d]
	}
	t.windowNLL = append(t.windowNLL, u.windowNLL...)
	t.spans += u.spans
	t.tokensRun += u.tokensRun
	t.seconds += u.seconds
	t.attention += u.attention
	k, l := &t.kl, &u.kl
	k.kl += l.kl
	k.klMax = max(k.klMax, l.klMax)
	k.dp += l.dp
	k.agree += l.agree
	k.n += l.n
	k.absDP = append(k.absDP, l.absDP...)
}

// Stats are the figures of one run.
type Stats struct {
	PPL          float64   `json:"ppl"`             // e^CE, CE = mean NLL per scored token (nats)
	PPL2         float64   `json:"ppl_base2"`       // 2^CE, the released HyperAttention script's convention
	MeanNLL      float64   `json:"mean_nll"`        // CE: nats per scored token
	MeanNLLSE    float64   `json:"mean_nll_se"`     // standard error of MeanNLL over tokens
	PPLSE        float64   `json:"ppl_se"`          // PPL × MeanNLLSE (llama-perplexity's ±)
	DocPPL       float64   `json:"doc_ppl"`         // e^(mean over documents of each one's CE)
	DocPPL2      float64   `json:"doc_ppl_base2"`   // 2^(same): the paper's reported figure
	DocMeanNLL   float64   `json:"doc_mean_nll"`    // mean over documents of each one's CE
	DocMeanNLLSE float64   `json:"doc_mean_nll_se"` // its standard error over documents
	Docs         int       `json:"docs"`            // documents with at least one scored token
	Windows      int       `json:"windows"`         // forward passes (spans)
	TokensScored int       `json:"tokens_scored"`
	TokensRun    int       `json:"tokens_run"`        // tokens through the model
	Seconds      float64   `json:"seconds"`           // forward passes plus the output layer
	AttnSeconds  float64   `json:"attention_seconds"` // of which inside attention
	TokensPerSec float64   `json:"tokens_per_s"`      // TokensRun / Seconds
	WindowNLL    []float64 `json:"window_mean_nll"`   // mean NLL of each window
	KL           *KLStats  `json:"kl,omitempty"`
}

// KLStats compare a run's next-token distributions with the reference run's
// at every scored position.
type KLStats struct {
	MeanKL    float64 `json:"mean_kl"`       // mean KL(reference ‖ setting), nats
	MaxKL     float64 `json:"max_kl"`        // largest per-position KL
	Top1      float64 `json:"top1"`          // fraction of positions with the same most likely token
	MeanDP    float64 `json:"mean_dp"`       // mean of p_setting(target) − p_reference(target)
	MedianADP float64 `json:"median_abs_dp"` // median |Δp|
	P90ADP    float64 `json:"p90_abs_dp"`
	P99ADP    float64 `json:"p99_abs_dp"`
	MaxADP    float64 `json:"max_abs_dp"`
}

// stats computes the run's figures; withKL adds the comparison.
func (t *tally) stats(withKL bool) Stats {
	s := Stats{Windows: t.spans, TokensScored: t.n, TokensRun: t.tokensRun,
		Seconds: t.seconds.Seconds(), AttnSeconds: t.attention.Seconds(),
		WindowNLL: slices.Clone(t.windowNLL)}
	if t.n == 0 {
		return s
	}
	s.MeanNLL = t.nll / float64(t.n)
	s.PPL, s.PPL2 = math.Exp(s.MeanNLL), math.Exp2(s.MeanNLL)
	s.MeanNLLSE = stdErr(t.nll, t.nll2, t.n)
	s.PPLSE = s.PPL * s.MeanNLLSE
	var sum, sum2 float64
	for d, n := range t.docN {
		if n > 0 {
			m := t.docNLL[d] / float64(n)
			sum += m
			sum2 += m * m
			s.Docs++
		}
	}
	s.DocMeanNLL = sum / float64(s.Docs)
	s.DocPPL, s.DocPPL2 = math.Exp(s.DocMeanNLL), math.Exp2(s.DocMeanNLL)
	s.DocMeanNLLSE = stdErr(sum, sum2, s.Docs)
	if s.Seconds > 0 {
		s.TokensPerSec = float64(t.tokensRun) / s.Seconds
	}
	if withKL && t.kl.n > 0 {
		s.KL = t.kl.stats()
	}
	return s
}

func (k *klTally) stats() *KLStats {
	n := float64(k.n)
	sorted := slices.Clone(k.absDP)
	slices.Sort(sorted)
	q := func(f float64) float64 { return float64(stats.Quantile(sorted, f)) }
	return &KLStats{MeanKL: k.kl / n, MaxKL: k.klMax, Top1: float64(k.agree) / n, MeanDP: k.dp / n,
		MedianADP: q(0.5), P90ADP: q(0.9), P99ADP: q(0.99), MaxADP: q(1)}
}

// stdErr is the standard error of the mean of n values with sum s and sum
// of squares s2 (0 for fewer than two values).
func stdErr(s, s2 float64, n int) float64 {
	if n < 2 {
		return 0
	}
	mean := s / float64(n)
	v := (s2/float64(n) - mean*mean) * float64(n) / float64(n-1)
	return math.Sqrt(max(v, 0) / float64(n))
}
