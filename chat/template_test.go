package chat

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fixture is testdata/templates.json, written by
// tools/fixtures/chat_templates.py.
type fixture struct {
	Engine  string            `json:"engine"`
	Special map[string]string `json:"special_tokens"`
	Cases   []struct {
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
		AddGenerationPrompt bool `json:"add_generation_prompt"`
	} `json:"cases"`
	Templates []struct {
		File         string `json:"file"`
		CompileError string `json:"compile_error"`
		Cases        []struct {
			Output *string `json:"output"`
			Error  string  `json:"error"`
		} `json:"cases"`
	} `json:"templates"`
}

// templatesDir is llama.cpp's folder of published chat templates, read
// where docs/anchors.md unpacks llama.cpp (GOLLM_TEMPLATES overrides).
func templatesDir() string {
	if d := os.Getenv("GOLLM_TEMPLATES"); d != "" {
		return d
	}
	return "/tmp/llama.cpp/models/templates"
}

// TestPublishedTemplates renders every published template of the fixture
// on its conversations and compares with what transformers' environment
// rendered (or refused).
func TestPublishedTemplates(t *testing.T) {
	raw, err := os.ReadFile("testdata/templates.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	dir := templatesDir()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no template folder at %s (docs/chat.md says how to fetch it)", dir)
	}
	now := func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) }
	var bad []string
	total := 0
	for _, tf := range fx.Templates {
		src, err := os.ReadFile(filepath.Join(dir, tf.File))
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := Parse(string(src))
		if err != nil {
			bad = append(bad, tf.File+": "+err.Error())
			continue
		}
		for ci, want := range tf.Cases {
			total++
			c := fx.Cases[ci]
			msgs := make([]Message, len(c.Messages))
			for i, m := range c.Messages {
				msgs[i] = Message{Role: m.Role, Content: m.Content}
			}
			got, err := tmpl.Render(msgs, Options{AddGenerationPrompt: c.AddGenerationPrompt, Special: fx.Special, Now: now})
			switch {
			case want.Output == nil && err == nil && lenient[tf.File]:
			case want.Output == nil && err == nil:
				bad = append(bad, tf.File+" case "+itoa(ci)+": rendered, transformers refused: "+want.Error)
			case want.Output != nil && err != nil:
				bad = append(bad, tf.File+" case "+itoa(ci)+": "+err.Error())
			case want.Output != nil && got != *want.Output:
				bad = append(bad, tf.File+" case "+itoa(ci)+": "+diff(got, *want.Output))
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d of %d renders differ from %s:\n%s", len(bad), total, fx.Engine, strings.Join(bad, "\n"))
	}
}

// lenient lists the renders where ardanlabs/jinja is knowingly laxer than
// Jinja2: it concatenates an undefined variable as "" where Jinja2 raises
// UndefinedError (firefunction-v2 reads `functions`, which these
// conversations do not pass). docs/chat.md lists the divergence.
var lenient = map[string]bool{"fireworks-ai-llama-3-firefunction-v2.jinja": true}

func itoa(i int) string { return strconv.Itoa(i) }

// diff shows where got first departs from want.
func diff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-30)
	return fmt.Sprintf("at byte %d: %q, want %q", i, got[lo:min(len(got), i+30)], want[lo:min(len(want), i+30)])
}

// TestTransformersEnvironment checks the settings transformers gives Jinja
// (expected outputs from jinja2 3.1.2 with them): trim_blocks,
// lstrip_blocks, loop controls, tojson as json.dumps(ensure_ascii=False),
// and strftime_now on the pinned clock.
func TestTransformersEnvironment(t *testing.T) {
	cases := []struct{ src, want string }{
		{"{% if true %}\nA\n{% endif %}\n", "A\n"},
		{"  {% if true %}B{% endif %}", "B"},
		{"{% for i in range(3) %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}", "02"},
		{`{{ {"a": "é<"} | tojson }}`, `{"a": "é<"}`},
		{"{{ [1, 2] | tojson(indent=2) }}", "[\n  1,\n  2\n]"},
		{`{{ strftime_now("%d %b %Y, %H:%M") }}`, "03 Dec 2026, 12:00"},
		{"{{ messages[0].content }}{{ messages[0].name }}", "hiann"},
	}
	now := func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) }
	for _, c := range cases {
		tmpl, err := Parse(c.src)
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		got, err := tmpl.Render([]Message{{Role: "user", Content: "hi", Extra: map[string]any{"name": "ann"}}}, Options{Now: now})
		if err != nil || got != c.want {
			t.Errorf("%q: %q (%v), want %q", c.src, got, err, c.want)
		}
	}
	if _, err := Parse("  \n"); err != ErrNoTemplate {
		t.Errorf("an empty template: %v, want ErrNoTemplate", err)
	}
}
