// Package chat renders a conversation with a model's chat template, as HF
// transformers' apply_chat_template does: the Jinja template the model
// ships (tokenizer_config.json's chat_template, chat_template.jinja, GGUF
// tokenizer.chat_template, or a file the user names), the messages, the
// special tokens and add_generation_prompt in, the prompt text out.
//
// The Jinja engine is github.com/ardanlabs/jinja (pure Go, no
// dependencies, written for chat templates; docs/chat.md says why it was
// chosen). What transformers' environment adds to plain Jinja lives here:
// a clock for strftime_now that tests can pin, and the variables every
// render passes.
package chat

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ardanlabs/jinja"
)

// Message is one turn of a conversation. Extra carries the fields some
// templates read beyond role and content (tool_calls, name,
// reasoning_content, …), passed to the template as they are.
type Message struct {
	Role    string
	Content string
	Extra   map[string]any
}

// Options are the variables of one render besides the messages.
type Options struct {
	// AddGenerationPrompt ends the prompt with the opening of an
	// assistant turn.
	AddGenerationPrompt bool
	// Special maps the template's special-token variables (bos_token,
	// eos_token, unk_token, pad_token) to their text.
	Special map[string]string
	// Tools is the tools list (OpenAI function schemas) for templates
	// that render one; nil leaves it undefined.
	Tools []any
	// Vars are further template variables (enable_thinking, date_string,
	// …); they cannot replace messages, tools or add_generation_prompt.
	Vars map[string]any
	// Now is strftime_now's clock; nil is time.Now.
	Now func() time.Time
}

// Template is a compiled chat template, safe for concurrent renders.
type Template struct {
	source string
	t      *jinja.Template
}

// ErrNoTemplate is returned when a model carries no chat template.
var ErrNoTemplate = errors.New("chat: the model has no chat template (give one with --chat-template-file)")

// Parse compiles a template's source.
func Parse(source string) (*Template, error) {
	if strings.TrimSpace(source) == "" {
		return nil, ErrNoTemplate
	}
	t, err := jinja.Compile(source)
	if err != nil {
		return nil, fmt.Errorf("chat: template does not compile: %w", err)
	}
	return &Template{source: source, t: t}, nil
}

// Source is the template text.
func (t *Template) Source() string { return t.source }

// Render returns the prompt text for msgs. A template that refuses the
// conversation (raise_exception, say for roles out of order) is an error
// carrying its message.
func (t *Template) Render(msgs []Message, o Options) (string, error) {
	data := map[string]jinja.Value{}
	for k, v := range o.Vars {
		data[k] = jinja.FromGoValue(v)
	}
	for k, v := range o.Special {
		data[k] = jinja.NewString(v)
	}
	list := make([]any, len(msgs))
	for i, m := range msgs {
		d := map[string]any{}
		for k, v := range m.Extra {
			d[k] = v
		}
		d["role"], d["content"] = m.Role, m.Content
		list[i] = d
	}
	data["messages"] = jinja.FromGoValue(list)
	data["add_generation_prompt"] = jinja.NewBool(o.AddGenerationPrompt)
	if o.Tools != nil {
		data["tools"] = jinja.FromGoValue(o.Tools)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	data["strftime_now"] = jinja.NewCallable("strftime_now", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		if len(args) != 1 || !args[0].IsString() {
			return jinja.Value{}, errors.New("strftime_now takes one format string")
		}
		return jinja.NewString(strftime(now(), args[0].AsString())), nil
	})
	out, err := t.t.RenderValues(data)
	if err != nil {
		return "", fmt.Errorf("chat: rendering the template: %w", err)
	}
	return out, nil
}

// ChatML is the ChatML template (<|im_start|>role\n…<|im_end|>), which
// gollm serve falls back to for a model without a template, as
// llama-server does.
const ChatML = `{%- for message in messages -%}
{{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{- '<|im_start|>assistant\n' -}}
{%- endif -%}`
