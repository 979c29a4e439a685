package eval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadJSONL(t *testing.T) {
	in := `{"context": "first", "input": "q"}

{"context": "second"}
`
	got, err := ReadJSONL(strings.NewReader(in), "x.jsonl", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Docs) != 2 || got.Docs[0].Text != "first" || got.Docs[1].Name != "x.jsonl:3" {
		t.Fatalf("docs %+v", got.Docs)
	}
	got, err = ReadJSONL(strings.NewReader(in), "x.jsonl", LoadOptions{Field: "input"})
	if err == nil || !strings.Contains(err.Error(), `x.jsonl:3: no field "input"`) {
		t.Fatalf("--field input: got %+v, %v; want an error naming line 3", got, err)
	}
}

func TestReadJSONLBadLines(t *testing.T) {
	in := "{\"context\": \"ok\"}\n{\"context\": \"cut\n{\"context\": 7}\n[1]\n{\"context\": \"ok again\"}\n"
	_, err := ReadJSONL(strings.NewReader(in), "d.jsonl", LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "d.jsonl:2:") || !strings.Contains(err.Error(), "--skip-bad") {
		t.Fatalf("error %v: want the line number 2 and the --skip-bad hint", err)
	}
	got, err := ReadJSONL(strings.NewReader(in), "d.jsonl", LoadOptions{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Docs) != 2 || got.Skipped != 3 || !strings.HasPrefix(got.FirstSkip, "d.jsonl:2:") {
		t.Fatalf("got %d docs, %d skipped (%q); want 2 docs, 3 skipped from line 2", len(got.Docs), got.Skipped, got.FirstSkip)
	}
	if got.Docs[1].Text != "ok again" {
		t.Errorf("second document %q", got.Docs[1].Text)
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"b.txt": "bee", "a.txt": "ay", "notes.md": "skip me"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Load(dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Docs) != 2 || got.Docs[0].Text != "ay" || got.Docs[1].Text != "bee" {
		t.Fatalf("folder: %+v, want a.txt then b.txt only", got.Docs)
	}
	got, err = Load(filepath.Join(dir, "notes.md"), LoadOptions{})
	if err != nil || len(got.Docs) != 1 || got.Docs[0].Text != "skip me" {
		t.Fatalf("text file: %+v, %v", got, err)
	}
	missing := filepath.Join(dir, "nope.txt")
	if _, err := Load(missing, LoadOptions{}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing file: error %v, want one naming %s", err, missing)
	}
	empty := t.TempDir()
	if _, err := Load(empty, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "no .txt") {
		t.Fatalf("empty folder: error %v", err)
	}
}

// TestReadJSONLLongLines reads a line longer than the scanner's first
// buffer, and refuses one past the line limit naming the file and line.
func TestReadJSONLLongLines(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	in := `{"context": "a"}` + "\n" + `{"context": "` + long + `"}` + "\n"
	got, err := ReadJSONL(strings.NewReader(in), "x.jsonl", LoadOptions{})
	if err != nil || len(got.Docs) != 2 || got.Docs[1].Text != long {
		t.Fatalf("3 MiB line: %d docs, %v", len(got.Docs), err)
	}
	defer func(n int) { maxLine = n }(maxLine)
	maxLine = 2 << 20
	_, err = ReadJSONL(strings.NewReader(in), "x.jsonl", LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "x.jsonl:2: a line longer than 2 MiB") {
		t.Errorf("line past the limit: %v", err)
	}
}
