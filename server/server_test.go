package server

// These tests drive a real server on 127.0.0.1 (httptest) over the
// embedded default model, through the official OpenAI Go SDK where a
// client would use it and through plain net/http where the wire itself
// is the point (server-sent events, error objects, statuses, headers).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/chat"
	"github.com/gollm/gollm/engine"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/tokenizer"
	"github.com/gollm/gollm/weights"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

const (
	testModelID = "tiny-test"
	eosID       = 50256 // the default model's <|endoftext|>
	testSeed    = 42    // the servers' plan seed
)

// fixture is the default model, loaded once for every test.
type fixture struct {
	m       *model.Model
	tok     tokenizer.Tokenizer
	tmpl    *chat.Template
	plan    *attention.Plan // the servers' default plan, for reference runs
	heldout []int           // testdata/heldout.txt's ids
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func load(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = loadFixture() })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func loadFixture() (*fixture, error) {
	c, err := loader.OpenFS(weights.Default, weights.DefaultDir) // kept open: the model reads it
	if err != nil {
		return nil, err
	}
	m, err := model.Load(c)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.LoadFS(c.FS, ".")
	if err != nil {
		return nil, err
	}
	tmpl, err := chat.Parse(chat.ChatML)
	if err != nil {
		return nil, err
	}
	plan, err := attention.DefaultPlanSpec().Build(m.Layers(), testSeed)
	if err != nil {
		return nil, err
	}
	text, err := os.ReadFile("../testdata/heldout.txt")
	if err != nil {
		return nil, err
	}
	return &fixture{m: m, tok: tok, tmpl: tmpl, plan: plan, heldout: tok.Encode(string(text))}, nil
}

// greedy is model.Generate's greedy continuation of prompt under plan
// (nil: the servers' default), with no engine or server: the text, the
// ids and the finish reason an API response should report.
func (f *fixture) greedy(t *testing.T, prompt []int, n int, plan *attention.Plan) (string, []int, string) {
	t.Helper()
	return f.generate(t, prompt, n, plan, model.SamplerConfig{})
}

