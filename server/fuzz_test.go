package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gollm/gollm/engine"
)

// FuzzRequest sends arbitrary bodies to the completion endpoints and
// /apply-template: every answer must be a 200 or a 4xx with OpenAI's error
// object; a 500 would be a panic or an engine failure the request caused.
// The context is 48 tokens, so no body can ask for long work.
//
//	go test -run X -fuzz FuzzRequest ./server
func FuzzRequest(f *testing.F) {
	for _, seed := range []string{
		`{"messages":[{"role":"user","content":"hi"}],"max_tokens":3,"temperature":0}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}],"stream":true,"stop":["\n"],"logprobs":true,"top_logprobs":2,"max_tokens":2}`,
		`{"prompt":"Once","max_tokens":2,"logprobs":3,"echo":true,"logit_bias":{"11":5},"seed":1}`,
		`{"prompt":[1,2,3],"max_tokens":2,"stream":true,"stream_options":{"include_usage":true},"hyper_layers":2}`,
		`{"prompt":"x","max_tokens":-1,"top_p":2,"n":3}`,
		`{"messages":[{"role":"user"}],"tools":[{"type":"function"}]}`,
		`{"prompt":[[1,2]],"stop":"a","presence_penalty":3}`,
		`{"prompt":"x","layer_attn":"0-1:hyper","hyper_block":0}`,
		`[1,2`, ``, `null`, `{"prompt":{}}`,
	} {
		f.Add("/v1/completions", seed)
		f.Add("/v1/chat/completions", seed)
	}
	f.Add("/apply-template", `{"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}]}`)
	ts := start(f, func(o *engine.Options) { o.Context = 48; o.Slots = 2 }, func(c *Config) { c.Log = nil })
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/v1/completions", "/v1/chat/completions", "/apply-template":
		default:
			return
		}
		rec := httptest.NewRecorder()
		ts.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		switch c := rec.Code; {
		case c == 200:
		case c >= 400 && c < 500:
			if !strings.Contains(rec.Body.String(), `"error"`) {
				t.Fatalf("%d without an error object: %q", c, rec.Body.String())
			}
		default:
			t.Fatalf("status %d for %s %q: %s", c, path, body, rec.Body.String())
		}
	})
}
