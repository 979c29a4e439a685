// Package server is gollm's OpenAI-compatible HTTP API over an engine:
// /v1/chat/completions and /v1/completions (streamed as server-sent events
// or whole), /v1/models, /health, and llama-server's /tokenize,
// /detokenize and /apply-template. Errors are OpenAI's error object with
// the matching status; a request may carry gollm's attention plan as
// extension fields (docs/serving.md).
package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/chat"
	"github.com/gollm/gollm/engine"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/tokenizer"
)

// Config is what a Server serves and how.
type Config struct {
	Engine    *engine.Engine
	Tokenizer tokenizer.Tokenizer
	Template  *chat.Template    // the chat template
	Special   map[string]string // the template's special-token variables (bos_token, eos_token)
	ModelID   string            // the id /v1/models lists and requests may name
	Context   int               // tokens per request, prompt and completion
	Vocab     int               // the model's vocabulary size
	TrainCtx  int               // the model's own context length (max_position_embeddings)

	Plan attention.PlanSpec // the attention plan of requests that set none
	Seed uint64             // of the plans' random projections and samples
	// Layers is the model's layer count (plans are built for it).
	Layers int
	// Sampling holds the sampler values of fields a request leaves out
	// (the model's generation_config.json, else OpenAI's defaults).
	Sampling model.SamplerConfig

	APIKey  string    // when set, every endpoint but /health needs "Authorization: Bearer APIKey"
	MaxBody int64     // request bodies over this many bytes get 413
	Log     io.Writer // one line per request (never a body or the key); nil: none
}

// Server is the HTTP handler.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	created int64

	mu    sync.Mutex
	plans map[string]*attention.Plan // built plans by key, at most maxPlans
}

// maxPlans bounds the plans a server keeps built; others are built per
// request.
const maxPlans = 32

// New returns a server; it builds the default plan to check it.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil || cfg.Tokenizer == nil || cfg.Template == nil {
		return nil, errors.New("server: an engine, a tokenizer and a chat template are needed")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 16 << 20
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), created: time.Now().Unix(), plans: map[string]*attention.Plan{}}
	if _, _, err := s.plan(cfg.Plan); err != nil {
		return nil, err
	}
	s.mux.HandleFunc("GET /health", s.health)
	s.mux.HandleFunc("GET /v1/models", s.models)
	s.mux.HandleFunc("POST /v1/chat/completions", s.chatCompletions)
	s.mux.HandleFunc("POST /v1/completions", s.completions)
	s.mux.HandleFunc("POST /tokenize", s.tokenize)
	s.mux.HandleFunc("POST /detokenize", s.detokenize)
	s.mux.HandleFunc("POST /apply-template", s.applyTemplate)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, apiErr(404, "invalid_request_error", "not_found", fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)))
	})
	return s, nil
}

// ServeHTTP checks the key, recovers a panic into a 500 for its request
// alone, and logs the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &recorder{ResponseWriter: w, status: 200}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			if s.cfg.Log != nil {
				fmt.Fprintf(s.cfg.Log, "gollm serve: panic in %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
			}
			if !rw.wrote {
				writeError(rw, apiErr(500, "server_error", "", fmt.Sprintf("internal error: %v", p)))
			}
		}
		if s.cfg.Log != nil {
			fmt.Fprintf(s.cfg.Log, "%s %s %s %d %.3fs\n", start.UTC().Format(time.RFC3339), r.Method, r.URL.Path, rw.status, time.Since(start).Seconds())
		}
	}()
	if s.cfg.APIKey != "" && r.URL.Path != "/health" && !s.authorized(r) {
		writeError(rw, apiErr(401, "invalid_request_error", "invalid_api_key", "a valid API key is needed: send the header Authorization: Bearer KEY"))
		return
	}
	s.mux.ServeHTTP(rw, r)
}

// authorized compares the bearer token with the key in constant time.
func (s *Server) authorized(r *http.Request) bool {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) < len(prefix) || h[:len(prefix)] != prefix {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(h[len(prefix):]), []byte(s.cfg.APIKey)) == 1
}

// recorder remembers the status and whether anything was written.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Flush).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// plan returns the built plan of spec and its key (the prompt cache's
// plan identity).
func (s *Server) plan(spec attention.PlanSpec) (*attention.Plan, string, error) {
	key := fmt.Sprintf("%+v", spec)
	s.mu.Lock()
	p, ok := s.plans[key]
	s.mu.Unlock()
	if ok {
		return p, key, nil
	}
	if err := spec.Validate(); err != nil {
		return nil, "", err
	}
	p, err := spec.Build(s.cfg.Layers, s.cfg.Seed)
	if err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	if len(s.plans) < maxPlans {
		s.plans[key] = p
	}
	s.mu.Unlock()
	return p, key, nil
}

// decode reads a JSON body into v: 413 over MaxBody, 400 for malformed
// JSON or a field of the wrong type (naming it).
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) *apiError {
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON object")
	}
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return apiErr(413, "invalid_request_error", "request_too_large", fmt.Sprintf("the request body is over %d bytes (the server's --max-body)", tooBig.Limit))
	case errors.As(err, &typeErr):
		return badParam(typeErr.Field, fmt.Sprintf("field %q must be %s, got JSON %s", typeErr.Field, typeErr.Type, typeErr.Value))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return apiErr(400, "invalid_request_error", "", "malformed JSON: "+err.Error())
	case errors.Is(err, io.EOF):
		return apiErr(400, "invalid_request_error", "", "the request body is empty: send a JSON object")
	}
	return apiErr(400, "invalid_request_error", "", "bad request body: "+err.Error())
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError writes e as OpenAI's {"error": {…}}.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.status, map[string]any{"error": e})
}

// newID returns a response id: prefix and 24 random hex digits.
func newID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
