// Package engine runs many generation requests over one model at once, as
// a server needs: a fixed number of sequence slots, each with its own KV
// cache; continuous batching (every step runs the pending prefills and
// the next token of every decoding sequence in one batched forward pass,
// and requests join and leave between steps); a bounded queue of requests
// waiting for a slot; and a prompt cache, so a request whose prompt starts
// with tokens already in a slot's cache (or a saved one) runs only the
// rest.
//
// One goroutine owns the model and the slots (loop); callers of Generate
// only exchange jobs and tokens with it through channels.
package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/weights"
)

// Options configure an Engine.
type Options struct {
	Slots      int           // sequences decoded together, ≥ 1
	Context    int           // tokens per slot, prompt and generated together
	KVType     weights.DType // storage type of the slots' caches
	Queue      int           // requests that may wait for a slot (beyond it: ErrBusy)
	CacheBytes int64         // memory for saved prompt prefixes beyond the slots (0: none)
	EOS        map[int]bool  // ids that end a sequence
	// PrefillChunk caps the prompt ids a slot runs in one step while other
	// slots decode (0: a prompt runs whole), so that their streams keep
	// moving. A request whose plan has Hyper layers runs its prompt whole
	// all the same: HyperAttention needs the queries from position 0 (a
	// later chunk would attend exactly).
	PrefillChunk int
}

// Request is one generation: a prompt and how to continue it.
type Request struct {
	Prompt    []int
	MaxTokens int // new tokens at most, ≥ 1
	Sampler   model.SamplerConfig
	// Plan is the attention plan (nil: exact); PlanKey names it, and a
	// cached prefix is reused only by a request with the same key (the
	// cached keys and values depend on the plan that computed them).
	Plan    *attention.Plan
	PlanKey string
	// IgnoreEOS keeps generating past end-of-sequence ids.
	IgnoreEOS bool
	// Logprobs asks for each token's log-probability and its TopLogprobs
	// most likely alternatives.
	Logprobs    bool
	TopLogprobs int
}

// Token is one generated token.
type Token struct {
	ID      int
	Logprob float64              // when Request.Logprobs
	Top     []model.TokenLogprob // when Request.Logprobs: most likely first
}

// Result says how a generation ended.
type Result struct {
	PromptTokens     int
	CachedTokens     int    // of the prompt, reused from a cache instead of computed
	CompletionTokens int    // tokens emitted
	FinishReason     string // "stop": an EOS id or the caller's ErrStop; "length": MaxTokens or the context
	TimeToFirstToken time.Duration
}

var (
	// ErrBusy is returned when every slot is taken and the queue is full.
	ErrBusy = errors.New("engine: every slot is busy and the queue is full")
	// ErrClosed is returned once the engine is closed.
	ErrClosed = errors.New("engine: shutting down")
	// ErrStop, returned by an emit function, ends the generation normally
	// (finish reason "stop": a stop string was reached, say).
	ErrStop = errors.New("engine: stop")
)

// ContextError refuses a request whose prompt and new tokens do not fit a
// slot's context.
type ContextError struct{ Prompt, MaxTokens, Context int }

func (e *ContextError) Error() string {
	return fmt.Sprintf("the prompt's %d tokens plus max_tokens %d = %d exceed the context of %d tokens",
		e.Prompt, e.MaxTokens, e.Prompt+e.MaxTokens, e.Context)
}

// Stats is a snapshot of the engine's load.
type Stats struct {
	Slots, Active, Queued int
	CachedPrefixes        int   // saved prefixes in the prompt cache
	CacheBytes            int64 // their memory
}

// Engine schedules requests over one model.
type Engine struct {
	m    *model.Model
	opts Options

	mu     sync.Mutex
	queue  []*job
	closed bool
	wake   chan struct{} // a job was queued or cancelled, or Close was called
	done   chan struct{} // the loop has ended
	stats  Stats
	onStep func() // test hook: called in every step before its forward pass

	last, logits []float32 // the loop's step buffers (see grow)
}

