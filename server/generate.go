package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/gollm/gollm/chat"
	"github.com/gollm/gollm/engine"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/tokenizer"
)

// chatCompletions renders the messages with the chat template and
// generates the assistant's reply.
func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var req request
	if e := decode(w, r, s.cfg.MaxBody, &req); e != nil {
		writeError(w, e)
		return
	}
	msgs, err := req.chatMessages()
	if err != nil {
		writeError(w, err.(*apiError))
		return
	}
	text, err := s.cfg.Template.Render(msgs, chat.Options{AddGenerationPrompt: true, Special: s.cfg.Special, Tools: req.Tools})
	if err != nil {
		writeError(w, badParam("messages", err.Error()))
		return
	}
	s.generate(w, r, &req, s.cfg.Tokenizer.EncodeText(text), "", true)
}

// completions continues a prompt: a string, a list of one string, or a
// list of token ids.
func (s *Server) completions(w http.ResponseWriter, r *http.Request) {
	var req request
	if e := decode(w, r, s.cfg.MaxBody, &req); e != nil {
		writeError(w, e)
		return
	}
	ids, text, e := s.promptIDs(req.Prompt)
	if e != nil {
		writeError(w, e)
		return
	}
	echo := ""
	if req.Echo {
		echo = text
	}
	s.generate(w, r, &req, ids, echo, false)
}

// promptIDs reads a completions prompt and tokenizes it; it also returns
// its text.
func (s *Server) promptIDs(raw json.RawMessage) ([]int, string, *apiError) {
	var text string
	var texts []string
	var ids []int
	var batches [][]int
	switch {
	case json.Unmarshal(raw, &text) == nil:
	case json.Unmarshal(raw, &texts) == nil && len(texts) == 1:
		text = texts[0]
	case json.Unmarshal(raw, &ids) == nil && len(ids) > 0:
	case json.Unmarshal(raw, &batches) == nil && len(batches) == 1:
		ids = batches[0]
	case len(texts) > 1 || len(batches) > 1:
		return nil, "", badParam("prompt", "one prompt per request: send the others as separate requests (they run in parallel)")
	default:
		return nil, "", badParam("prompt", "prompt must be a non-empty string, a list of one string, or a list of token ids")
	}
	if ids != nil {
		for _, id := range ids {
			if id < 0 || id >= s.cfg.Vocab {
				return nil, "", badParam("prompt", fmt.Sprintf("token id %d is not in the vocabulary [0, %d)", id, s.cfg.Vocab))
			}
		}
		return ids, s.cfg.Tokenizer.Decode(ids), nil
	}
	if text == "" {
		return nil, "", badParam("prompt", "the prompt is empty")
	}
	return s.cfg.Tokenizer.Encode(text), text, nil
}

// options are the parsed generation fields of a request.
type options struct {
	eng          engine.Request
	stops        []string
	stream       bool
	includeUsage bool
}

// parse checks every generation field of req for a prompt of ids.
func (s *Server) parse(req *request, prompt []int, isChat bool) (*options, *apiError) {
	if req.Model != "" && req.Model != s.cfg.ModelID {
		return nil, apiErr(404, "invalid_request_error", "model_not_found", fmt.Sprintf("the model %q does not exist: this server has %q", req.Model, s.cfg.ModelID))
	}
	if req.N != nil && *req.N != 1 {
		return nil, badParam("n", fmt.Sprintf("n must be 1 (gollm returns one choice per request), got %d", *req.N))
	}
	if len(prompt) == 0 {
		return nil, badParam("messages", "the prompt encodes to no tokens")
	}
	o := &options{stream: req.Stream, includeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage}
	limit, param := req.MaxTokens, "max_tokens"
	if req.MaxCompletionTokens != nil {
		limit, param = req.MaxCompletionTokens, "max_completion_tokens"
	}
	switch {
	case limit != nil:
		o.eng.MaxTokens = *limit
	case isChat:
		o.eng.MaxTokens = max(s.cfg.Context-len(prompt), 1) // as OpenAI: up to the context
	default:
		o.eng.MaxTokens = 16 // OpenAI's default for completions
	}
	if o.eng.MaxTokens < 1 {
		return nil, badParam(param, fmt.Sprintf("%s must be ≥ 1, got %d", param, o.eng.MaxTokens))
	}
	if n := len(prompt) + o.eng.MaxTokens; n > s.cfg.Context {
		return nil, badParam(param, fmt.Sprintf("the prompt's %d tokens plus %s %d = %d exceed the context of %d tokens", len(prompt), param, o.eng.MaxTokens, n, s.cfg.Context))
	}
	sc, e := s.sampler(req)
	if e != nil {
		return nil, e
	}
	o.eng.Sampler = sc
	if o.stops, e = asAPI(req.stops()); e != nil {
		return nil, e
	}
	if e := logprobs(req, isChat, &o.eng); e != nil {
		return nil, e
	}
	spec, set := req.planSpec(s.cfg.Plan)
	if !set {
		spec = s.cfg.Plan
	}
	plan, key, err := s.plan(spec)
	if err != nil {
		return nil, badParam("attention plan", "attention plan: "+strings.ReplaceAll(err.Error(), "--", ""))
	}
	o.eng.Prompt, o.eng.Plan, o.eng.PlanKey, o.eng.IgnoreEOS = prompt, plan, key, req.IgnoreEOS
	return o, nil
}

