package tokenizer

import (
	"encoding/json"
	"io/fs"
	"path"
)

// tokenizerConfig is what gollm reads from a tokenizer_config.json: the BOS
// and EOS token texts and the chat template. Any may be empty.
type tokenizerConfig struct {
	bos, eos, chatTemplate string
}

// readTokenizerConfig reads dir/tokenizer_config.json; a missing or
// unreadable file gives an empty config, since the file is optional.
func readTokenizerConfig(fsys fs.FS, dir string) tokenizerConfig {
	data, err := fs.ReadFile(fsys, path.Join(dir, "tokenizer_config.json"))
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
	var chat string
	_ = json.Unmarshal(raw.Chat, &chat) // a template given as a string; lists are left out
	return tokenizerConfig{bos: tokenText(raw.BOS), eos: tokenText(raw.EOS), chatTemplate: chat}
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
