package eval

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/model"
)

// Setting is one attention plan to evaluate, with the labels a sweep
// groups its runs by.
type Setting struct {
	Plan        *attention.Plan
	HyperLayers int    // Plan.HyperLayers()
	Pattern     string // which layers Hyper took: last, first, even, odd
	Seed        uint64 // the seed Plan's Hyper layers were built with
	// PlanText describes a setting that has no Plan — one read back from
	// saved results, for reports only; with a Plan, Plan.String() does.
	PlanText string
}

// Describe is Plan.String(), or PlanText when there is no Plan.
func (s Setting) Describe() string {
	if s.Plan == nil {
		return s.PlanText
	}
	return s.Plan.String()
}

// Run is the outcome of one setting.
type Run struct {
	Setting Setting
	Stats
}

// Evaluation runs settings over the same spans of tokenized documents.
// Spans go one at a time and every setting runs on a span before the next
// span starts, so with KL the reference run's hidden states of only one
// window are ever held. A span with all its settings is a unit
// (SpanResult): Restrict limits an evaluation to some units (a shard), and
// a setting's Hyper layers draw their samples afresh for each unit
// (attention.Plan.Restart with the unit's index), so a unit scores the
// same whichever others ran before it. Runs may be read while Evaluate
// works (from another goroutine, e.g. on interrupt) and give the figures
// so far.
type Evaluation struct {
	m        *model.Model
	docs     [][]int
	spans    []Span
	units    []int // indices of the spans to run, ascending
	settings []Setting
	ref      *attention.Plan // KL reference, nil without KL
	refIndex int             // setting that is the reference, −1 if none

	// DecodeLast, when > 0, runs each span's last DecodeLast targets as
	// single-token decode steps after a prefill of the tokens before them,
	// and scores only those targets (reference runs included), so decoding
	// — and a plan's HyperDecode — is what is measured. Set it before
	// Evaluate; it must not exceed any span's scored targets.
	DecodeLast int

	mu      sync.Mutex
	results []SpanResult // the units every setting finished, in order
}

// NewEvaluation prepares settings over spans of docs (token ids). With
// ref non-nil every setting is also compared with ref's next-token
// distributions (KL mode); a setting whose plan is ref itself is not run
// twice.
func NewEvaluation(m *model.Model, docs [][]int, spans []Span, settings []Setting, ref *attention.Plan) (*Evaluation, error) {
	if len(spans) == 0 {
		return nil, fmt.Errorf("eval: nothing to score (no window fits any document)")
	}
	if len(settings) == 0 {
		return nil, fmt.Errorf("eval: no attention setting to evaluate")
	}
	for _, sp := range spans {
		if sp.Doc < 0 || sp.Doc >= len(docs) || sp.Start < 0 || sp.End > len(docs[sp.Doc]) || sp.From < 1 || sp.From >= sp.Len() {
			return nil, fmt.Errorf("eval: span %+v does not fit its document", sp)
		}
	}
	e := &Evaluation{m: m, docs: docs, spans: spans, settings: settings, ref: ref, refIndex: -1}
	for i := range spans {
		e.units = append(e.units, i)
	}
	for i, s := range settings {
		if ref != nil && s.Plan == ref {
			e.refIndex = i
		}
	}
	return e, nil
}

// Restrict limits the evaluation to the spans of the given indices (a
// shard's units, from Shards), which must be ascending and in range; it
// may leave none. Call it before Evaluate.
func (e *Evaluation) Restrict(units []int) error {
	for i, u := range units {
		if u < 0 || u >= len(e.spans) || i > 0 && u <= units[i-1] {
			return fmt.Errorf("eval: units %v are not ascending indices of the %d spans", units, len(e.spans))
		}
	}
	e.units = slices.Clone(units)
	return nil
}

// Progress is what Evaluate reports after each forward pass, and once more
// (with SpanDone) when every setting has finished a span.
type Progress struct {
	Forwards, TotalForwards int  // forward passes done and in all
	Spans, TotalSpans       int  // spans finished by every setting, and in all
	SpanDone                bool // this report is a span's end, not a forward pass
}