// generate is greedy with the sampler of sc.
func (f *fixture) generate(t *testing.T, prompt []int, n int, plan *attention.Plan, sc model.SamplerConfig) (string, []int, string) {
	t.Helper()
	if plan == nil {
		plan = f.plan
	}
	out, err := f.m.Generate(f.m.NewState(len(prompt)+n), prompt, model.GenerateOptions{MaxTokens: n, Plan: plan,
		Sampler: model.NewSampler(sc), Stop: func(id int) bool { return id == eosID }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	reason := "length"
	if len(out) < n {
		reason = "stop"
	}
	return viaJSON(f.tok.Decode(out)), out, reason
}

// viaJSON is s as a JSON string carries it: each byte that is not UTF-8
// (a character cut at max_tokens) becomes U+FFFD.
func viaJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	json.Unmarshal(b, &out)
	return out
}

// chatML is the ChatML prompt of one user message, written out by hand.
func chatML(user string) string {
	return "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n"
}

// syncBuffer is a log the handlers' goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is a Server over its own engine, listening on 127.0.0.1.
type testServer struct {
	*httptest.Server
	srv    *Server
	eng    *engine.Engine
	cfg    Config
	client openai.Client
	log    *syncBuffer
}

// start runs a server: 4 slots of 1024 tokens, a queue of 16, a prompt
// cache, the default plan and OpenAI's default sampling, changed by the
// edit functions (either may be nil).
func start(t testing.TB, editEngine func(*engine.Options), editConfig func(*Config)) *testServer {
	t.Helper()
	return startWith(t, editEngine, editConfig, nil)
}

// startWith is start with a hook on the unstarted httptest server.
func startWith(t testing.TB, editEngine func(*engine.Options), editConfig func(*Config), editHTTP func(*httptest.Server)) *testServer {
	t.Helper()
	f := load(t)
	opts := engine.Options{Slots: 4, Context: 1024, Queue: 16, CacheBytes: 32 << 20, EOS: map[int]bool{eosID: true}}
	if editEngine != nil {
		editEngine(&opts)
	}
	eng, err := engine.New(f.m, opts)
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	cfg := Config{Engine: eng, Tokenizer: f.tok, Template: f.tmpl,
		Special: map[string]string{"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"},
		ModelID: testModelID, Context: opts.Context, Vocab: f.m.VocabSize(), TrainCtx: 8192,
		Plan: attention.DefaultPlanSpec(), Seed: testSeed, Layers: f.m.Layers(),
		Sampling: model.SamplerConfig{Temperature: 1, TopP: 1, RepetitionPenalty: 1}, Log: log}
	if editConfig != nil {
		editConfig(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		eng.Close()
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(s)
	if editHTTP != nil {
		editHTTP(hs)
	}
	hs.Start()
	t.Cleanup(func() {
		hs.CloseClientConnections() // requests a test left running end with their context
		hs.Close()
		eng.Close()
	})
	key := cfg.APIKey
	if key == "" {
		key = "unused"
	}
	client := openai.NewClient(option.WithBaseURL(hs.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	return &testServer{Server: hs, srv: s, eng: eng, cfg: cfg, client: client, log: log}
}

// post sends body to path and returns the response with its body read.
func (ts *testServer) post(t *testing.T, path, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	return ts.do(t, "POST", path, body, header...)
}

func (ts *testServer) do(t *testing.T, method, path, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, b
}

// wantError checks an OpenAI error object: the status, a JSON body of
// exactly {"error": {"message", "type", "param", "code"}} with a message
// and a type, and param when want is not "" (want "-": param null). It
// returns the error object.
func wantError(t *testing.T, what string, resp *http.Response, body []byte, status int, param string) map[string]any {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d (body %s)", what, resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || len(top) != 1 || top["error"] == nil {
		t.Errorf("%s: body %s is not {\"error\": {…}}", what, body)
		return nil
	}
	var e map[string]any
	if err := json.Unmarshal(top["error"], &e); err != nil {
		t.Errorf("%s: error %s is not an object", what, top["error"])
		return nil
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := e[k]; !ok {
			t.Errorf("%s: error object %s has no %q", what, top["error"], k)
		}
	}
	for _, k := range []string{"message", "type"} {
		if s, _ := e[k].(string); s == "" {
			t.Errorf("%s: error %s: %q is not a non-empty string", what, top["error"], k)
		}
	}
	for _, k := range []string{"param", "code"} {
		if _, ok := e[k].(string); !ok && e[k] != nil {
			t.Errorf("%s: error %s: %q is neither a string nor null", what, top["error"], k)
		}
	}
	switch {
	case param == "-" && e["param"] != nil:
		t.Errorf("%s: param %v, want null", what, e["param"])
	case param != "" && param != "-" && e["param"] != param:
		t.Errorf("%s: param %v, want %q", what, e["param"], param)
	}
	return e
}

// sse reads a whole event stream: every line, the blank separators kept.
func sse(t *testing.T, resp *http.Response) []string {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the event stream: %v", err)
	}
	return lines
}

// waitIdle polls the engine until no slot is busy.
func waitIdle(t *testing.T, eng *engine.Engine, within time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for eng.Stats().Active != 0 || eng.Stats().Queued != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: engine still busy after %s: %+v", what, within, eng.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startStream starts a streaming completion and returns once its first
// content chunk has arrived, with the reader positioned after it.
func startStream(t *testing.T, ts *testServer, ctx context.Context, body string) (*http.Response, *bufio.Reader) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("streaming request: status %d: %s", resp.StatusCode, b)
	}
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "data: {") {
		resp.Body.Close()
		t.Fatalf("first line of the stream %q, %v", line, err)
	}
	return resp, r
}

// TestGreedyMatchesModel checks a greedy chat completion and a greedy
// completion through the SDK against model.Generate on the same prompt
// ids (the ChatML prompt tokenized without special tokens added; the
// completion prompt with them), with the usage counts and finish reasons,
// and that EOS ends a completion with "stop".
func TestGreedyMatchesModel(t *testing.T) {
	f := load(t)
	ts := start(t, nil, nil)
	ctx := context.Background()
	const n = 12

	question := "Tell me about the lighthouse."
	prompt := f.tok.EncodeText(chatML(question))
	want, out, reason := f.greedy(t, prompt, n, nil)
	resp, err := ts.client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:       testModelID,
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage(question)},
		Temperature: openai.Float(0),
		MaxTokens:   openai.Int(n),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 1 {
		t.Fatalf("chat: %d choices", len(resp.Choices))
	}
	c := resp.Choices[0]
	if c.Message.Content != want || c.Message.Role != "assistant" {
		t.Errorf("chat: %s %q, model.Generate %q", c.Message.Role, c.Message.Content, want)
	}
	if c.FinishReason != reason {
		t.Errorf("chat: finish %q, want %q", c.FinishReason, reason)
	}
	if u := resp.Usage; u.PromptTokens != int64(len(prompt)) || u.CompletionTokens != int64(len(out)) || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("chat: usage %d + %d = %d, want %d + %d", u.PromptTokens, u.CompletionTokens, u.TotalTokens, len(prompt), len(out))
	}
	if resp.Object != "chat.completion" || resp.Model != testModelID || !strings.HasPrefix(resp.ID, "chatcmpl-") || resp.Created == 0 {
		t.Errorf("chat: object %q, model %q, id %q, created %d", resp.Object, resp.Model, resp.ID, resp.Created)
	}

	text := "Once upon a time"
	prompt = f.tok.Encode(text)
	want, out, reason = f.greedy(t, prompt, n, nil)
	cresp, err := ts.client.Completions.New(ctx, openai.CompletionNewParams{
		Model:       testModelID,
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String(text)},
		Temperature: openai.Float(0),
		MaxTokens:   openai.Int(n),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cresp.Choices) != 1 || cresp.Choices[0].Text != want || string(cresp.Choices[0].FinishReason) != reason {
		t.Errorf("completion: %+v, model.Generate %q (%s)", cresp.Choices, want, reason)
	}
	if u := cresp.Usage; u.PromptTokens != int64(len(prompt)) || u.CompletionTokens != int64(len(out)) || u.TotalTokens != int64(len(prompt)+len(out)) {
		t.Errorf("completion: usage %d + %d = %d, want %d + %d", u.PromptTokens, u.CompletionTokens, u.TotalTokens, len(prompt), len(out))
	}
	if cresp.Object != "text_completion" || !strings.HasPrefix(cresp.ID, "cmpl-") {
		t.Errorf("completion: object %q, id %q", cresp.Object, cresp.ID)
	}

	// EOS made likely by logit_bias (the tiny model seldom ends on its
	// own): it ends the answer mid-way with "stop", and is not part of it.
	found := false
	for _, b := range []int64{4, 6, 8, 10, 12} {
		want, out, reason := f.generate(t, prompt, n, nil, model.SamplerConfig{LogitBias: map[int]float64{eosID: float64(b)}})
		if reason != "stop" || len(out) < 2 {
			continue
		}
		found = true
		r, err := ts.client.Completions.New(ctx, openai.CompletionNewParams{Model: testModelID, Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(text)},
			Temperature: openai.Float(0), MaxTokens: openai.Int(n), LogitBias: map[string]int64{fmt.Sprint(eosID): b}})
		if err != nil {
			t.Fatal(err)
		}
		if c := r.Choices[0]; c.Text != want || c.FinishReason != "stop" || r.Usage.CompletionTokens != int64(len(out)) {
			t.Errorf("EOS after %d tokens (logit_bias %d): %q (%s, %d tokens), want %q", len(out), b, c.Text, c.FinishReason, r.Usage.CompletionTokens, want)
		}
		break
	}
	if !found {
		t.Errorf("no logit_bias on EOS ends %q after 2 to %d tokens", text, n-1)
	}

	// The same prompt as token ids, and EOS made certain by logit_bias:
	// an empty text that ends with "stop".
	ids := make([]int64, len(prompt))
	for i, id := range prompt {
		ids[i] = int64(id)
	}
	cresp, err = ts.client.Completions.New(ctx, openai.CompletionNewParams{
		Model:       testModelID,
		Prompt:      openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: ids},
		Temperature: openai.Float(0),
		MaxTokens:   openai.Int(n),
		LogitBias:   map[string]int64{fmt.Sprint(eosID): 100},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := cresp.Choices[0]; c.Text != "" || c.FinishReason != "stop" || cresp.Usage.CompletionTokens != 0 || cresp.Usage.PromptTokens != int64(len(prompt)) {
		t.Errorf("EOS first: text %q, finish %q, usage %+v", c.Text, c.FinishReason, cresp.Usage)
	}
}

