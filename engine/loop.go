package engine

import (
	"fmt"
	"time"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/model"
)

// slot is one sequence's place: its cache, the ids whose keys and values
// the cache holds, and the job using it (nil: idle, its cache kept for a
// later request that starts the same way).
type slot struct {
	state   *model.State
	tokens  []int
	planKey string
	used    int64 // when it last finished a job (least recently used: smallest)

	job     *job
	pending []int // prompt ids still to run
	next    int   // the last sampled id, run at the next step
	out     []int // ids generated
	sampler *model.Sampler
}

// loop owns the model and the slots: between steps it drops cancelled
// queued jobs, gives idle slots to queued jobs, and runs a step while any
// slot has a job.
func (e *Engine) loop(slots []*slot, cache *promptCache) {
	defer close(e.done)
	var clock int64
	for {
		e.mu.Lock()
		if e.closed {
			for _, j := range e.queue {
				j.err = ErrClosed
				close(j.end)
			}
			e.queue = nil
			e.mu.Unlock()
			for _, s := range slots {
				if s.job != nil {
					e.finish(s, "", ErrClosed, &clock)
				}
			}
			return
		}
		kept := e.queue[:0]
		for _, j := range e.queue {
			if j.cancelled() || j.ctx.Err() != nil {
				j.err = j.ctx.Err()
				close(j.end)
				continue
			}
			kept = append(kept, j)
		}
		e.queue = kept
		idle := 0
		for _, s := range slots {
			if s.job == nil {
				idle++
			}
		}
		take := e.queue[:min(idle, len(e.queue))]
		e.queue = append([]*job(nil), e.queue[len(take):]...)
		e.stats.Queued = len(e.queue)
		e.stats.Active = len(slots) - idle + len(take)
		e.mu.Unlock()

		for _, j := range take {
			e.admit(j, slots, cache)
		}
		e.mu.Lock()
		e.stats.CachedPrefixes, e.stats.CacheBytes = len(cache.entries), cache.used
		e.mu.Unlock()
		if e.stats.Active == 0 {
			<-e.wake
			continue
		}
		e.step(slots, &clock)
	}
}

// admit gives job j the idle slot whose cache shares the longest prefix
// with its prompt (least recently used among equals), or copies a longer
// saved prefix from the prompt cache into the least recently used idle
// slot. What a slot held beyond the part reused is saved first.
func (e *Engine) admit(j *job, slots []*slot, cache *promptCache) {
	prompt := j.req.Prompt
	usable := len(prompt) - 1 // the last prompt id always runs: its logits choose the first token
	var best *slot
	reuse := -1
	for _, s := range slots {
		if s.job != nil {
			continue
		}
		n := 0
		if s.planKey == j.req.PlanKey {
			n = min(commonPrefix(s.tokens, prompt), usable)
		}
		if n > reuse || (n == reuse && s.used < best.used) {
			best, reuse = s, n
		}
	}
	entry, fromCache := cache.best(prompt, j.req.PlanKey)
	fromCache = min(fromCache, usable)
	if fromCache > reuse {
		for _, s := range slots { // the least recently used idle slot takes it
			if s.job == nil && s.used < best.used {
				best = s
			}
		}
		reuse = fromCache
	} else {
		entry = nil
	}
	s := best
	if keep := reuse; entry != nil || keep < len(s.tokens) {
		if entry != nil {
			keep = 0
		}
		cache.save(e.m, s, keep)
	}
	if entry != nil {
		if err := s.state.CopyFrom(entry.state, reuse); err != nil {
			panic(err) // the cache only holds States made like the slots'
		}
		s.tokens = append(s.tokens[:0], entry.tokens[:reuse]...)
		cache.touch(entry)
	} else {
		s.state.Truncate(reuse)
		s.tokens = s.tokens[:reuse]
	}
	s.planKey = j.req.PlanKey
	s.job, s.pending, s.out = j, prompt[reuse:], nil
	s.sampler = model.NewSampler(j.req.Sampler)
	j.res.PromptTokens, j.res.CachedTokens = len(prompt), reuse
}