// Evaluate runs every span under every setting; progress, if not nil, is
// told after each forward pass and each span. It stops between forward
// passes when ctx is cancelled and returns ctx's error; Runs then reports
// the spans that every setting finished.
func (e *Evaluation) Evaluate(ctx context.Context, progress func(Progress)) error {
	maxLen := 0
	for _, u := range e.units {
		sp := e.spans[u]
		maxLen = max(maxLen, sp.Len())
		if e.DecodeLast < 0 || e.DecodeLast > sp.Scored() {
			return fmt.Errorf("eval: cannot decode the last %d targets of a window that scores %d", e.DecodeLast, sp.Scored())
		}
	}
	if len(e.units) == 0 {
		return nil
	}
	st := e.m.NewState(maxLen)
	sc := newScorer(e.m)
	perSpan := len(e.settings)
	if e.ref != nil && e.refIndex < 0 {
		perSpan++
	}
	p := Progress{TotalForwards: perSpan * len(e.units), TotalSpans: len(e.units)}
	step := func(spanDone bool) {
		if spanDone {
			p.Spans++
		} else {
			p.Forwards++
		}
		p.SpanDone = spanDone
		if progress != nil {
			progress(p)
		}
	}
	for _, u := range e.units {
		sp := e.spans[u]
		ids := e.docs[sp.Doc][sp.Start:sp.End]
		res := SpanResult{Unit: u, Span: sp, Scores: make([]SpanScore, len(e.settings))}
		var ref []float32
		var err error
		switch {
		case e.refIndex >= 0:
			ref, err = e.runSetting(ctx, st, sc, &res, e.refIndex, nil)
		case e.ref != nil:
			e.ref.Restart(uint64(u))
			ref, err = e.forward(ctx, st, ids, e.ref, nil)
		}
		if err != nil {
			return err
		}
		if e.ref != nil {
			step(false)
		}
		for i := range e.settings {
			if i == e.refIndex {
				continue
			}
			if _, err := e.runSetting(ctx, st, sc, &res, i, ref); err != nil {
				return err
			}
			step(false)
		}
		e.mu.Lock()
		e.results = append(e.results, res)
		e.mu.Unlock()
		step(true)
	}
	return nil
}

// forward runs ids from an empty cache and returns the final hidden states
// (with DecodeLast, of every position but the last), adding the time spent
// in attention to *attn when attn is not nil.
func (e *Evaluation) forward(ctx context.Context, st *model.State, ids []int, plan *attention.Plan, attn *time.Duration) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st.Reset()
	st.OnAttention = nil
	if attn != nil {
		st.OnAttention = func(d time.Duration) { *attn += d }
	}
	if e.DecodeLast == 0 {
		return e.m.Forward(st, ids, plan)
	}
	h := e.m.HiddenSize()
	hidden := make([]float32, len(ids)*h)
	pre := len(ids) - 1 - e.DecodeLast
	if pre > 0 {
		x, err := e.m.Forward(st, ids[:pre], plan)
		if err != nil {
			return nil, err
		}
		copy(hidden, x)
	}
	for i := pre; i < len(ids)-1; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		x, err := e.m.Forward(st, ids[i:i+1], plan)
		if err != nil {
			return nil, err
		}
		copy(hidden[i*h:], x)
	}
	return hidden, nil
}

// runSetting runs unit res under setting i (its Hyper samples restarted
// for the unit), scores it into res.Scores[i] (compared with ref when not
// nil) with its timing, and returns its hidden states.
func (e *Evaluation) runSetting(ctx context.Context, st *model.State, sc *scorer, res *SpanResult, i int, ref []float32) ([]float32, error) {
	sp, plan, t := res.Span, e.settings[i].Plan, &res.Scores[i]
	ids := e.docs[sp.Doc][sp.Start:sp.End]
	plan.Restart(uint64(res.Unit))
	start := time.Now()
	hidden, err := e.forward(ctx, st, ids, plan, &t.Attention)
	if err != nil {
		return nil, err
	}
	fwd := time.Since(start)
	from := sp.From
	if e.DecodeLast > 0 {
		from = sp.Len() - e.DecodeLast
	}
	out, bad := sc.score(t, hidden, ref, ids, from)
	if bad >= 0 {
		return nil, fmt.Errorf("eval: non-finite logits at position %d of document %d (predicting its token %d): the weights or the input are bad",
			sp.Start+bad, sp.Doc, sp.Start+bad+1)
	}
	t.Seconds = fwd + out
	return hidden, nil
}

// Runs returns each setting's figures over the units finished so far
// (Fold of Results); safe to call while Evaluate works.
func (e *Evaluation) Runs() []Run {
	e.mu.Lock()
	defer e.mu.Unlock()
	return fold(e.settings, len(e.docs), e.results)
}

// Results returns the units finished so far, in order; safe to call while
// Evaluate works.
func (e *Evaluation) Results() []SpanResult {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.results)
}
