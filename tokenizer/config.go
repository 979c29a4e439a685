package tokenizer

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/gollm/gollm/internal/readlimit"
)

// tokenizerConfig is what gollm reads from a tokenizer_config.json: the BOS
// and EOS token texts and the chat template. Any may be empty.
type tokenizerConfig struct {
	bos, eos, chatTemplate string
}

// readTokenizerConfig reads dir/tokenizer_config.json; a missing or
// unreadable file gives an empty config, since the file is optional.
func readTokenizerConfig(fsys fs.FS, dir string) tokenizerConfig {
	data, err := readlimit.ReadFS(fsys, path.Join(dir, "tokenizer_config.json"), "tokenizer_config.json", readlimit.Config)
	if err != nil {
		return tokenizerConfig{}
	}
	var raw struct {
		BOS  json.RawMessage `json:"bos_token"`
		EOS  json.RawMessage `json:"eos_token"`
		Chat json.RawMessage `json:"chat_template"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return tokenizerConfig{}
	}
	cfg := tokenizerConfig{bos: tokenText(raw.BOS), eos: tokenText(raw.EOS), chatTemplate: chatTemplateText(raw.Chat)}
	if f, err := fsys.Open(path.Join(dir, "chat_template.jinja")); err == nil {
		// transformers saves the template here since 4.47 and prefers it
		if src, err := readChatTemplate(f, "chat_template.jinja"); err == nil {
			cfg.chatTemplate = src
		}
		f.Close()
	}
	return cfg
}

// MaxChatTemplate bounds a chat template file: published templates are at
// most tens of KiB.
const MaxChatTemplate = 1 << 20

// ReadChatTemplateFile reads the chat template file at path, refusing one
// longer than MaxChatTemplate.
func ReadChatTemplateFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return readChatTemplate(f, path)
}

// readChatTemplate reads at most MaxChatTemplate bytes of r (named name).
func readChatTemplate(r io.Reader, name string) (string, error) {
	b, err := readlimit.ReadAll(r, MaxChatTemplate, name)
	if err != nil {
		return "", fmt.Errorf("%w; not a chat template", err)
	}
	return string(b), nil
}

// chatTemplateText reads chat_template as transformers does: a string, or
// a list of {"name", "template"} of which the one named "default" (else
// the first) is the chat template.
func chatTemplateText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var named []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if json.Unmarshal(raw, &named) != nil || len(named) == 0 {
		return ""
	}
	for _, n := range named {
		if n.Name == "default" {
			return n.Template
		}
	}
	return named[0].Template
}

// ChatTemplateOf returns the chat template of the HF model folder dir
// (chat_template.jinja, else tokenizer_config.json's chat_template), ""
// when it has none.
func ChatTemplateOf(dir string) string {
	return readTokenizerConfig(os.DirFS(dir), ".").chatTemplate
}

// tokenText reads a token given as a string or as {"content": string}.
func tokenText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.Content
	}
	return ""
}
