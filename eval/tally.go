package eval

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gollm/gollm/internal/stats"
)

// SpanResult is what every setting scored on one span: the unit of work
// of an evaluation. A span runs under all the settings, the KL reference
// included, so a unit needs nothing from any other and units can be
// evaluated apart (sharded) and folded afterwards: Fold adds them in unit
// order, as Evaluation.Runs does, so the figures are the same to the bit
// however the units were split.
type SpanResult struct {
	Unit   int         `json:"unit"`   // the span's index in the evaluation
	Span   Span        `json:"span"`   // which tokens it ran and scored
	Scores []SpanScore `json:"scores"` // per setting, in the evaluation's order
}

// SpanScore is one setting's sums over the scored targets of one span,
// added target by target in order. Timings are left out of JSON: they
// differ from run to run, the sums do not.
type SpanScore struct {
	NLL       float64       `json:"nll"`  // Σ −log q(target), nats
	NLL2      float64       `json:"nll2"` // Σ NLL²
	Targets   int           `json:"targets"`
	KL        *SpanKL       `json:"kl,omitempty"` // the comparison with the KL reference; nil for the reference itself and without KL
	Seconds   time.Duration `json:"-"`            // forward pass plus the output layer
	Attention time.Duration `json:"-"`            // of which inside attention
}

// SpanKL is the comparison of a setting with the reference over targets:
// one span's in a SpanScore, a whole run's while Fold adds them up.
type SpanKL struct {
	Sum   float64   `json:"sum"`    // Σ KL(reference ‖ setting), nats
	Max   float64   `json:"max"`    // largest per-target KL
	DP    float64   `json:"dp"`     // Σ (q(target) − p(target))
	Agree int       `json:"agree"`  // targets whose top-1 tokens agree
	N     int       `json:"n"`      // targets compared
	AbsDP []float32 `json:"abs_dp"` // |Δp| of every target compared, for percentiles
}

// add books one scored target; withKL adds its comparison.
func (s *SpanScore) add(t tokenStats, withKL bool) {
	s.NLL += t.nll
	s.NLL2 += t.nll * t.nll
	s.Targets++
	if !withKL {
		return
	}
	if s.KL == nil {
		s.KL = &SpanKL{}
	}
	k := s.KL
	k.Sum += t.kl
	k.Max = max(k.Max, t.kl)
	k.DP += t.dp
	if t.agrees {
		k.Agree++
	}
	k.N++
	k.AbsDP = append(k.AbsDP, float32(math.Abs(t.dp)))
}

// merge adds u (other targets) to k.
func (k *SpanKL) merge(u *SpanKL) {
	k.Sum += u.Sum
	k.Max = max(k.Max, u.Max)
	k.DP += u.DP
	k.Agree += u.Agree
	k.N += u.N
	k.AbsDP = append(k.AbsDP, u.AbsDP...)
}

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
	kl        SpanKL
}

func newTally(docs int) *tally {
	return &tally{docNLL: make([]float64, docs), docN: make([]int, docs)}
}

// addSpan books span sp, whose targets s scored.
func (t *tally) addSpan(sp Span, s *SpanScore) {
	t.nll += s.NLL
	t.nll2 += s.NLL2
	t.n += s.Targets
	t.docNLL[sp.Doc] += s.NLL
	t.docN[sp.Doc] += s.Targets
	t.windowNLL = append(t.windowNLL, s.NLL/float64(s.Targets))
	t.spans++
	t.tokensRun += sp.Len()
	t.seconds += s.Seconds
	t.attention += s.Attention
	if s.KL != nil {
		t.kl.merge(s.KL)
	}
}

// fold adds results, which must be in unit order, into a run per setting
// over docs documents.
func fold(settings []Setting, docs int, results []SpanResult) []Run {
	runs := make([]Run, len(settings))
	for i, st := range settings {
		t := newTally(docs)
		for _, r := range results {
			t.addSpan(r.Span, &r.Scores[i])
		}
		runs[i] = Run{Setting: st, Stats: t.stats()}
	}
	return runs
}

// Fold combines span results — those of one evaluation over docs
// documents with these settings, in any order, each unit at most once —
// in unit order into each setting's run: what Evaluation.Runs gives after
// evaluating the same spans, to the bit. It checks that every result fits
// the settings and the documents. Its memory follows the results, not
// docs: the documents no result scores, which add nothing, are left out.
func Fold(settings []Setting, docs int, results []SpanResult) ([]Run, error) {
	sorted := slices.Clone(results)
	slices.SortStableFunc(sorted, func(a, b SpanResult) int { return a.Unit - b.Unit })
	var used []int
	for i, r := range sorted {
		if i > 0 && sorted[i-1].Unit == r.Unit {
			return nil, fmt.Errorf("eval: unit %d given twice", r.Unit)
		}
		if err := r.Check(len(settings), docs); err != nil {
			return nil, err
		}
		used = append(used, r.Span.Doc)
	}
	// Number the documents scored in their order: the runs' per-document
	// figures are summed in document order, skipping the unscored ones.
	slices.Sort(used)
	used = slices.Compact(used)
	for i := range sorted {
		sorted[i].Span.Doc, _ = slices.BinarySearch(used, sorted[i].Span.Doc)
	}
	return fold(settings, len(used), sorted), nil
}

// Check tells whether r can be folded with that many settings over that
// many documents: a span of one of them, a score per setting, each over at
// most the targets the span scores, compared over at most as many.
func (r SpanResult) Check(settings, docs int) error {
	sp := r.Span
	if r.Unit < 0 || sp.Doc < 0 || sp.Doc >= docs || sp.Start < 0 || sp.From < 1 || sp.From >= sp.Len() {
		return fmt.Errorf("eval: unit %d: span %+v does not fit %d documents", r.Unit, sp, docs)
	}
	if len(r.Scores) != settings {
		return fmt.Errorf("eval: unit %d: %d scores for %d settings", r.Unit, len(r.Scores), settings)
	}
	for i, s := range r.Scores {
		if s.Targets < 1 || s.Targets > sp.Scored() {
			return fmt.Errorf("eval: unit %d, setting %d: %d targets scored in a span that scores %d", r.Unit, i, s.Targets, sp.Scored())
		}
		if k := s.KL; k != nil && (k.N < 1 || k.N > s.Targets || len(k.AbsDP) != k.N || k.Agree < 0 || k.Agree > k.N) {
			return fmt.Errorf("eval: unit %d, setting %d: a KL comparison of %d targets (%d |Δp|, %d agreeing) for %d scored", r.Unit, i, k.N, len(k.AbsDP), k.Agree, s.Targets)
		}
	}
	return nil
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

// stats computes the run's figures, with the comparison when the run was
// compared with a reference.
func (t *tally) stats() Stats {
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
	if t.kl.N > 0 {
		s.KL = t.kl.stats()
	}
	return s
}

func (k *SpanKL) stats() *KLStats {
	n := float64(k.N)
	sorted := slices.Clone(k.AbsDP)
	slices.Sort(sorted)
	q := func(f float64) float64 { return float64(stats.Quantile(sorted, f)) }
	return &KLStats{MeanKL: k.Sum / n, MaxKL: k.Max, Top1: float64(k.Agree) / n, MeanDP: k.DP / n,
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
