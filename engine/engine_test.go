package engine

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/tokenizer"
	"github.com/gollm/gollm/weights"
)

// defaultModel loads the embedded default model and the held-out text's ids.
func defaultModel(t *testing.T) (*model.Model, []int) {
	t.Helper()
	c, err := loader.OpenFS(weights.Default, weights.DefaultDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	m, err := model.Load(c)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.LoadFS(c.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile("../testdata/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	return m, tok.Encode(string(text))
}

func newEngine(t *testing.T, m *model.Model, opts Options) *Engine {
	t.Helper()
	if opts.Context == 0 {
		opts.Context = 1024
	}
	if opts.EOS == nil {
		opts.EOS = map[int]bool{50256: true}
	}
	e, err := New(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// alone is model.Generate's greedy continuation of prompt, no engine.
func alone(t *testing.T, m *model.Model, prompt []int, n int) []int {
	t.Helper()
	out, err := m.Generate(m.NewState(len(prompt)+n), prompt, model.GenerateOptions{MaxTokens: n, Sampler: model.NewSampler(model.SamplerConfig{}),
		Stop: func(id int) bool { return id == 50256 }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// collect runs r and returns the ids emitted.
func collect(e *Engine, ctx context.Context, r Request) ([]int, Result, error) {
	var ids []int
	res, err := e.Generate(ctx, r, func(t Token) error { ids = append(ids, t.ID); return nil })
	return ids, res, err
}

// TestConcurrentGreedyMatchesAlone runs six requests of different prompt
// lengths at once on four slots (so two wait in the queue and requests
// join and leave the batch between steps) and checks each greedy
// continuation equals model.Generate's on its own.
func TestConcurrentGreedyMatchesAlone(t *testing.T) {
	m, ids := defaultModel(t)
	e := newEngine(t, m, Options{Slots: 4, Queue: 8})
	var wg sync.WaitGroup
	for i := range 6 {
		prompt := ids[i*7 : i*7+5+9*i]
		n := 8 + 5*i
		want := alone(t, m, prompt, n)
		wg.Go(func() {
			got, res, err := collect(e, context.Background(), Request{Prompt: prompt, MaxTokens: n})
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			if !slices.Equal(got, want) {
				t.Errorf("request %d: engine %v\n alone %v", i, got, want)
			}
			if res.CompletionTokens != len(got) || res.PromptTokens != len(prompt) {
				t.Errorf("request %d: result %+v for %d prompt and %d new tokens", i, res, len(prompt), len(got))
			}
			if wantReason := "length"; len(want) < n {
				wantReason = "stop"
			} else if res.FinishReason != wantReason {
				t.Errorf("request %d: finish %q, want %q", i, res.FinishReason, wantReason)
			}
		})
	}
	wg.Wait()
}

// TestPromptReuse checks that a second request extending the first's
// prompt reuses the slot's cache (only the new part runs) and still
// continues as a fresh run does; and that with one slot a prefix pushed out
// by another document comes back from the prompt cache.
func TestPromptReuse(t *testing.T) {
	m, ids := defaultModel(t)
	doc, doc2 := ids[:200], ids[300:500]
	e := newEngine(t, m, Options{Slots: 1, CacheBytes: 64 << 20})
	run := func(prompt []int, wantCached int) {
		t.Helper()
		got, res, err := collect(e, context.Background(), Request{Prompt: prompt, MaxTokens: 6})
		if err != nil {
			t.Fatal(err)
		}
		if res.CachedTokens != wantCached {
			t.Errorf("prompt of %d: %d tokens reused, want %d", len(prompt), res.CachedTokens, wantCached)
		}
		if want := alone(t, m, prompt, 6); !slices.Equal(got, want) {
			t.Errorf("prompt of %d with %d reused: %v, fresh run %v", len(prompt), res.CachedTokens, got, want)
		}
	}
	run(doc, 0)
	run(append(slices.Clip(doc), ids[210:220]...), 200)
	run(doc2, 0) // the slot's 210+ tokens go to the prompt cache
	run(append(slices.Clip(doc), ids[230:240]...), 200)
	run(slices.Clip(doc), 199) // the whole prompt cached: its last token still runs
	if s := e.Stats(); s.CachedPrefixes == 0 || s.CacheBytes <= 0 {
		t.Errorf("stats %+v: want a saved prefix", s)
	}
}

// TestBusyCancelClose checks the queue bound (ErrBusy), that cancelling a
// running request frees its slot at once, and that Close ends queued and
// running requests with ErrClosed.
func TestBusyCancelClose(t *testing.T) {
	m, ids := defaultModel(t)
	e := newEngine(t, m, Options{Slots: 1, Queue: 1, Context: 4096})
	long := Request{Prompt: ids[:10], MaxTokens: 4000, IgnoreEOS: true}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error)
	started := make(chan bool)
	var once sync.Once
	go func() {
		_, err := e.Generate(ctx, long, func(Token) error { once.Do(func() { close(started) }); return nil })
		first <- err
	}()
	<-started
	queued := make(chan error)
	go func() {
		_, _, err := collect(e, context.Background(), Request{Prompt: ids[:5], MaxTokens: 3})
		queued <- err
	}()
	for e.Stats().Queued == 0 {
		time.Sleep(time.Millisecond)
	}
	if _, _, err := collect(e, context.Background(), Request{Prompt: ids[:5], MaxTokens: 3}); !errors.Is(err, ErrBusy) {
		t.Errorf("third request with one slot and a queue of one: %v, want ErrBusy", err)
	}
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled request: %v", err)
	}
	if err := <-queued; err != nil {
		t.Errorf("queued request after the cancel: %v", err)
	}

	go func() {
		_, err := e.Generate(context.Background(), long, func(Token) error { return nil })
		first <- err
	}()
	for e.Stats().Active == 0 {
		time.Sleep(time.Millisecond)
	}
	e.Close()
	if err := <-first; !errors.Is(err, ErrClosed) {
		t.Errorf("running request at Close: %v, want ErrClosed", err)
	}
	if _, _, err := collect(e, context.Background(), Request{Prompt: ids[:5], MaxTokens: 3}); !errors.Is(err, ErrClosed) {
		t.Errorf("request after Close: %v", err)
	}
}

// TestRequestChecks checks the refusals before queueing, the caller's
// ErrStop, logprobs and a panic inside a step.
func TestRequestChecks(t *testing.T) {
	m, ids := defaultModel(t)
	e := newEngine(t, m, Options{Slots: 2, Context: 64})
	var ce *ContextError
	if _, _, err := collect(e, context.Background(), Request{Prompt: ids[:40], MaxTokens: 30}); !errors.As(err, &ce) ||
		!strings.Contains(err.Error(), "40") || !strings.Contains(err.Error(), "64") {
		t.Errorf("prompt over the context: %v", err)
	}
	for _, r := range []Request{{MaxTokens: 3}, {Prompt: ids[:3]}} {
		if _, _, err := collect(e, context.Background(), r); err == nil {
			t.Errorf("request %+v accepted", r)
		}
	}
	n := 0
	res, err := e.Generate(context.Background(), Request{Prompt: ids[:5], MaxTokens: 20, IgnoreEOS: true, Logprobs: true, TopLogprobs: 3},
		func(tok Token) error {
			if len(tok.Top) != 3 || tok.Top[0].ID != tok.ID || tok.Logprob > 0 || tok.Logprob != tok.Top[0].Logprob {
				t.Errorf("greedy token %d: logprob %g, top %v", tok.ID, tok.Logprob, tok.Top)
			}
			if n++; n == 4 {
				return ErrStop
			}
			return nil
		})
	if err != nil || res.FinishReason != "stop" || res.CompletionTokens != 4 {
		t.Errorf("ErrStop after 4 tokens: %+v, %v", res, err)
	}

	panics := 1
	e.mu.Lock()
	e.onStep = func() {
		if panics > 0 {
			panics--
			panic("injected")
		}
	}
	e.mu.Unlock()
	if _, _, err := collect(e, context.Background(), Request{Prompt: ids[:5], MaxTokens: 3}); err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Errorf("request whose step panicked: %v", err)
	}
	if got, _, err := collect(e, context.Background(), Request{Prompt: ids[:5], MaxTokens: 3}); err != nil || !slices.Equal(got, alone(t, m, ids[:5], 3)) {
		t.Errorf("request after the panic: %v %v", got, err)
	}
}

// TestPrefillChunks checks that a long prompt joining while another slot
// decodes runs in chunks — the decoding stream gets a token every chunk —
// and still continues as it does alone.
func TestPrefillChunks(t *testing.T) {
	m, ids := defaultModel(t)
	e := newEngine(t, m, Options{Slots: 2, PrefillChunk: 16})
	var mu sync.Mutex
	var aTokens int
	aStarted := make(chan bool)
	var once sync.Once
	done := make(chan error)
	go func() {
		_, err := e.Generate(context.Background(), Request{Prompt: ids[:5], MaxTokens: 400, IgnoreEOS: true}, func(Token) error {
			once.Do(func() { close(aStarted) })
			mu.Lock()
			aTokens++
			mu.Unlock()
			return nil
		})
		done <- err
	}()
	<-aStarted
	prompt := ids[100:300]
	mu.Lock()
	before := aTokens
	mu.Unlock()
	during := -1
	var got []int
	_, err := e.Generate(context.Background(), Request{Prompt: prompt, MaxTokens: 8}, func(tok Token) error {
		if during < 0 {
			mu.Lock()
			during = aTokens - before
			mu.Unlock()
		}
		got = append(got, tok.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := alone(t, m, prompt, 8); !slices.Equal(got, want) {
		t.Errorf("chunked prefill: %v, alone %v", got, want)
	}
	if during < 200/16-2 {
		t.Errorf("the decoding stream got %d tokens during a 200-token prefill in chunks of 16, want about %d", during, 200/16)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
