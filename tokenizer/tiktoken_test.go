package tokenizer

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pkoukk/tiktoken-go"
	loader "github.com/pkoukk/tiktoken-go-loader"
)

const mixedText = "Hello, world! It's 2024: naïve café — 東京 🦙.cpp\n\n  indented\tTAB\r\nTHE END's 12345678 <|endoftext|> x\u00a0y   \n"

// Our splitters, merges and rank wiring must give what tiktoken-go itself
// gives.
func TestEncodingsMatchTiktokenGo(t *testing.T) {
	tiktoken.SetBpeLoader(loader.NewOfflineLoader())
	for _, name := range []string{"r50k_base", "p50k_base", "cl100k_base", "o200k_base"} {
		ref, err := tiktoken.GetEncoding(name)
		if err != nil {
			t.Fatal(err)
		}
		tok := mustEncoding(t, name)
		for _, text := range []string{mixedText, syntheticText(30000), strings.Join(randomTexts(400, 30, 3), "")} {
			want := ref.EncodeOrdinary(text)
			if got := tok.Encode(text); !reflect.DeepEqual(got, want) {
				t.Errorf("%s on %.60q: ids differ from tiktoken-go's (%d ids, want %d)", name, text, len(got), len(want))
			}
			if got := tok.Decode(want); got != text {
				t.Errorf("%s: decode %.60q", name, got)
			}
		}
	}
}

func TestForEncoding(t *testing.T) {
	a, b := mustEncoding(t, "gpt2"), mustEncoding(t, "r50k_base")
	if a != b {
		t.Error("gpt2 and r50k_base are not the same cached encoding")
	}
	if got := a.Encode("<|endoftext|>"); len(got) == 1 {
		t.Errorf("special-token text encoded as the special token: %v", got)
	}
	if a.Decode([]int{50256}) != "<|endoftext|>" || !reflect.DeepEqual(a.EOS(), []int{50256}) || a.BOS() != -1 || a.VocabSize() != 50257 {
		t.Errorf("r50k specials: EOS %v BOS %d vocab %d", a.EOS(), a.BOS(), a.VocabSize())
	}
	if len(a.Encode("")) != 0 {
		t.Error("empty text gave ids")
	}
	if _, err := ForEncoding("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown encoding: %v", err)
	}
}

// A tiktoken-format file: ranks of the 256 bytes then "ab", "abc".
func TestTiktokenModelFile(t *testing.T) {
	var sb strings.Builder
	for b := 0; b < 256; b++ {
		fmt.Fprintf(&sb, "%s %d\n", base64.StdEncoding.EncodeToString([]byte{byte(b)}), b)
	}
	fmt.Fprintf(&sb, "%s 256\n%s 257\n", base64.StdEncoding.EncodeToString([]byte("ab")), base64.StdEncoding.EncodeToString([]byte("abc")))
	p := filepath.Join(t.TempDir(), "tokenizer.model")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tok := mustLoad(t, p)
	if got := tok.Encode("abc ab\xff"); !reflect.DeepEqual(got, []int{257, ' ', 256, 0xff}) {
		t.Errorf("Encode = %v", got)
	}
	if err := os.WriteFile(p, []byte(sb.String()+"!!! x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "line 259") {
		t.Errorf("bad line: %v", err)
	}
}
