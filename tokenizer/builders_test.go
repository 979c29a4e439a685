package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// byteLevelJSON returns a small GPT-2-style tokenizer.json: the 256 bytes
// (ids 0-255 in byte order, or in reverse when permute is set), the merges
// h+e, l+l, he+ll, hell+o, Ġ+w, o+r, Ġw+or (ids from 256), the added token
// <|end|> and, with bos, a <s> that TemplateProcessing puts first. pairs
// writes the merges as [a, b] lists instead of "a b" strings.
func byteLevelJSON(bos, permute, pairs bool) map[string]any {
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		id := b
		if permute {
			id = 255 - b
		}
		vocab[string(byteToRune[b])] = id
	}
	merges := [][2]string{{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"Ġ", "w"}, {"o", "r"}, {"Ġw", "or"}}
	var mergeList []any
	for i, m := range merges {
		id := 256 + i
		if permute {
			id = 256 + len(merges) - 1 - i
		}
		vocab[m[0]+m[1]] = id
		if pairs {
			mergeList = append(mergeList, []string{m[0], m[1]})
		} else {
			mergeList = append(mergeList, m[0]+" "+m[1])
		}
	}
	added := []any{map[string]any{"id": 263, "content": "<|end|>", "special": true}}
	var post any
	if bos {
		added = append(added, map[string]any{"id": 264, "content": "<s>", "special": true})
		post = map[string]any{
			"type":           "TemplateProcessing",
			"single":         []any{map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
			"special_tokens": map[string]any{"<s>": map[string]any{"id": "<s>", "ids": []int{264}, "tokens": []string{"<s>"}}},
		}
	}
	return map[string]any{
		"version":        "1.0",
		"added_tokens":   added,
		"normalizer":     nil,
		"pre_tokenizer":  map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
		"post_processor": post,
		"decoder":        map[string]any{"type": "ByteLevel"},
		"model":          map[string]any{"type": "BPE", "vocab": vocab, "merges": mergeList},
	}
}

// spmJSON returns a small Llama-2-style tokenizer.json: <unk>, <s>, </s>,
// the 256 <0xNN> byte tokens, a few pieces and merges, Prepend/Replace
// normalizer, byte fallback and a <s> put first.
func spmJSON() map[string]any {
	vocab := map[string]int{"<unk>": 0, "<s>": 1, "</s>": 2}
	for b := 0; b < 256; b++ {
		vocab[byteName(b)] = 3 + b
	}
	next := 259
	for _, p := range []string{"▁", "h", "e", "l", "o", "w", "r", "d"} {
		vocab[p] = next
		next++
	}
	var merges []any
	for _, m := range [][2]string{{"l", "l"}, {"▁", "h"}, {"▁h", "e"}, {"▁he", "ll"}, {"▁hell", "o"}, {"o", "r"}, {"▁", "w"}, {"▁w", "or"}, {"▁wor", "l"}, {"▁worl", "d"}} {
		vocab[m[0]+m[1]] = next
		next++
		merges = append(merges, m[0]+" "+m[1])
	}
	special := func(id int, s string) any {
		return map[string]any{"id": id, "content": s, "special": true}
	}
	return map[string]any{
		"added_tokens": []any{special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")},
		"normalizer": map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "Prepend", "prepend": "▁"},
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"},
		}},
		"pre_tokenizer": nil,
		"post_processor": map[string]any{
			"type":           "TemplateProcessing",
			"single":         []any{map[string]any{"SpecialToken": map[string]any{"id": "<s>"}}, map[string]any{"Sequence": map[string]any{"id": "A"}}},
			"special_tokens": map[string]any{"<s>": map[string]any{"id": "<s>", "ids": []int{1}}},
		},
		"decoder": map[string]any{"type": "Sequence", "decoders": []any{
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": "▁"}, "content": " "},
			map[string]any{"type": "ByteFallback"}, map[string]any{"type": "Fuse"},
			map[string]any{"type": "Strip", "content": " ", "start": 1, "stop": 0},
		}},
		"model": map[string]any{"type": "BPE", "vocab": vocab, "merges": merges, "byte_fallback": true, "unk_token": "<unk>", "fuse_unk": true},
	}
}

func byteName(b int) string {
	const hex = "0123456789ABCDEF"
	return "<0x" + string(hex[b>>4]) + string(hex[b&15]) + ">"
}

// writeJSON writes v as dir/tokenizer.json and returns the path.
func writeJSON(t testing.TB, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustLoad(t testing.TB, p string) Tokenizer {
	t.Helper()
	tok, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