// step runs one batched forward pass over every slot with a job — the
// rest of a new prompt, or the last sampled token — and samples the next
// token of each slot whose prompt is done. While other slots decode, a
// prompt runs at most Options.PrefillChunk ids per step, so their streams
// keep going. A panic fails the jobs of the step (their slots are
// emptied), not the engine.
func (e *Engine) step(slots []*slot, clock *int64) {
	var seqs []model.Seq
	var run []*slot
	decoding := false
	for _, s := range slots {
		if s.job != nil && len(s.pending) == 0 {
			decoding = true
		}
	}
	for _, s := range slots {
		if s.job == nil {
			continue
		}
		if s.job.cancelled() || s.job.ctx.Err() != nil {
			e.finish(s, "", s.job.ctx.Err(), clock)
			continue
		}
		ids := s.pending
		if len(ids) == 0 {
			ids = []int{s.next}
		} else if c := e.opts.PrefillChunk; decoding && c > 0 && len(ids) > c && !hasHyper(s.job.req.Plan) {
			ids = ids[:c]
		}
		seqs = append(seqs, model.Seq{State: s.state, IDs: ids, Plan: s.job.req.Plan})
		run = append(run, s)
	}
	if len(run) == 0 {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			for _, s := range run {
				if s.job != nil {
					s.state.Truncate(0)
					s.tokens = s.tokens[:0]
					e.finish(s, "", fmt.Errorf("engine: internal error: %v", r), clock)
				}
			}
		}
	}()
	if e.onStep != nil {
		e.onStep()
	}
	hidden, err := e.m.ForwardBatch(seqs)
	if err != nil {
		for _, s := range run {
			e.finish(s, "", err, clock)
		}
		return
	}
	// The slots whose prompt is now done sample; the last row of each is
	// gathered for one head product over all of them.
	h, vocab := e.m.Config.Hidden, e.m.VocabSize()
	var ready []*slot
	last := grow(&e.last, len(run)*h)
	row := 0
	for i, s := range run {
		n := len(seqs[i].IDs)
		row += n
		s.tokens = append(s.tokens, seqs[i].IDs...)
		if len(s.pending) > 0 {
			s.pending = s.pending[n:]
			if len(s.pending) > 0 {
				continue // more of the prompt next step
			}
		}
		copy(last[len(ready)*h:(len(ready)+1)*h], hidden[(row-1)*h:row*h])
		ready = append(ready, s)
	}
	if len(ready) == 0 {
		return
	}
	logits := grow(&e.logits, len(ready)*vocab)
	e.m.Logits(logits, last, len(ready))
	chosen := make([]Token, len(ready))
	bad := make([]error, len(ready)) // non-finite logits end that job alone
	for i, s := range ready {
		bad[i] = model.CheckLogits(logits[i*vocab:(i+1)*vocab], s.state.Len()-1)
	}
	parallel.For(len(ready), 1, func(lo, hi int) { // each sampler is its slot's own
		for i := lo; i < hi; i++ {
			if bad[i] == nil {
				chosen[i] = ready[i].choose(logits[i*vocab : (i+1)*vocab])
			}
		}
	})
	for i, s := range ready {
		if bad[i] != nil {
			e.finish(s, "", bad[i], clock)
			continue
		}
		e.deliver(s, chosen[i], clock)
	}
}

// choose samples slot s's next token from its logits (with its
// log-probabilities when the job asks for them).
func (s *slot) choose(logits []float32) Token {
	j := s.job
	var raw []float32
	if j.req.Logprobs {
		raw = append([]float32(nil), logits...) // the sampler changes logits in place
	}
	t := Token{ID: s.sampler.Next(logits, j.req.Prompt, s.out)}
	if raw != nil {
		t.Logprob, t.Top = model.Logprobs(raw, t.ID, j.req.TopLogprobs)
	}
	return t
}

// deliver sends token t to slot s's job, or ends the job at EOS or its
// token budget.
func (e *Engine) deliver(s *slot, t Token, clock *int64) {
	j := s.job
	if e.opts.EOS[t.ID] && !j.req.IgnoreEOS {
		e.finish(s, "stop", nil, clock)
		return
	}
	if len(s.out) == 0 {
		j.res.TimeToFirstToken = time.Since(j.start)
	}
	s.out = append(s.out, t.ID)
	j.tokens <- t
	if len(s.out) == j.req.MaxTokens {
		e.finish(s, "length", nil, clock)
		return
	}
	s.next = t.ID
}

// finish ends slot s's job with a finish reason or an error; the slot
// keeps its cache for reuse.
func (e *Engine) finish(s *slot, reason string, err error, clock *int64) {
	j := s.job
	j.res.FinishReason, j.err = reason, err
	close(j.end)
	s.job, s.pending, s.out, s.sampler = nil, nil, nil, nil
	*clock++
	s.used = *clock
	e.mu.Lock()
	e.stats.Active--
	e.mu.Unlock()
}

// hasHyper reports whether plan has Hyper layers: their prompt runs whole,
// since a later chunk (queries at an offset) would attend exactly instead.
func hasHyper(plan *attention.Plan) bool { return plan != nil && plan.HyperLayers() > 0 }

// grow returns (*buf)[:n], reallocating *buf when it is shorter: the
// step's buffers live as long as the engine (a step of eight sequences
// needs 1.6 MB of logits for a 50k vocabulary).
func grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

// commonPrefix is the number of leading ids a and b share.
func commonPrefix(a, b []int) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
