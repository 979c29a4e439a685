package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gollm/gollm/internal/readlimit"
)

// Document is one text to evaluate, named for messages and reports.
type Document struct {
	Name string
	Text string
}

// LoadOptions say how Load reads JSONL files.
type LoadOptions struct {
	Field   string // JSONL field holding the text; "" means "context" (LongBench)
	SkipBad bool   // skip JSONL lines that do not parse or lack the field, instead of failing
}

// Loaded is the outcome of Load: the documents in order and how many JSONL
// lines were skipped (only with SkipBad), with the first reason.
type Loaded struct {
	Docs      []Document
	Skipped   int
	FirstSkip string
}

// Load reads path: a text file (one document), a folder (each *.txt file in
// name order is one document) or a .jsonl file (one document per line, the
// text in opts.Field).
func Load(path string, opts LoadOptions) (Loaded, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Loaded{}, fmt.Errorf("data %s: %w", path, unwrapPath(err))
	}
	switch {
	case st.IsDir():
		return loadFolder(path)
	case strings.EqualFold(filepath.Ext(path), ".jsonl"):
		f, err := os.Open(path)
		if err != nil {
			return Loaded{}, fmt.Errorf("data %s: %w", path, unwrapPath(err))
		}
		defer f.Close()
		return ReadJSONL(f, path, opts)
	default:
		text, err := readlimit.ReadFile(path, readlimit.Text)
		if err != nil {
			return Loaded{}, fmt.Errorf("data %s: %w", path, unwrapPath(err))
		}
		return Loaded{Docs: []Document{{Name: path, Text: string(text)}}}, nil
	}
}

// unwrapPath drops the path that *PathError repeats.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func loadFolder(dir string) (Loaded, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Loaded{}, fmt.Errorf("data %s: %w", dir, unwrapPath(err))
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.EqualFold(filepath.Ext(e.Name()), ".txt") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return Loaded{}, fmt.Errorf("data %s: the folder has no .txt files", dir)
	}
	sort.Strings(names)
	var out Loaded
	for _, n := range names {
		p := filepath.Join(dir, n)
		text, err := readlimit.ReadFile(p, readlimit.Text)
		if err != nil {
			return Loaded{}, fmt.Errorf("data %s: %w", p, unwrapPath(err))
		}
		out.Docs = append(out.Docs, Document{Name: p, Text: string(text)})
	}
	return out, nil
}

// maxLine bounds one JSONL line (LongBench contexts run to a few MB).
var maxLine = 256 << 20 // a variable only so that tests can lower it

// ReadJSONL reads one JSON object per line from r and takes the string in
// opts.Field of each as a document named "name:LINE". Blank lines are
// ignored. A line that is not a JSON object, lacks the field or holds a
// non-string there is an error naming the line, or is skipped and counted
// with opts.SkipBad.
func ReadJSONL(r io.Reader, name string, opts LoadOptions) (Loaded, error) {
	field := opts.Field
	if field == "" {
		field = "context"
	}
	sc := bufio.NewScanner(readlimit.Reader(r, readlimit.Text, name))
	sc.Buffer(make([]byte, 0, 1<<20), maxLine)
	var out Loaded
	line := 1
	for ; sc.Scan(); line++ {
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		text, err := jsonField(raw, field)
		if err != nil && sc.Err() != nil { // the line was cut by the limit
			break
		}
		if err != nil {
			err = fmt.Errorf("%s:%d: %w", name, line, err)
			if !opts.SkipBad {
				return Loaded{}, fmt.Errorf("%w (--skip-bad skips such lines)", err)
			}
			if out.Skipped == 0 {
				out.FirstSkip = err.Error()
			}
			out.Skipped++
			continue
		}
		out.Docs = append(out.Docs, Document{Name: fmt.Sprintf("%s:%d", name, line), Text: text})
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return Loaded{}, fmt.Errorf("%s:%d: a line longer than %s, the limit for one JSONL line", name, line, readlimit.Format(int64(maxLine)))
	case errors.Is(err, readlimit.ErrTooLarge):
		return Loaded{}, err // names the file and the limit
	case err != nil:
		return Loaded{}, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// jsonField returns the string value of field in the JSON object raw.
func jsonField(raw []byte, field string) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", fmt.Errorf("not a JSON object: %v", err)
	}
	v, ok := obj[field]
	if !ok {
		return "", fmt.Errorf("no field %q", field)
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("field %q is not a string", field)
	}
	return s, nil
}
