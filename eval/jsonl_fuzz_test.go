package eval

import (
	"strings"
	"testing"
)

// FuzzReadJSONL feeds arbitrary bytes to the LongBench JSONL reader: it
// must return documents named after the file or an error naming it, and
// never panic.
func FuzzReadJSONL(f *testing.F) {
	f.Add(`{"context": "a long document", "input": "q", "length": 3}`+"\n", "", false)
	f.Add(`{"context": "one"}`+"\n"+`{"context": "two"}`+"\n", "context", false)
	f.Add(`{"context": "one"}`+"\nnot json\n"+`{"text": "x"}`+"\n", "", true)
	f.Add(`{"input": "field missing"}`, "", false)
	f.Add("\n\n   \n", "", false)
	f.Add(`{"context": 12}`, "", true)
	f.Add(`["an array"]`, "input", false)
	f.Fuzz(func(t *testing.T, data, field string, skipBad bool) {
		got, err := ReadJSONL(strings.NewReader(data), "f.jsonl", LoadOptions{Field: field, SkipBad: skipBad})
		if err != nil {
			if !strings.Contains(err.Error(), "f.jsonl") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, d := range got.Docs {
			if !strings.Contains(d.Name, "f.jsonl") {
				t.Fatalf("document name %q does not name the file", d.Name)
			}
		}
	})
}
