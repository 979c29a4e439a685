package tokenizer

import (
	"testing"
	"testing/fstest"
)

// TestChatTemplateForms checks the forms transformers reads a chat
// template from: a string, a list of named templates ("default", else the
// first), and chat_template.jinja, which wins over the config.
func TestChatTemplateForms(t *testing.T) {
	cases := []struct {
		config, jinja, want string
	}{
		{`{"chat_template": "A"}`, "", "A"},
		{`{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}`, "", "D"},
		{`{"chat_template": [{"name": "rag", "template": "R"}]}`, "", "R"},
		{`{"chat_template": 7}`, "", ""},
		{`{}`, "", ""},
		{`{"chat_template": "A"}`, "J", "J"},
	}
	for _, c := range cases {
		fsys := fstest.MapFS{"tokenizer_config.json": {Data: []byte(c.config)}}
		if c.jinja != "" {
			fsys["chat_template.jinja"] = &fstest.MapFile{Data: []byte(c.jinja)}
		}
		if got := readTokenizerConfig(fsys, ".").chatTemplate; got != c.want {
			t.Errorf("%s + %q: template %q, want %q", c.config, c.jinja, got, c.want)
		}
	}
}
