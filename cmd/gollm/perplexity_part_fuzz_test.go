package main

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"github.com/gollm/gollm/eval"
)

// fuzzPart is a small part file made by hand: a run of two units of one
// document under two settings, the second compared by KL, whose shard 0/1
// holds both units.
func fuzzPart() *pplPart {
	score := func(nll float64, kl bool) eval.SpanScore {
		s := eval.SpanScore{NLL: nll, NLL2: nll * nll / 3, Targets: 3}
		if kl {
			s.KL = &eval.SpanKL{Sum: 0.3, Max: 0.2, DP: -0.01, Agree: 2, N: 3, AbsDP: []float32{0.01, 0, 0.5}}
		}
		return s
	}
	return &pplPart{Format: partFormat, Shard: shardSpec{Index: 0, Count: 1}, Backend: "amd64/avx2",
		Identity: pplIdentity{
			Header:    pplHeader{Sources: []string{"a.txt"}, Documents: 1, Tokens: 9, Protocol: "windows", Ctx: 4, Spans: 2, Plan: "0:flash"},
			Settings:  []pplSetting{{Seed: 1, Plan: "0:flash"}, {HyperLayers: 1, Pattern: "last", Seed: 1, Plan: "0:hyper"}},
			KL:        true,
			Reference: "0:flash", Model: "sha256:00", Data: "sha256:01",
			Spans: spanDigest([]eval.Span{{End: 4, From: 1}, {Start: 4, End: 8, From: 1}}),
		},
		Units: []eval.SpanResult{
			{Unit: 0, Span: eval.Span{End: 4, From: 1}, Scores: []eval.SpanScore{score(6, false), score(7, true)}},
			{Unit: 1, Span: eval.Span{Start: 4, End: 8, From: 1}, Scores: []eval.SpanScore{score(5, false), score(5.5, true)}},
		},
	}
}

// FuzzPerplexityPart feeds arbitrary bytes to the part file reader, read
// through a 64 KiB limit: it must return an error or a part that encodes
// and reads back the same, and that merges alone (when it is a whole run)
// into a report, never panicking.
func FuzzPerplexityPart(f *testing.F) {
	valid, err := json.Marshal(fuzzPart())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(bytes.Replace(valid, []byte(`"unit":1`), []byte(`"unit":0`), 1))
	f.Add(bytes.Replace(valid, []byte(`"spans":2`), []byte(`"spans":3`), 1))
	f.Add(bytes.Replace(valid, []byte(`"count":1`), []byte(`"count":2`), 1))
	f.Add(bytes.Replace(valid, []byte(`"targets":3`), []byte(`"targets":0`), 1))
	f.Add(bytes.Replace(valid, []byte(`"n":3`), []byte(`"n":4`), 1))
	f.Add([]byte(`{"format": "gollm perplexity part 1"}`))
	f.Add([]byte("{}"))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := readPart(bytes.NewReader(data), 64<<10)
		if err != nil {
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("a part that parsed does not encode: %v", err)
		}
		q, err := readPart(bytes.NewReader(b), 1<<20)
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("a part does not read back as it was written: %v", err)
		}
		results, err := mergeParts([]string{"p.json"}, []*pplPart{p})
		if err != nil {
			return
		}
		runs, err := eval.Fold(p.Identity.settings(), p.Identity.Header.Documents, results)
		if err != nil {
			t.Fatalf("a part that merges does not fold: %v", err)
		}
		rep := &pplReport{flags: &pplFlags{}, head: p.Identity.Header}
		rep.header(io.Discard)
		rep.table(io.Discard, eval.Summarize(runs))
		csvTable(eval.Summarize(runs))
	})
}

// TestFuzzPartMerges: the fuzz target's valid seed is a whole run that
// merges (so the fuzzer starts from a part that reaches the report).
func TestFuzzPartMerges(t *testing.T) {
	p := fuzzPart()
	b, _ := json.Marshal(p)
	q, err := readPart(bytes.NewReader(b), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mergeParts([]string{"p.json"}, []*pplPart{q}); err != nil {
		t.Fatal(err)
	}
}
