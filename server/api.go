package server

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/chat"
)

// request is the body of /v1/chat/completions and /v1/completions: the
// OpenAI fields gollm reads (others are ignored, as OpenAI's own server
// ignores what a model does not use) and gollm's attention plan
// extensions. Pointers tell a field left out from one set to zero.
type request struct {
	Model    string            `json:"model"`
	Messages []json.RawMessage `json:"messages"` // chat
	Prompt   json.RawMessage   `json:"prompt"`   // completions: a string, [string] or [ids]
	Tools    []any             `json:"tools"`

	MaxTokens           *int `json:"max_tokens"`
	MaxCompletionTokens *int `json:"max_completion_tokens"`
	N                   *int `json:"n"`
	Stream              bool `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Stop json.RawMessage `json:"stop"` // a string or a list of them

	Temperature       *float64           `json:"temperature"`
	TopP              *float64           `json:"top_p"`
	TopK              *int               `json:"top_k"`
	MinP              *float64           `json:"min_p"`
	Seed              *int64             `json:"seed"`
	PresencePenalty   float64            `json:"presence_penalty"`
	FrequencyPenalty  float64            `json:"frequency_penalty"`
	RepetitionPenalty *float64           `json:"repetition_penalty"`
	LogitBias         map[string]float64 `json:"logit_bias"`
	IgnoreEOS         bool               `json:"ignore_eos"`

	// Logprobs is a bool for chat and the number of alternatives for
	// completions; TopLogprobs is chat's number of alternatives.
	Logprobs    json.RawMessage `json:"logprobs"`
	TopLogprobs *int            `json:"top_logprobs"`
	Echo        bool            `json:"echo"`

	// gollm's attention plan, as the run command's flags (snake case).
	Attn              *string `json:"attn"`
	HyperLayers       *int    `json:"hyper_layers"`
	HyperPattern      *string `json:"hyper_pattern"`
	LayerAttn         *string `json:"layer_attn"`
	HyperOrder        *string `json:"hyper_order"`
	HyperBlock        *int    `json:"hyper_block"`
	HyperSamples      *int    `json:"hyper_samples"`
	HyperProjs        *int    `json:"hyper_projs"`
	HyperMinSeq       *int    `json:"hyper_min_seq"`
	HyperSink         *int    `json:"hyper_sink"`
	HyperWindow       *int    `json:"hyper_window"`
	HyperDecode       *bool   `json:"hyper_decode"`
	HyperCenter       *bool   `json:"hyper_center"`
	HyperDecodeWindow *int    `json:"hyper_decode_window"`
}

// planSpec overlays the request's plan fields on the server's plan; it
// reports whether any was set.
func (r *request) planSpec(base attention.PlanSpec) (attention.PlanSpec, bool) {
	s := base
	set := false
	str := func(dst *string, v *string) {
		if v != nil {
			*dst, set = *v, true
		}
	}
	num := func(dst *int, v *int) {
		if v != nil {
			*dst, set = *v, true
		}
	}
	str(&s.Attn, r.Attn)
	num(&s.HyperLayers, r.HyperLayers)
	str(&s.Pattern, r.HyperPattern)
	str(&s.LayerAttn, r.LayerAttn)
	str(&s.Order, r.HyperOrder)
	num(&s.Hyper.Block, r.HyperBlock)
	num(&s.Hyper.Samples, r.HyperSamples)
	num(&s.Hyper.Projs, r.HyperProjs)
	num(&s.Hyper.MinSeq, r.HyperMinSeq)
	num(&s.Hyper.Sink, r.HyperSink)
	num(&s.Hyper.Window, r.HyperWindow)
	num(&s.DecodeWindow, r.HyperDecodeWindow)
	if r.HyperDecode != nil {
		s.HyperDecode, set = *r.HyperDecode, true
	}
	if r.HyperCenter != nil {
		s.Hyper.Center, set = *r.HyperCenter, true
	}
	if r.LayerAttn != nil && r.HyperLayers == nil {
		s.HyperLayers = 0 // the request chose its layers explicitly
	}
	return s, set
}

// stops parses stop: a string or a list of at most 16 non-empty strings.
func (r *request) stops() ([]string, error) {
	if len(r.Stop) == 0 || string(r.Stop) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(r.Stop, &one) == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(r.Stop, &list); err != nil {
		return nil, badParam("stop", "stop must be a string or a list of strings")
	}
	if len(list) > 16 {
		return nil, badParam("stop", fmt.Sprintf("stop takes at most 16 strings, got %d", len(list)))
	}
	out := list[:0]
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// logitBias parses logit_bias's keys, token ids written as strings.
func (r *request) logitBias() (map[int]float64, error) {
	if len(r.LogitBias) == 0 {
		return nil, nil
	}
	out := make(map[int]float64, len(r.LogitBias))
	for k, v := range r.LogitBias {
		id, err := strconv.Atoi(k)
		if err != nil {
			return nil, badParam("logit_bias", fmt.Sprintf("logit_bias keys are token ids, got %q", k))
		}
		out[id] = v
	}
	return out, nil
}

// message is one chat message as the API sends it.
type message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// chatMessages turns the request's messages into the template's: content
// as a string (a list of text parts is joined; other parts are refused)
// and every other field passed on as it is (tool_calls, name, …).
func (r *request) chatMessages() ([]chat.Message, error) {
	if len(r.Messages) == 0 {
		return nil, badParam("messages", "messages must be a non-empty list")
	}
	out := make([]chat.Message, 0, len(r.Messages))
	for i, raw := range r.Messages {
		param := fmt.Sprintf("messages[%d]", i)
		var m message
		var extra map[string]any
		if json.Unmarshal(raw, &m) != nil || json.Unmarshal(raw, &extra) != nil {
			return nil, badParam(param, param+" must be an object with a string role")
		}
		if m.Role == "" {
			return nil, badParam(param+".role", param+" has no role")
		}
		content, err := textContent(m.Content)
		if err != nil {
			return nil, badParam(param+".content", param+".content: "+err.Error())
		}
		delete(extra, "role")
		delete(extra, "content")
		if len(extra) == 0 {
			extra = nil
		}
		out = append(out, chat.Message{Role: m.Role, Content: content, Extra: extra})
	}
	return out, nil
}

// textContent reads a message's content: a string, null, or a list of
// {"type": "text", "text": …} parts.
func textContent(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("want a string or a list of text parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" || p.Text == nil {
			return "", fmt.Errorf("only text parts are supported, got type %q", p.Type)
		}
		b.WriteString(*p.Text)
	}
	return b.String(), nil
}

// apiError is OpenAI's error object, with its HTTP status.
type apiError struct {
	status  int
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (e *apiError) Error() string { return e.Message }

// badParam is a 400 naming the field at fault.
func badParam(param, msg string) *apiError {
	return &apiError{status: 400, Message: msg, Type: "invalid_request_error", Param: &param}
}

// apiErr is an error of the given status, type and code (code "" is null).
func apiErr(status int, typ, code, msg string) *apiError {
	e := &apiError{status: status, Message: msg, Type: typ}
	if code != "" {
		e.Code = &code
	}
	return e
}

// usage is OpenAI's token accounting of one response.
type usage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

// chatLogprob is one token of a chat response's logprobs.content.
type chatLogprob struct {
	Token       string       `json:"token"`
	Logprob     float64      `json:"logprob"`
	Bytes       []int        `json:"bytes"`
	TopLogprobs []topLogprob `json:"top_logprobs"`
}

type topLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// completionLogprobs is the legacy completions API's logprobs object.
type completionLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []float64            `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}
