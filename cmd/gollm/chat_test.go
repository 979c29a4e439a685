package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/model"
)

// TestRunChat renders the prompt with the folder's chat template, or with
// --chat-template-file, and tokenizes the result without added ids; and
// refuses a model without a template and chat flags without --chat.
func TestRunChat(t *testing.T) {
	dir := tinyModel(t)
	promptIDs := func(args ...string) string {
		t.Helper()
		out, errs, code := runCLI(t, "", append([]string{"run", "--model", dir, "--max-tokens", "1", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		var res runResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, len(res.PromptIDs))
		for i, id := range res.PromptIDs {
			b[i] = byte(id)
		}
		return string(b)
	}
	_, errs, code := runCLI(t, "", "run", "--model", dir, "--chat", "hi")
	if code == 0 || !strings.Contains(errs, "no chat template") {
		t.Errorf("--chat without a template: exit %d, %q", code, errs)
	}
	_, errs, code = runCLI(t, "", "run", "--model", dir, "--system", "S", "hi")
	if code == 0 || !strings.Contains(errs, "need --chat") {
		t.Errorf("--system without --chat: exit %d, %q", code, errs)
	}
	tmpl := `{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{% if add_generation_prompt %}>{% endif %}`
	cfg, _ := json.Marshal(map[string]any{"chat_template": tmpl})
	write(t, filepath.Join(dir, "tokenizer_config.json"), cfg)
	if got, want := promptIDs("--chat", "--system", "S", "hi"), "[system]S[user]hi>"; got != want {
		t.Errorf("--chat prompt %q, want %q", got, want)
	}
	file := filepath.Join(t.TempDir(), "t.jinja")
	write(t, file, []byte(`{{ messages[-1].content | upper }}{% if add_generation_prompt %}:{% endif %}`))
	if got, want := promptIDs("--chat", "--chat-template-file", file, "hi"), "HI:"; got != want {
		t.Errorf("--chat-template-file prompt %q, want %q", got, want)
	}
	write(t, file, []byte(`{{ raise_exception("only one turn") }}`))
	_, errs, code = runCLI(t, "", "run", "--model", dir, "--chat", "--chat-template-file", file, "hi")
	if code == 0 || !strings.Contains(errs, "only one turn") {
		t.Errorf("a template that raises: exit %d, %q", code, errs)
	}
}

// TestChatSession drives gollm chat through standard input: two turns,
// /tokens, /reset, and a prompt that outgrows the tiny context.
func TestChatSession(t *testing.T) {
	dir := tinyModel(t)
	tmpl := `{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{% if add_generation_prompt %}>{% endif %}`
	cfg, _ := json.Marshal(map[string]any{"chat_template": tmpl})
	write(t, filepath.Join(dir, "tokenizer_config.json"), cfg)
	in := "hi\n/tokens\nagain\n/reset\n/tokens\n" + strings.Repeat("x", 100) + "\n/exit\nnever read\n"
	_, errs, code := runCLI(t, in, "chat", "--model", dir, "--max-tokens", "3", "--system", "S")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// After /reset the prompt is "[system]S>": 10 byte tokens.
	for _, want := range []string{"tokens of 64 in the prompt", "(conversation cleared)", "(10 tokens of 64", "does not fit the context"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// TestChatBadInput feeds the chat commands' bad inputs: a template file
// that is missing or far too long, and --max-tokens out of range.
func TestChatBadInput(t *testing.T) {
	dir := tinyModel(t)
	long := filepath.Join(t.TempDir(), "long.jinja")
	write(t, long, []byte(strings.Repeat("x", 1<<20+1)))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--chat", "--chat-template-file", filepath.Join(dir, "none.jinja"), "hi"}, "no such file"},
		{[]string{"run", "--chat", "--chat-template-file", long, "hi"}, "more than 1 MiB, the limit for it"},
		{[]string{"chat", "--max-tokens", "8", "--chat-template-file", long}, "more than 1 MiB, the limit for it"},
		{[]string{"chat", "--max-tokens", "0"}, "--max-tokens must be ≥ 1"},
		{[]string{"chat", "--max-tokens", "64"}, "leaves no room for the conversation in the context of 64"},
	}
	for _, c := range cases {
		_, errs, code := runCLI(t, "", append(c.args[:1:1], append([]string{"--model", dir}, c.args[1:]...)...)...)
		if code != 1 || !strings.Contains(errs, c.want) || strings.Contains(errs, "panic") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and %q", c.args, code, errs, c.want)
		}
	}
}

// TestChatSessionReuse checks that a chat turn runs only what is new: the
// second turn's prompt extends the first turn's prompt and answer, so the
// kept cache supplies all of that, and the answer equals a fresh cache's.
func TestChatSessionReuse(t *testing.T) {
	mf := modelFlags{plan: attention.DefaultPlanSpec()}
	l, err := mf.open()
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	gf := genFlags{maxTokens: 6}
	sc := model.SamplerConfig{}
	o := runOutput{json: true, kvType: kvTypeFlag{"auto"}, session: &chatSession{}}
	first := l.tok.Encode("The sea was calm that morning, and")
	res, err := generateText(context.Background(), l, first, gf, sc, o)
	if err != nil {
		t.Fatal(err)
	}
	second := append(append(slices.Clone(first), res.IDs...), l.tok.EncodeText(" Then the captain said")...)
	got, err := generateText(context.Background(), l, second, gf, sc, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(first) + len(res.IDs) - 1; got.CachedTokens != want {
		t.Errorf("second turn reused %d tokens, want %d (the first prompt and all but its last answer token)", got.CachedTokens, want)
	}
	o.session = nil
	fresh, err := generateText(context.Background(), l, second, gf, sc, o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.IDs, fresh.IDs) || fresh.CachedTokens != 0 {
		t.Errorf("with the kept cache %v, fresh %v (cached %d)", got.IDs, fresh.IDs, fresh.CachedTokens)
	}
}