// asAPI passes on a parse function's *apiError (nil stays nil).
func asAPI[T any](v T, err error) (T, *apiError) {
	if err != nil {
		return v, err.(*apiError)
	}
	return v, nil
}

// sampler merges the request's sampling fields with the server's defaults
// and validates them; the error names the field.
func (s *Server) sampler(req *request) (model.SamplerConfig, *apiError) {
	sc := s.cfg.Sampling
	if req.Temperature != nil {
		sc.Temperature = *req.Temperature
	}
	if req.TopP != nil {
		sc.TopP = *req.TopP
	}
	if req.TopK != nil {
		sc.TopK = *req.TopK
	}
	if req.MinP != nil {
		sc.MinP = *req.MinP
	}
	if req.RepetitionPenalty != nil {
		sc.RepetitionPenalty = *req.RepetitionPenalty
	}
	sc.PresencePenalty, sc.FrequencyPenalty = req.PresencePenalty, req.FrequencyPenalty
	sc.Seed = rand.Uint64() // OpenAI: without a seed, each request samples differently
	if req.Seed != nil {
		sc.Seed = uint64(*req.Seed)
	}
	bias, e := asAPI(req.logitBias())
	if e != nil {
		return sc, e
	}
	sc.LogitBias = bias
	if err := sc.Validate(s.cfg.Vocab); err != nil {
		field, _, _ := strings.Cut(err.Error(), " ")
		field, _, _ = strings.Cut(field, ":")
		field, _, _ = strings.Cut(field, "[")
		return sc, badParam(field, err.Error())
	}
	return sc, nil
}

// logprobs reads the logprobs fields: chat's logprobs (bool) and
// top_logprobs (0–20), or completions' logprobs (the number of
// alternatives, 0–20).
func logprobs(req *request, isChat bool, r *engine.Request) *apiError {
	if len(req.Logprobs) == 0 || string(req.Logprobs) == "null" {
		if req.TopLogprobs != nil && *req.TopLogprobs > 0 && isChat {
			return badParam("top_logprobs", "top_logprobs needs logprobs: true")
		}
		return nil
	}
	if isChat {
		var on bool
		if json.Unmarshal(req.Logprobs, &on) != nil {
			return badParam("logprobs", "logprobs must be true or false")
		}
		r.Logprobs = on
		if req.TopLogprobs != nil {
			r.TopLogprobs = *req.TopLogprobs
		}
	} else {
		if json.Unmarshal(req.Logprobs, &r.TopLogprobs) != nil {
			return badParam("logprobs", "logprobs must be the number of alternatives (0–20)")
		}
		r.Logprobs = true
	}
	if r.TopLogprobs < 0 || r.TopLogprobs > 20 {
		name := "top_logprobs"
		if !isChat {
			name = "logprobs"
		}
		return badParam(name, fmt.Sprintf("%s must be in [0, 20], got %d", name, r.TopLogprobs))
	}
	return nil
}