// TestStreaming checks streamed chat and completions against the whole
// answers: the chunks add up to the same text (the SDK's accumulator
// agrees), the chat stream opens with the role, the finish reason comes
// last and include_usage adds the usage; and the wire: every event line
// is "data: …" JSON, the last "data: [DONE]", the type text/event-stream.
func TestStreaming(t *testing.T) {
	f := load(t)
	ts := start(t, nil, nil)
	ctx := context.Background()
	const n = 16
	question := "Who kept the lighthouse?"
	params := openai.ChatCompletionNewParams{
		Model:       testModelID,
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage(question)},
		Temperature: openai.Float(0),
		MaxTokens:   openai.Int(n),
	}
	whole, err := ts.client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := ts.client.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	var text strings.Builder
	var finish, role string
	var usage *openai.CompletionUsage
	chunks, afterFinish := 0, 0
	id := ""
	for stream.Next() {
		c := stream.Current()
		if !acc.AddChunk(c) {
			t.Errorf("chunk %d: the accumulator refused it", chunks)
		}
		if id == "" {
			id = c.ID
		}
		if c.Object != "chat.completion.chunk" || c.ID != id || !strings.HasPrefix(c.ID, "chatcmpl-") || c.Model != testModelID {
			t.Errorf("chunk %d: object %q, id %q (first %q), model %q", chunks, c.Object, c.ID, id, c.Model)
		}
		chunks++
		if len(c.Choices) == 0 {
			if !c.JSON.Usage.Valid() {
				t.Errorf("chunk %d: no choices and no usage", chunks)
			}
			u := c.Usage
			usage = &u
			continue
		}
		if finish != "" {
			afterFinish++
		}
		d := c.Choices[0]
		if chunks == 1 {
			role = d.Delta.Role
		}
		text.WriteString(d.Delta.Content)
		if d.FinishReason != "" {
			finish = d.FinishReason
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	stream.Close()
	if text.String() != whole.Choices[0].Message.Content || text.String() == "" {
		t.Errorf("streamed %q, whole %q", text.String(), whole.Choices[0].Message.Content)
	}
	if got := acc.Choices; len(got) != 1 || got[0].Message.Content != text.String() {
		t.Errorf("accumulated %+v, want %q", got, text.String())
	}
	if role != "assistant" || finish != whole.Choices[0].FinishReason || afterFinish != 0 {
		t.Errorf("first chunk's role %q, finish %q (whole: %q), %d choice chunks after it", role, finish, whole.Choices[0].FinishReason, afterFinish)
	}
	if usage == nil || usage.PromptTokens != whole.Usage.PromptTokens || usage.CompletionTokens != whole.Usage.CompletionTokens ||
		usage.TotalTokens != whole.Usage.TotalTokens {
		t.Errorf("streamed usage %+v, whole %+v", usage, whole.Usage)
	}

	// An answer that is EOS at once still streams the role, the finish
	// reason and [DONE].
	params.LogitBias = map[string]int64{fmt.Sprint(eosID): 100}
	stream = ts.client.Chat.Completions.NewStreaming(ctx, params)
	var empty openai.ChatCompletionAccumulator
	for stream.Next() {
		empty.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if c := empty.Choices; len(c) != 1 || c[0].Message.Content != "" || c[0].FinishReason != "stop" || c[0].Message.Role != "assistant" ||
		empty.Usage.CompletionTokens != 0 || empty.Usage.PromptTokens != whole.Usage.PromptTokens {
		t.Errorf("an empty streamed answer: %+v, usage %+v", c, empty.Usage)
	}

	// Completions, streamed through the SDK.
	cp := openai.CompletionNewParams{Model: testModelID, Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("The keeper")},
		Temperature: openai.Float(0), MaxTokens: openai.Int(n)}
	want, out, reason := f.greedy(t, f.tok.Encode("The keeper"), n, nil)
	cp.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	cs := ts.client.Completions.NewStreaming(ctx, cp)
	text.Reset()
	finish, usage = "", nil
	for cs.Next() {
		c := cs.Current()
		if len(c.Choices) == 0 {
			u := c.Usage
			usage = &u
			continue
		}
		text.WriteString(c.Choices[0].Text)
		if fr := c.Choices[0].FinishReason; fr != "" {
			finish = string(fr)
		}
	}
	if err := cs.Err(); err != nil {
		t.Fatal(err)
	}
	cs.Close()
	if text.String() != want || finish != reason {
		t.Errorf("streamed completion %q (%s), model.Generate %q (%s)", text.String(), finish, want, reason)
	}
	if usage == nil || usage.CompletionTokens != int64(len(out)) {
		t.Errorf("streamed completion usage %+v", usage)
	}

	// The wire.
	for _, c := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"Hi"}],"max_tokens":5,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}`},
		{"/v1/completions", `{"prompt":"Hi","max_tokens":5,"temperature":0,"stream":true}`},
	} {
		resp, err := ts.Client().Post(ts.URL+c.path, "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		lines := sse(t, resp)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
			t.Errorf("%s: status %d, Content-Type %q", c.path, resp.StatusCode, ct)
		}
		var events []string
		for i, l := range lines {
			switch {
			case l == "":
				if i == 0 || lines[i-1] == "" {
					t.Errorf("%s: line %d: an empty event", c.path, i)
				}
			case !strings.HasPrefix(l, "data: "):
				t.Errorf("%s: line %d %q does not start with \"data: \"", c.path, i, l)
			default:
				if i+1 >= len(lines) || lines[i+1] != "" {
					t.Errorf("%s: line %d: an event not ended by a blank line", c.path, i)
				}
				events = append(events, strings.TrimPrefix(l, "data: "))
			}
		}
		if len(events) < 3 || events[len(events)-1] != "[DONE]" {
			t.Fatalf("%s: events %q: want chunks then [DONE]", c.path, events)
		}
		for _, e := range events[:len(events)-1] {
			var chunk map[string]any
			if err := json.Unmarshal([]byte(e), &chunk); err != nil || chunk["choices"] == nil {
				t.Errorf("%s: event %q is not a chunk", c.path, e)
			}
		}
	}
}

// TestParallelGreedy runs eight greedy requests at once on four slots
// (four wait in the queue; requests join and leave the batch between
// steps), chat and completions mixed, and checks each against its own
// model.Generate run.
func TestParallelGreedy(t *testing.T) {
	f := load(t)
	ts := start(t, nil, nil)
	type job struct {
		chat   bool
		text   string // chat: the user message
		prompt []int
		n      int
		want   string
		reason string
	}
	jobs := make([]job, 8)
	for i := range jobs {
		j := job{chat: i%2 == 1, n: 6 + 3*i}
		ids := f.heldout[i*23 : i*23+6+9*i]
		if j.chat {
			j.text = f.tok.Decode(ids)
			j.prompt = f.tok.EncodeText(chatML(j.text))
		} else {
			j.prompt = ids
		}
		j.want, _, j.reason = f.greedy(t, j.prompt, j.n, nil)
		jobs[i] = j
	}
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for i, j := range jobs {
		wg.Go(func() {
			<-begin
			var got, reason string
			var usage openai.CompletionUsage
			if j.chat {
				r, err := ts.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: testModelID,
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(j.text)}, Temperature: openai.Float(0), MaxTokens: openai.Int(int64(j.n))})
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				got, reason, usage = r.Choices[0].Message.Content, r.Choices[0].FinishReason, r.Usage
			} else {
				ids := make([]int64, len(j.prompt))
				for k, id := range j.prompt {
					ids[k] = int64(id)
				}
				r, err := ts.client.Completions.New(context.Background(), openai.CompletionNewParams{Model: testModelID,
					Prompt: openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: ids}, Temperature: openai.Float(0), MaxTokens: openai.Int(int64(j.n))})
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				got, reason, usage = r.Choices[0].Text, string(r.Choices[0].FinishReason), r.Usage
			}
			if got != j.want || reason != j.reason {
				t.Errorf("request %d (chat %v): %q (%s), alone %q (%s)", i, j.chat, got, reason, j.want, j.reason)
			}
			if usage.PromptTokens != int64(len(j.prompt)) {
				t.Errorf("request %d: prompt_tokens %d, want %d", i, usage.PromptTokens, len(j.prompt))
			}
		})
	}
	close(begin)
	wg.Wait()
}

// TestStopAndLogprobs checks stop strings (one, and a list) cut the text
// before them with finish "stop", streamed too; and logprobs: chat's
// top_logprobs (3 alternatives, the chosen token first under greedy,
// logprob ≤ 0, the bytes adding up to the text) and completions' logprobs.
func TestStopAndLogprobs(t *testing.T) {
	f := load(t)
	ts := start(t, nil, nil)
	ctx := context.Background()
	const n = 24
	prompt := "She climbed the stairs"
	full, _, _ := f.greedy(t, f.tok.Encode(prompt), n, nil)
	// A stop string from the middle of the greedy text, ended where it
	// first occurs.
	mid := len(full) / 2
	stop := strings.TrimSpace(full[mid : mid+3])
	cut := strings.Index(full, stop)
	if len(full) < 12 || stop == "" || cut < 1 {
		t.Fatalf("greedy text %q too short for a stop string", full)
	}
	want := full[:cut]
	params := openai.CompletionNewParams{Model: testModelID, Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(prompt)},
		Temperature: openai.Float(0), MaxTokens: openai.Int(n), Stop: openai.CompletionNewParamsStopUnion{OfString: openai.String(stop)}}
	r, err := ts.client.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Choices[0]; c.Text != want || c.FinishReason != "stop" || r.Usage.CompletionTokens >= n || r.Usage.CompletionTokens < 1 {
		t.Errorf("stop %q: %q (%s, %d tokens), want %q (stop) of the full %q", stop, c.Text, c.FinishReason, r.Usage.CompletionTokens, want, full)
	}
	params.Stop = openai.CompletionNewParamsStopUnion{OfStringArray: []string{"\x00never", stop, "zzzz"}}
	s := ts.client.Completions.NewStreaming(ctx, params)
	var text strings.Builder
	finish := ""
	for s.Next() {
		if c := s.Current().Choices; len(c) > 0 {
			text.WriteString(c[0].Text)
			if c[0].FinishReason != "" {
				finish = string(c[0].FinishReason)
			}
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != want || finish != "stop" {
		t.Errorf("streamed with a stop list: %q (%s), want %q (stop)", text.String(), finish, want)
	}

	// Chat: a stop list, and logprobs.
	question := "What did she see?"
	chatFull, _, _ := f.greedy(t, f.tok.EncodeText(chatML(question)), n, nil)
	cp := openai.ChatCompletionNewParams{Model: testModelID, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(question)},
		Temperature: openai.Float(0), MaxTokens: openai.Int(n)}
	if len(chatFull) > 8 {
		stop := chatFull[len(chatFull)/2 : len(chatFull)/2+2]
		cp.Stop = openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{stop}}
		r, err := ts.client.Chat.Completions.New(ctx, cp)
		if err != nil {
			t.Fatal(err)
		}
		want := chatFull[:strings.Index(chatFull, stop)]
		if c := r.Choices[0]; c.Message.Content != want || c.FinishReason != "stop" {
			t.Errorf("chat stop %q: %q (%s), want %q of %q", stop, c.Message.Content, c.FinishReason, want, chatFull)
		}
		cp.Stop = openai.ChatCompletionNewParamsStopUnion{}
	}
	cp.Logprobs, cp.TopLogprobs, cp.MaxTokens = openai.Bool(true), openai.Int(3), openai.Int(8)
	cr, err := ts.client.Chat.Completions.New(ctx, cp)
	if err != nil {
		t.Fatal(err)
	}
	lp := cr.Choices[0].Logprobs.Content
	if int64(len(lp)) != cr.Usage.CompletionTokens || len(lp) == 0 {
		t.Fatalf("chat logprobs: %d entries for %d tokens", len(lp), cr.Usage.CompletionTokens)
	}
	st := ts.client.Chat.Completions.NewStreaming(ctx, cp)
	var streamed []openai.ChatCompletionTokenLogprob
	for st.Next() {
		if c := st.Current().Choices; len(c) > 0 {
			streamed = append(streamed, c[0].Logprobs.Content...)
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if len(streamed) != len(lp) {
		t.Errorf("streamed logprobs: %d tokens, whole answer %d", len(streamed), len(lp))
	}
	for i := range min(len(streamed), len(lp)) {
		if a, b := streamed[i], lp[i]; a.Token != b.Token || a.Logprob != b.Logprob || len(a.TopLogprobs) != len(b.TopLogprobs) {
			t.Errorf("streamed logprob %d: %q %g, whole answer %q %g", i, a.Token, a.Logprob, b.Token, b.Logprob)
		}
	}
	var joined []byte
	for i, e := range lp {
		if len(e.TopLogprobs) != 3 || e.TopLogprobs[0].Token != e.Token || e.TopLogprobs[0].Logprob != e.Logprob || e.Logprob > 0 {
			t.Errorf("chat token %d %q (logprob %g): top %+v", i, e.Token, e.Logprob, e.TopLogprobs)
		}
		for k := 1; k < len(e.TopLogprobs); k++ {
			if e.TopLogprobs[k].Logprob > e.TopLogprobs[k-1].Logprob {
				t.Errorf("chat token %d: top_logprobs not most likely first: %+v", i, e.TopLogprobs)
			}
		}
		for _, b := range e.Bytes {
			joined = append(joined, byte(b))
		}
	}
	if string(joined) != cr.Choices[0].Message.Content {
		t.Errorf("chat logprobs' bytes make %q, the content is %q", joined, cr.Choices[0].Message.Content)
	}

	r, err = ts.client.Completions.New(ctx, openai.CompletionNewParams{Model: testModelID, Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(prompt)},
		Temperature: openai.Float(0), MaxTokens: openai.Int(6), Logprobs: openai.Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	cl := r.Choices[0].Logprobs
	if len(cl.Tokens) != 6 || len(cl.TokenLogprobs) != 6 || len(cl.TopLogprobs) != 6 || len(cl.TextOffset) != 6 {
		t.Fatalf("completion logprobs for 6 tokens: %+v", cl)
	}
	if strings.Join(cl.Tokens, "") != r.Choices[0].Text {
		t.Errorf("completion logprobs' tokens %q, text %q", cl.Tokens, r.Choices[0].Text)
	}
	off := int64(0)
	for i, tok := range cl.Tokens {
		top := cl.TopLogprobs[i]
		if len(top) < 1 || len(top) > 2 || top[tok] != cl.TokenLogprobs[i] || cl.TokenLogprobs[i] > 0 || cl.TextOffset[i] != off {
			t.Errorf("completion token %d %q: logprob %g, top %v, offset %d (want %d)", i, tok, cl.TokenLogprobs[i], top, cl.TextOffset[i], off)
		}
		off += int64(len(tok))
	}

	// echo: the text starts with the prompt, the offsets count it, and a
	// stream sends it first.
	const echoed = "The sea was"
	params = openai.CompletionNewParams{Model: testModelID, Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(echoed)},
		Temperature: openai.Float(0), MaxTokens: openai.Int(5), Echo: openai.Bool(true), Logprobs: openai.Int(1)}
	gen, _, _ := f.greedy(t, f.tok.Encode(echoed), 5, nil)
	r, err = ts.client.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	text.WriteString(r.Choices[0].Text)
	if text.String() != echoed+gen {
		t.Errorf("echo: %q, want %q", text.String(), echoed+gen)
	}
	for i, tok := range r.Choices[0].Logprobs.Tokens {
		if o := r.Choices[0].Logprobs.TextOffset[i]; o < int64(len(echoed)) || !strings.HasPrefix(text.String()[o:], tok) {
			t.Errorf("echo: token %d %q at offset %d of %q", i, tok, o, text.String())
		}
	}
	s = ts.client.Completions.NewStreaming(ctx, params)
	var pieces []string
	for s.Next() {
		if c := s.Current().Choices; len(c) > 0 {
			pieces = append(pieces, c[0].Text)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if len(pieces) == 0 || pieces[0] != echoed || strings.Join(pieces, "") != echoed+gen {
		t.Errorf("streamed echo: %q, want %q first", pieces, echoed)
	}
}

// TestSeedAndLogitBias checks that a seed makes sampling repeatable and
// that a logit_bias of 100 forces its token.
func TestSeedAndLogitBias(t *testing.T) {
	f := load(t)
	ts := start(t, nil, nil)
	ctx := context.Background()
	params := openai.CompletionNewParams{Model: testModelID, Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("The sea was")},
		Temperature: openai.Float(1), MaxTokens: openai.Int(16), Seed: openai.Int(1234)}
	var texts []string
	for range 2 {
		r, err := ts.client.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, r.Choices[0].Text)
	}
	if texts[0] != texts[1] || texts[0] == "" {
		t.Errorf("seed 1234 twice: %q and %q", texts[0], texts[1])
	}
	word := f.tok.EncodeText(" banana")
	params.LogitBias = map[string]int64{fmt.Sprint(word[0]): 100}
	params.MaxTokens = openai.Int(5)
	r, err := ts.client.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat(f.tok.Decode(word[:1]), 5); r.Choices[0].Text != want {
		t.Errorf("logit_bias {%d: 100}: %q, want %q", word[0], r.Choices[0].Text, want)
	}
}

// TestPromptCache checks that a completion sharing a long prefix with the
// previous one reports it as cached (and still answers as a fresh run).
func TestPromptCache(t *testing.T) {
	f := load(t)
	ts := start(t, nil, nil)
	ctx := context.Background()
	doc := f.tok.Decode(f.heldout[:300])
	first := doc + "\n\nQuestion: who came to live in the cottage?"
	second := doc + "\n\nQuestion: how long had the tower been dark?"
	var cached []int64
	for _, p := range []string{first, second} {
		req, _ := json.Marshal(map[string]any{"prompt": p, "max_tokens": 4, "temperature": 0})
		resp, b := ts.post(t, "/v1/completions", string(req))
		var body struct {
			Choices []struct{ Text string }
			Usage   usage
		}
		if err := json.Unmarshal(b, &body); err != nil || resp.StatusCode != 200 || len(body.Choices) != 1 {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		ids := f.tok.Encode(p)
		if want, _, _ := f.greedy(t, ids, 4, nil); body.Choices[0].Text != want || body.Usage.PromptTokens != len(ids) {
			t.Errorf("prompt of %d tokens (%d cached): %q, %d prompt tokens; fresh run %q", len(ids), body.Usage.PromptTokensDetails.CachedTokens,
				body.Choices[0].Text, body.Usage.PromptTokens, want)
		}
		cached = append(cached, int64(body.Usage.PromptTokensDetails.CachedTokens))
	}
	shared := len(f.tok.Encode(doc)) - 2 // the prefix both tokenize alike, give or take the boundary
	if cached[0] != 0 || cached[1] < int64(shared) || cached[1] >= int64(len(f.tok.Encode(second))) {
		t.Errorf("cached tokens %v: want 0, then at least %d", cached, shared)
	}

	// The SDK reads the same field.
	r, err := ts.client.Completions.New(ctx, openai.CompletionNewParams{Model: testModelID, Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(second)},
		Temperature: openai.Float(0), MaxTokens: openai.Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Usage.PromptTokensDetails.CachedTokens < int64(shared) {
		t.Errorf("SDK: cached_tokens %d, want at least %d", r.Usage.PromptTokensDetails.CachedTokens, shared)
	}

	// Keys and values computed under another attention plan are not
	// reused: the same prompt under two Hyper layers starts afresh, then
	// is cached for a request with that plan.
	for i, want := range []string{"no", "some"} {
		r, err := ts.client.Completions.New(ctx, openai.CompletionNewParams{Model: testModelID, Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(second)},
			Temperature: openai.Float(0), MaxTokens: openai.Int(2)}, option.WithJSONSet("hyper_layers", 2))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Usage.PromptTokensDetails.CachedTokens; (i == 0) != (got == 0) {
			t.Errorf("hyper_layers 2, request %d: %d cached tokens, want %s", i+1, got, want)
		}
	}
}

// TestErrors checks each refusal is OpenAI's error object with the right
// status and param.
func TestErrors(t *testing.T) {
	f := load(t)
	ts := start(t, nil, func(c *Config) { c.MaxBody = 4096 })
	hiTokens := len(f.tok.Encode("Hello there"))
	for _, c := range []struct {
		what, path, body string
		status           int
		param            string
		contains         []string
	}{
		{"malformed JSON", "/v1/completions", `{"prompt": "hi", `, 400, "", nil},
		{"malformed chat JSON", "/v1/chat/completions", `{"messages": [}`, 400, "", nil},
		{"empty body", "/v1/completions", ``, 400, "", nil},
		{"two objects", "/v1/completions", `{"prompt":"hi"} {"prompt":"hi"}`, 400, "", nil},
		{"max_tokens of the wrong type", "/v1/completions", `{"prompt":"hi","max_tokens":"a"}`, 400, "max_tokens", nil},
		{"a nested field of the wrong type", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":"yes"}}`, 400, "stream_options.include_usage", nil},
		{"unknown model", "/v1/completions", `{"model":"gpt-9","prompt":"hi"}`, 404, "", []string{"gpt-9"}},
		{"body over MaxBody", "/v1/completions", `{"prompt":"` + strings.Repeat("a ", 3000) + `"}`, 413, "", []string{"4096"}},
		{"over the context", "/v1/completions", `{"prompt":"Hello there","max_tokens":5000}`, 400, "max_tokens",
			[]string{fmt.Sprint(hiTokens), "5000", "1024"}},
		{"max_completion_tokens over the context", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":2000}`, 400, "max_completion_tokens", []string{"2000", "1024"}},
		{"max_tokens 0", "/v1/completions", `{"prompt":"hi","max_tokens":0}`, 400, "max_tokens", nil},
		{"temperature -1", "/v1/completions", `{"prompt":"hi","temperature":-1}`, 400, "temperature", nil},
		{"top_p 2", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"top_p":2}`, 400, "top_p", nil},
		{"n 2", "/v1/completions", `{"prompt":"hi","n":2}`, 400, "n", nil},
		{"logit_bias on an id beyond the vocabulary", "/v1/completions", `{"prompt":"hi","logit_bias":{"60000":5}}`, 400, "logit_bias", nil},
		{"a logit_bias key that is no id", "/v1/completions", `{"prompt":"hi","logit_bias":{"abc":5}}`, 400, "logit_bias", []string{"abc"}},
		{"a logit_bias over 100", "/v1/completions", `{"prompt":"hi","logit_bias":{"5":200}}`, 400, "logit_bias", nil},
		{"presence_penalty 3", "/v1/completions", `{"prompt":"hi","presence_penalty":3}`, 400, "presence_penalty", nil},
		{"top_k -1", "/v1/completions", `{"prompt":"hi","top_k":-1}`, 400, "top_k", nil},
		{"top_logprobs 21", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":21}`, 400, "top_logprobs", nil},
		{"no messages", "/v1/chat/completions", `{"messages":[]}`, 400, "messages", nil},
		{"an image part", "/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, 400, "messages[0].content", nil},
		{"two prompts", "/v1/completions", `{"prompt":["a","b"]}`, 400, "prompt", nil},
		{"a prompt id beyond the vocabulary", "/v1/completions", `{"prompt":[1,2,50257]}`, 400, "prompt", []string{"50257"}},
		{"stop of the wrong type", "/v1/completions", `{"prompt":"hi","stop":5}`, 400, "stop", nil},
		{"an invalid attention plan", "/v1/completions", `{"prompt":"hi","max_tokens":2,"hyper_layers":99}`, 400, "", []string{"99"}},
		{"an unknown kernel", "/v1/completions", `{"prompt":"hi","max_tokens":2,"attn":"bogus"}`, 400, "", []string{"bogus"}},
	} {
		resp, body := ts.post(t, c.path, c.body)
		e := wantError(t, c.what, resp, body, c.status, c.param)
		for _, s := range c.contains {
			if msg, _ := e["message"].(string); !strings.Contains(msg, s) {
				t.Errorf("%s: message %q does not name %s", c.what, msg, s)
			}
		}
	}
	resp, body := ts.do(t, "GET", "/v1/nope", "")
	wantError(t, "unknown endpoint", resp, body, 404, "-")
	resp, body = ts.do(t, "GET", "/v1/chat/completions", "")
	if resp.StatusCode != 404 && resp.StatusCode != 405 {
		t.Errorf("GET /v1/chat/completions: status %d", resp.StatusCode)
	}
	wantError(t, "GET on a POST endpoint", resp, body, resp.StatusCode, "")

	// The SDK sees the status and the error object's fields.
	_, err := ts.client.Completions.New(context.Background(), openai.CompletionNewParams{Model: testModelID,
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("hi")}, TopP: openai.Float(2)})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "top_p" || apiErr.Type != "invalid_request_error" {
		t.Errorf("SDK, top_p 2: %v %+v", err, apiErr)
	}
	_, err = ts.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "gpt-9",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" {
		t.Errorf("SDK, unknown model: %v %+v", err, apiErr)
	}

	// A valid plan: two Hyper layers, Flash in the others, set through the
	// SDK as extension fields; it answers as model.Generate with that plan.
	spec := attention.DefaultPlanSpec()
	spec.HyperLayers = 2
	plan, err := spec.Build(f.m.Layers(), testSeed)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := f.greedy(t, f.tok.Encode("The tower"), 6, plan)
	r, err := ts.client.Completions.New(context.Background(), openai.CompletionNewParams{Model: testModelID,
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("The tower")}, Temperature: openai.Float(0), MaxTokens: openai.Int(6)},
		option.WithJSONSet("hyper_layers", 2), option.WithJSONSet("attn", "flash"))
	if err != nil {
		t.Fatalf("hyper_layers 2, attn flash: %v", err)
	}
	if r.Choices[0].Text != want {
		t.Errorf("hyper_layers 2: %q, model.Generate with the plan %q", r.Choices[0].Text, want)
	}
}

