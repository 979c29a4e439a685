package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuantizeCommand writes the tiny model as a GGUF file, runs it, and
// checks the refusals: an existing --out (left as it was) without --force,
// an unknown type, a GGUF --model.
func TestQuantizeCommand(t *testing.T) {
	dir, ggufPath := tinyGGUF(t)
	out := filepath.Join(t.TempDir(), "tiny-q8.gguf")
	for _, tc := range []struct {
		args []string
		code int
		want string // in stdout (code 0) or stderr
	}{
		{[]string{"quantize", "--model", dir, "--type", "Q8_0", "--out", out}, 0, "wrote " + out + " (Q8_0): 3 F32, 8 F16 tensors"},
		{[]string{"run", "--model", out, "--tokenizer", dir, "--max-tokens", "3", "hi"}, 0, ""},
		{[]string{"quantize", "--model", dir, "--type", "Q8_0", "--out", out}, 1, "already exists; pass --force"},
		{[]string{"quantize", "--model", dir, "--type", "q6_k", "--out", out, "--force", "--threads", "1"}, 0, "(Q6_K)"},
		{[]string{"quantize", "--model", dir, "--type", "Q3_K_M", "--out", out, "--force"}, 1, `quantization type "Q3_K_M": want one of Q8_0, Q4_K_M, Q6_K`},
		{[]string{"quantize", "--model", ggufPath, "--type", "Q8_0", "--out", out, "--force"}, 1, "already a GGUF file"},
	} {
		before, _ := os.ReadFile(out)
		stdout, stderr, code := runCLI(t, "", tc.args...)
		got := stdout
		if tc.code != 0 {
			got = stderr
			if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
				t.Errorf("%v: a failed run changed %s", tc.args, out)
			}
		}
		if code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("%v: exit %d, want %d; output %q lacks %q (stderr %q)", tc.args, code, tc.code, got, tc.want, stderr)
		}
	}
}