// generate runs one request and writes its response, streamed or whole.
func (s *Server) generate(w http.ResponseWriter, r *http.Request, req *request, prompt []int, echo string, isChat bool) {
	o, e := s.parse(req, prompt, isChat)
	if e != nil {
		writeError(w, e)
		return
	}
	out := newResponse(s, w, o, isChat)
	stream := tokenizer.NewStopStream(s.cfg.Tokenizer, o.stops)
	if echo != "" {
		out.content(echo, nil)
		out.textOffset = len(echo) // text_offset counts from the start of the text, the echo in it
	}
	res, err := s.cfg.Engine.Generate(r.Context(), o.eng, func(t engine.Token) error {
		piece := stream.Add(t.ID)
		if err := out.content(piece, &t); err != nil {
			return err
		}
		if stream.Stopped() {
			return engine.ErrStop
		}
		return nil
	})
	if err == nil && !stream.Stopped() {
		err = out.content(stream.Flush(), nil)
	}
	switch {
	case errors.Is(err, context.Canceled) || r.Context().Err() != nil:
		return // the client has gone
	case errors.Is(err, engine.ErrBusy):
		out.fail(apiErr(429, "rate_limit_error", "busy", "every slot is busy and the queue is full; retry shortly"))
		return
	case errors.Is(err, engine.ErrClosed):
		out.fail(apiErr(503, "server_error", "shutting_down", "the server is shutting down"))
		return
	case err != nil:
		var ce *engine.ContextError
		if errors.As(err, &ce) {
			out.fail(badParam("max_tokens", ce.Error()))
			return
		}
		out.fail(apiErr(500, "server_error", "", err.Error()))
		return
	}
	if stream.Stopped() {
		res.FinishReason = "stop"
	}
	u := usage{PromptTokens: res.PromptTokens, CompletionTokens: res.CompletionTokens, TotalTokens: res.PromptTokens + res.CompletionTokens}
	u.PromptTokensDetails.CachedTokens = res.CachedTokens
	out.finish(res.FinishReason, u)
	if s.cfg.Log != nil {
		fmt.Fprintf(s.cfg.Log, "gollm serve: prompt %d tokens (%d cached), %d generated, first token after %.3fs, finish %s\n",
			res.PromptTokens, res.CachedTokens, res.CompletionTokens, res.TimeToFirstToken.Seconds(), res.FinishReason)
	}
}

// response writes one request's answer: chunks as server-sent events once
// the first token is there (so errors before it keep their status), or
// the whole object at the end.
type response struct {
	s       *Server
	w       http.ResponseWriter
	o       *options
	chat    bool
	id      string
	created int64
	started bool // streaming: the event stream has begun

	text       strings.Builder
	chatLP     []chatLogprob
	complLP    completionLogprobs
	textOffset int
}

func newResponse(s *Server, w http.ResponseWriter, o *options, isChat bool) *response {
	prefix := "cmpl-"
	if isChat {
		prefix = "chatcmpl-"
	}
	return &response{s: s, w: w, o: o, chat: isChat, id: newID(prefix), created: time.Now().Unix()}
}

// object is the response's object name, for the whole answer or a chunk.
func (r *response) object() string {
	switch {
	case r.chat && r.o.stream:
		return "chat.completion.chunk"
	case r.chat:
		return "chat.completion"
	}
	return "text_completion"
}

// content takes the next piece of text and the token it came with (nil
// for text without a token: an echo, the final flush).
func (r *response) content(piece string, t *engine.Token) error {
	var lp any
	if t != nil && r.o.eng.Logprobs {
		lp = r.logprob(t)
	}
	if !r.o.stream {
		r.text.WriteString(piece)
		return nil
	}
	if piece == "" && lp == nil {
		return nil
	}
	if !r.started {
		r.start()
	}
	return r.send(r.choice(piece, lp, nil))
}