// job is a Request in flight: what the loop and Generate share.
type job struct {
	req    Request
	ctx    context.Context
	tokens chan Token    // loop → Generate; room for every token, so the loop never waits
	end    chan struct{} // closed by the loop when the job leaves its slot
	start  time.Time
	res    Result
	err    error
	cancel chan struct{} // closed by Generate: stop this job at the next step
	once   sync.Once
}

func (j *job) stop() { j.once.Do(func() { close(j.cancel) }) }

func (j *job) cancelled() bool {
	select {
	case <-j.cancel:
		return true
	default:
		return false
	}
}

// New starts an engine over m: it allocates the slots' caches (the caller
// checks the memory first: model.StateBytes per slot) and the loop.
func New(m *model.Model, opts Options) (*Engine, error) {
	switch {
	case opts.Slots < 1:
		return nil, fmt.Errorf("engine: need at least one slot, got %d", opts.Slots)
	case opts.Context < 2:
		return nil, fmt.Errorf("engine: a context of %d tokens is too small", opts.Context)
	case opts.Queue < 0 || opts.CacheBytes < 0:
		return nil, fmt.Errorf("engine: negative queue or cache size")
	}
	e := &Engine{m: m, opts: opts, wake: make(chan struct{}, 1), done: make(chan struct{})}
	e.stats.Slots = opts.Slots
	slots := make([]*slot, opts.Slots)
	for i := range slots {
		slots[i] = &slot{state: m.NewStateOf(opts.Context, opts.KVType)}
	}
	go e.loop(slots, newPromptCache(opts.CacheBytes))
	return e, nil
}

// Generate runs r: it waits for a slot, then calls emit with every new
// token as soon as it is chosen (in the caller's goroutine). emit returning
// ErrStop ends the generation normally; any other error, or ctx ending,
// cancels it and is returned. The Result counts what was emitted.
func (e *Engine) Generate(ctx context.Context, r Request, emit func(Token) error) (Result, error) {
	if len(r.Prompt) == 0 {
		return Result{}, errors.New("engine: empty prompt")
	}
	if r.MaxTokens < 1 {
		return Result{}, fmt.Errorf("engine: max tokens must be ≥ 1, got %d", r.MaxTokens)
	}
	if len(r.Prompt)+r.MaxTokens > e.opts.Context {
		return Result{}, &ContextError{Prompt: len(r.Prompt), MaxTokens: r.MaxTokens, Context: e.opts.Context}
	}
	j := &job{req: r, ctx: ctx, start: time.Now(), tokens: make(chan Token, r.MaxTokens), end: make(chan struct{}), cancel: make(chan struct{})}
	e.mu.Lock()
	switch {
	case e.closed:
		e.mu.Unlock()
		return Result{}, ErrClosed
	case len(e.queue)+e.stats.Active >= e.opts.Slots+e.opts.Queue:
		e.mu.Unlock()
		return Result{}, ErrBusy
	}
	e.queue = append(e.queue, j)
	e.stats.Queued = len(e.queue)
	e.mu.Unlock()
	e.poke()

	var emitErr error
	n := 0
	deliver := func(t Token) {
		if emitErr != nil {
			return
		}
		if emitErr = emit(t); emitErr != nil {
			j.stop()
			e.poke()
		}
		n++
	}
wait:
	for {
		select {
		case t := <-j.tokens:
			deliver(t)
		case <-ctx.Done():
			j.stop()
			e.poke()
			<-j.end
			return j.res, ctx.Err()
		case <-j.end:
			break wait
		}
	}
	for len(j.tokens) > 0 { // the loop's last tokens, sent before it ended the job
		deliver(<-j.tokens)
	}
	res := j.res
	res.CompletionTokens = n
	switch {
	case errors.Is(emitErr, ErrStop):
		res.FinishReason = "stop"
		return res, nil
	case emitErr != nil:
		return res, emitErr
	}
	return res, j.err
}

// Stats reports the current load.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats
}

// Close refuses new requests, cancels the queued and running ones and waits
// for the loop to end. Callers that want running requests to finish wait
// for their Generate calls to return first.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.poke()
	<-e.done
}

// poke wakes the loop.
func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}