// TestBusy checks a full queue answers 429 with Retry-After (and that the
// SDK, told not to retry, reports it), and that the slot serves again once
// the long request is cancelled.
func TestBusy(t *testing.T) {
	ts := start(t, func(o *engine.Options) { o.Slots, o.Queue, o.Context = 1, 0, 4096 }, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, _ := startStream(t, ts, ctx, `{"prompt":"Once","max_tokens":3000,"ignore_eos":true,"stream":true}`)
	defer resp.Body.Close()

	r, body := ts.post(t, "/v1/completions", `{"prompt":"hi","max_tokens":2}`)
	e := wantError(t, "full queue", r, body, 429, "-")
	if e["type"] != "rate_limit_error" || r.Header.Get("Retry-After") != "1" {
		t.Errorf("full queue: type %v, Retry-After %q", e["type"], r.Header.Get("Retry-After"))
	}
	begin := time.Now()
	_, err := ts.client.Completions.New(context.Background(), openai.CompletionNewParams{Model: testModelID,
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("hi")}, MaxTokens: openai.Int(2)})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || time.Since(begin) > time.Second {
		t.Errorf("SDK, full queue: %v after %s", err, time.Since(begin))
	}
	r, body = ts.post(t, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stream":true}`)
	wantError(t, "full queue, streaming", r, body, 429, "-") // the status comes before the stream

	cancel()
	waitIdle(t, ts.eng, 2*time.Second, "after cancelling the long request")
	if r, body := ts.post(t, "/v1/completions", `{"prompt":"hi","max_tokens":2}`); r.StatusCode != 200 {
		t.Errorf("after the cancel: status %d: %s", r.StatusCode, body)
	}
}

// TestAPIKey checks that with a key every endpoint but /health needs it.
func TestAPIKey(t *testing.T) {
	const key = "sk-test-7f3a"
	ts := start(t, nil, func(c *Config) { c.APIKey = key })
	for _, c := range []struct{ what, header string }{{"no key", ""}, {"a wrong key", "Bearer nope"}, {"no Bearer", key}, {"a longer key", "Bearer " + key + "x"}} {
		resp, body := ts.post(t, "/v1/completions", `{"prompt":"hi","max_tokens":2}`, "Authorization", c.header)
		if e := wantError(t, c.what, resp, body, 401, "-"); e != nil && e["code"] != "invalid_api_key" {
			t.Errorf("%s: code %v", c.what, e["code"])
		}
	}
	resp, body := ts.do(t, "GET", "/v1/models", "")
	wantError(t, "models without a key", resp, body, 401, "")
	resp, body = ts.do(t, "GET", "/health", "")
	if resp.StatusCode != 200 {
		t.Errorf("/health without a key: %d %s", resp.StatusCode, body)
	}
	resp, body = ts.post(t, "/tokenize", `{"content":"hi"}`, "Authorization", "Bearer "+key)
	if resp.StatusCode != 200 {
		t.Errorf("/tokenize with the key: %d %s", resp.StatusCode, body)
	}

	if _, err := ts.client.Models.List(context.Background()); err != nil {
		t.Errorf("SDK with the key: %v", err)
	}
	r, err := ts.client.Completions.New(context.Background(), openai.CompletionNewParams{Model: testModelID,
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("hi")}, MaxTokens: openai.Int(2)})
	if err != nil || len(r.Choices) != 1 {
		t.Errorf("SDK completion with the key: %v", err)
	}
	wrong := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("sk-wrong"), option.WithMaxRetries(0))
	_, err = wrong.Models.List(context.Background())
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "invalid_api_key" {
		t.Errorf("SDK with a wrong key: %v", err)
	}
	if strings.Contains(ts.log.String(), key) {
		t.Errorf("the request log holds the key:\n%s", ts.log.String())
	}
}