// logprob records token t's log-probabilities and returns them in the
// form of one streamed chunk.
func (r *response) logprob(t *engine.Token) any {
	tok := r.s.cfg.Tokenizer.Decode([]int{t.ID})
	if r.chat {
		c := chatLogprob{Token: tok, Logprob: t.Logprob, Bytes: bytesOf(tok), TopLogprobs: []topLogprob{}}
		for _, a := range t.Top {
			s := r.s.cfg.Tokenizer.Decode([]int{a.ID})
			c.TopLogprobs = append(c.TopLogprobs, topLogprob{Token: s, Logprob: a.Logprob, Bytes: bytesOf(s)})
		}
		r.chatLP = append(r.chatLP, c)
		return map[string]any{"content": []chatLogprob{c}}
	}
	top := map[string]float64{}
	for _, a := range t.Top {
		top[r.s.cfg.Tokenizer.Decode([]int{a.ID})] = a.Logprob
	}
	one := completionLogprobs{Tokens: []string{tok}, TokenLogprobs: []float64{t.Logprob}, TopLogprobs: []map[string]float64{top}, TextOffset: []int{r.textOffset}}
	r.complLP.Tokens = append(r.complLP.Tokens, tok)
	r.complLP.TokenLogprobs = append(r.complLP.TokenLogprobs, t.Logprob)
	r.complLP.TopLogprobs = append(r.complLP.TopLogprobs, top)
	r.complLP.TextOffset = append(r.complLP.TextOffset, r.textOffset)
	r.textOffset += len(tok)
	return one
}

func bytesOf(s string) []int {
	b := make([]int, len(s))
	for i := range len(s) {
		b[i] = int(s[i])
	}
	return b
}

// choice is choices[0] of a chunk or of the whole answer.
func (r *response) choice(text string, lp any, finish *string) map[string]any {
	c := map[string]any{"index": 0, "logprobs": lp, "finish_reason": finish}
	switch {
	case !r.chat:
		c["text"] = text
	case r.o.stream:
		delta := map[string]any{}
		if text != "" {
			delta["content"] = text
		}
		c["delta"] = delta
	default:
		c["message"] = map[string]any{"role": "assistant", "content": text}
	}
	return c
}

// start opens the event stream; a chat stream's first chunk names the role.
func (r *response) start() {
	h := r.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	r.w.WriteHeader(http.StatusOK)
	r.started = true
	if r.chat {
		r.send(map[string]any{"index": 0, "delta": map[string]any{"role": "assistant", "content": ""}, "logprobs": nil, "finish_reason": nil})
	}
}

// send writes one chunk holding choice (nil: no choices, the usage chunk).
func (r *response) send(choice map[string]any, extra ...any) error {
	chunk := map[string]any{"id": r.id, "object": r.object(), "created": r.created, "model": r.s.cfg.ModelID, "choices": []any{}}
	if choice != nil {
		chunk["choices"] = []any{choice}
	}
	if len(extra) == 2 {
		chunk[extra[0].(string)] = extra[1]
	}
	b, err := json.Marshal(chunk)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(r.w, "data: %s\n\n", b); err != nil {
		return err
	}
	return http.NewResponseController(r.w).Flush()
}

// finish ends the answer: the last chunk with the finish reason, the
// usage chunk when asked and [DONE]; or the whole object.
func (r *response) finish(reason string, u usage) {
	if !r.o.stream {
		var lp any
		switch {
		case r.o.eng.Logprobs && r.chat:
			lp = map[string]any{"content": append([]chatLogprob{}, r.chatLP...)}
		case r.o.eng.Logprobs:
			lp = r.complLP
		}
		writeJSON(r.w, 200, map[string]any{"id": r.id, "object": r.object(), "created": r.created, "model": r.s.cfg.ModelID,
			"choices": []any{r.choice(r.text.String(), lp, &reason)}, "usage": u})
		return
	}
	if !r.started {
		r.start()
	}
	r.send(r.choice("", nil, &reason))
	if r.o.includeUsage {
		r.send(nil, "usage", u)
	}
	fmt.Fprint(r.w, "data: [DONE]\n\n")
	http.NewResponseController(r.w).Flush()
}

// fail reports e: with its status before the stream began, as an error
// event after.
func (r *response) fail(e *apiError) {
	if !r.started {
		writeError(r.w, e)
		return
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	fmt.Fprintf(r.w, "data: %s\n\n", b)
	http.NewResponseController(r.w).Flush()
}
