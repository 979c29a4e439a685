package main

import (
	"fmt"

	"github.com/gollm/gollm/chat"
	"github.com/gollm/gollm/tokenizer"
)

// chatFlags are the flags of a chat-formatted prompt.
type chatFlags struct {
	on           bool
	system       string
	templateFile string
}

func (c *chatFlags) register(f interface {
	BoolVar(*bool, string, bool, string)
	StringVar(*string, string, string, string)
}) {
	f.BoolVar(&c.on, "chat", false, "format the prompt as one user turn with the model's chat template (generation prompt added)")
	f.StringVar(&c.system, "system", "", "with --chat: a system message before the user's")
	f.StringVar(&c.templateFile, "chat-template-file", "", "with --chat: a Jinja chat template to use instead of the model's")
}

// template returns the chat template: --chat-template-file, else the
// model's (GGUF tokenizer.chat_template, else the folder's
// chat_template.jinja or tokenizer_config.json's chat_template).
func (c *chatFlags) template(l *loaded) (*chat.Template, error) {
	var src string
	switch {
	case c.templateFile != "":
		s, err := tokenizer.ReadChatTemplateFile(c.templateFile)
		if err != nil {
			return nil, fmt.Errorf("--chat-template-file: %w", err)
		}
		src = s
	case l.ckpt.GGUF != nil:
		if l.ckpt.GGUF.Has("tokenizer.chat_template") {
			s, err := l.ckpt.GGUF.String("tokenizer.chat_template")
			if err != nil {
				return nil, err
			}
			src = s
		}
	default:
		src = tokenizer.ChatTemplateOf(l.ckpt.Dir)
	}
	t, err := chat.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.ckpt.Dir, err)
	}
	return t, nil
}

// prompt renders text as a user turn (after --system) and tokenizes it.
func (c *chatFlags) prompt(l *loaded, text string) ([]int, error) {
	t, err := c.template(l)
	if err != nil {
		return nil, err
	}
	return c.render(l, t, append(c.start(), chat.Message{Role: "user", Content: text}))
}

// start is a conversation's opening: the --system message, if any.
func (c *chatFlags) start() []chat.Message {
	if c.system == "" {
		return nil
	}
	return []chat.Message{{Role: "system", Content: c.system}}
}

// render renders msgs with the generation prompt and tokenizes the text as
// transformers' apply_chat_template(tokenize=True) does: the template's
// own special tokens, none added around it.
func (c *chatFlags) render(l *loaded, t *chat.Template, msgs []chat.Message) ([]int, error) {
	rendered, err := t.Render(msgs, chat.Options{AddGenerationPrompt: true, Special: c.special(l)})
	if err != nil {
		return nil, err
	}
	return l.tok.EncodeText(rendered), nil
}

// special is the text of the template's bos_token and eos_token.
func (c *chatFlags) special(l *loaded) map[string]string {
	special := map[string]string{}
	if b := l.tok.BOS(); b >= 0 {
		special["bos_token"] = l.tok.Decode([]int{b})
	}
	if e := l.tok.EOS(); len(e) > 0 {
		special["eos_token"] = l.tok.Decode(e[:1])
	}
	return special
}