// TestDisconnect checks a client that goes away cancels its work: a
// request waiting in the queue leaves it, a stream closed after its first
// chunk and a whole answer whose request is cancelled free their slot at
// once.
func TestDisconnect(t *testing.T) {
	ts := start(t, func(o *engine.Options) { o.Slots, o.Queue, o.Context = 1, 2, 4096 }, nil)
	const long = `{"prompt":"Once","max_tokens":3000,"ignore_eos":true`
	// background sends a whole-answer request and returns its cancel and
	// the client's error.
	background := func() (context.CancelFunc, chan error) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions", strings.NewReader(long+"}"))
			resp, err := ts.Client().Do(req)
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		return cancel, done
	}
	until := func(what string, cond func(engine.Stats) bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for !cond(ts.eng.Stats()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %+v after 2s", what, ts.eng.Stats())
			}
			time.Sleep(2 * time.Millisecond)
		}
	}

	ctx, cancelStream := context.WithCancel(context.Background())
	defer cancelStream()
	resp, _ := startStream(t, ts, ctx, long+`,"stream":true}`)
	cancelQueued, queued := background()
	until("a second request", func(s engine.Stats) bool { return s.Queued == 1 })
	cancelQueued()
	if err := <-queued; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled queued request: %v", err)
	}
	until("after the queued client left", func(s engine.Stats) bool { return s.Queued == 0 })
	if s := ts.eng.Stats(); s.Active != 1 {
		t.Errorf("the stream stopped with the queued request: %+v", s)
	}

	cancelStream()
	resp.Body.Close()
	waitIdle(t, ts.eng, 2*time.Second, "after the streaming client left")

	cancelWhole, whole := background()
	until("a whole-answer request", func(s engine.Stats) bool { return s.Active == 1 })
	cancelWhole()
	if err := <-whole; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled whole answer: %v", err)
	}
	waitIdle(t, ts.eng, 2*time.Second, "after the non-streaming client left")
	if r, body := ts.post(t, "/v1/completions", `{"prompt":"hi","max_tokens":2}`); r.StatusCode != 200 {
		t.Errorf("after the disconnects: status %d: %s", r.StatusCode, body)
	}
}

// TestLongRequestUnderReadTimeout runs a stream that lasts longer than
// the HTTP server's ReadTimeout (gollm serve sets one against slow
// uploads): the timeout bounds reading the request, not the answer.
func TestLongRequestUnderReadTimeout(t *testing.T) {
	ts := startWith(t, nil, nil, func(hs *httptest.Server) {
		hs.Config.ReadTimeout = 100 * time.Millisecond
	})
	begin := time.Now()
	resp, r := startStream(t, ts, context.Background(), `{"prompt":"Once","max_tokens":400,"ignore_eos":true,"stream":true}`)
	defer resp.Body.Close()
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("after %s: %v", time.Since(begin), err)
	}
	if time.Since(begin) < 2*ts.Config.ReadTimeout {
		t.Logf("the stream took only %s: the check is weak", time.Since(begin))
	}
	if !bytes.HasSuffix(rest, []byte("data: [DONE]\n\n")) {
		tail := rest[max(len(rest)-200, 0):]
		t.Errorf("a stream of %s under a ReadTimeout of %s ended %q", time.Since(begin), ts.Config.ReadTimeout, tail)
	}
}

// TestPanicRecovered checks a panicking handler answers 500 with the
// error object, for its request alone, and is logged; http.ErrAbortHandler
// still aborts the connection; the server keeps answering.
func TestPanicRecovered(t *testing.T) {
	ts := start(t, nil, nil)
	normal := ts.srv.mux
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	mux.HandleFunc("GET /abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	mux.Handle("/", normal)
	ts.srv.mux = mux

	resp, body := ts.do(t, "GET", "/boom", "")
	if e := wantError(t, "panic", resp, body, 500, "-"); e != nil && (e["type"] != "server_error" || !strings.Contains(e["message"].(string), "kaboom")) {
		t.Errorf("panic: error %v", e)
	}
	if log := ts.log.String(); !strings.Contains(log, "panic in GET /boom: kaboom") || !strings.Contains(log, "GET /boom 500") {
		t.Errorf("the log after a panic:\n%s", log)
	}
	if resp, err := ts.Client().Get(ts.URL + "/abort"); err == nil {
		resp.Body.Close()
		t.Errorf("ErrAbortHandler: a response, status %d", resp.StatusCode)
	}
	resp, body = ts.do(t, "GET", "/health", "")
	if resp.StatusCode != 200 {
		t.Errorf("/health after the panics: %d %s", resp.StatusCode, body)
	}
	resp, body = ts.post(t, "/v1/completions", `{"prompt":"hi","max_tokens":3}`)
	if resp.StatusCode != 200 {
		t.Errorf("a completion after the panics: %d %s", resp.StatusCode, body)
	}
}

// TestInfoEndpoints checks /tokenize and /detokenize (a round trip; ids
// beyond the vocabulary refused), /apply-template (the ChatML prompt),
// /v1/models through the SDK and /health.
func TestInfoEndpoints(t *testing.T) {
	f := load(t)
	ts := start(t, nil, nil)
	const text = "Hello, lighthouse keeper!"
	resp, body := ts.post(t, "/tokenize", `{"content":"`+text+`"}`)
	var tk struct{ Tokens []int }
	if err := json.Unmarshal(body, &tk); err != nil || resp.StatusCode != 200 || !slices.Equal(tk.Tokens, f.tok.EncodeText(text)) {
		t.Errorf("/tokenize: %d %s, want %v", resp.StatusCode, body, f.tok.EncodeText(text))
	}
	resp, body = ts.post(t, "/tokenize", `{"content":"`+text+`","with_pieces":true}`)
	var pieces struct {
		Tokens []struct {
			ID    int
			Piece string
		}
	}
	if err := json.Unmarshal(body, &pieces); err != nil || len(pieces.Tokens) != len(tk.Tokens) {
		t.Errorf("/tokenize with pieces: %s", body)
	} else {
		var joined strings.Builder
		for i, p := range pieces.Tokens {
			if p.ID != tk.Tokens[i] {
				t.Errorf("/tokenize with pieces: id %d is %d, want %d", i, p.ID, tk.Tokens[i])
			}
			joined.WriteString(p.Piece)
		}
		if joined.String() != text {
			t.Errorf("/tokenize pieces join to %q", joined.String())
		}
	}
	ids, _ := json.Marshal(tk.Tokens)
	resp, body = ts.post(t, "/detokenize", `{"tokens":`+string(ids)+`}`)
	var dt struct{ Content string }
	if err := json.Unmarshal(body, &dt); err != nil || resp.StatusCode != 200 || dt.Content != text {
		t.Errorf("/detokenize of /tokenize: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []string{`{"tokens":[1,50257]}`, `{"tokens":[-1]}`} {
		resp, body = ts.post(t, "/detokenize", bad)
		wantError(t, "/detokenize "+bad, resp, body, 400, "tokens")
	}
	resp, body = ts.post(t, "/tokenize", `{}`)
	wantError(t, "/tokenize without content", resp, body, 400, "content")

	resp, body = ts.post(t, "/apply-template", `{"messages":[{"role":"user","content":"Hi there"}]}`)
	var at struct{ Prompt string }
	if err := json.Unmarshal(body, &at); err != nil || resp.StatusCode != 200 || at.Prompt != chatML("Hi there") {
		t.Errorf("/apply-template: %d %s, want %q", resp.StatusCode, body, chatML("Hi there"))
	}
	resp, body = ts.post(t, "/apply-template", `{"messages":[{"role":"user","content":[{"type":"text","text":"Hi"},{"type":"text","text":" there"}]}]}`)
	if err := json.Unmarshal(body, &at); err != nil || resp.StatusCode != 200 || at.Prompt != chatML("Hi there") {
		t.Errorf("/apply-template of text parts: %d %s, want %q", resp.StatusCode, body, chatML("Hi there"))
	}
	resp, body = ts.post(t, "/apply-template", `{"messages":[{"content":"no role"}]}`)
	wantError(t, "/apply-template without a role", resp, body, 400, "messages[0].role")

	page, err := ts.client.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.Data[0].ID != testModelID || page.Data[0].OwnedBy != "gollm" || page.Data[0].Object != "model" {
		t.Errorf("models: %+v", page.Data)
	}

	resp, body = ts.do(t, "GET", "/health", "")
	var h struct {
		Status                          string
		SlotsIdle                       int `json:"slots_idle"`
		SlotsProcessing, RequestsQueued int
	}
	if err := json.Unmarshal(body, &h); err != nil || resp.StatusCode != 200 || h.Status != "ok" || h.SlotsIdle != 4 {
		t.Errorf("/health: %d %s", resp.StatusCode, body)
	}
}
