package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gollm/gollm/attention"
)

func TestParseMatmulSize(t *testing.T) {
	for in, want := range map[string][3]int{"512": {512, 512, 512}, "1x2048x8192": {1, 2048, 8192}, "4X5X6": {4, 5, 6}} {
		if got, err := parseMatmulSize(in); err != nil || got != want {
			t.Errorf("parseMatmulSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "1x2", "ax2x3", "1x-2x3"} {
		if _, err := parseMatmulSize(bad); err == nil || !strings.Contains(err.Error(), "--size") {
			t.Errorf("parseMatmulSize(%q): error %v, want one naming --size", bad, err)
		}
	}
}

// TestBenchMatmulJSON checks the JSON lines carry the documented fields
// for both implementations.
func TestBenchMatmulJSON(t *testing.T) {
	var out bytes.Buffer
	o := matmulBenchOpts{sizes: []string{"8x16x24"}, dtypes: []string{"bf16"}, json: true, seconds: 0}
	if err := runMatmulBench(&out, o); err != nil {
		t.Fatal(err)
	}
	impls := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var c matmulCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if c.M != 8 || c.K != 16 || c.N != 24 || !(c.GFLOPS > 0) {
			t.Errorf("case %+v: wrong shape or no speed", c)
		}
		impls[c.Impl] = true
	}
	if !impls["gollm"] || !impls["gonum"] {
		t.Errorf("implementations %v, want gollm and gonum", impls)
	}
	if err := runMatmulBench(&out, matmulBenchOpts{sizes: []string{"8"}, dtypes: []string{"f8"}}); err == nil {
		t.Error("--dtype f8 accepted")
	}
}

// TestBenchModelRandomShape runs the smallest built-in shape end to end:
// random weights through the loader and model, prefill and decode.
func TestBenchModelRandomShape(t *testing.T) {
	var out bytes.Buffer
	o := modelBenchOpts{shape: "gutenberg-llama-19m", random: true, pp: []int{8}, tg: 2, reps: 1, json: true, kvType: kvTypeFlag{"auto"}, plan: attention.DefaultPlanSpec()}
	if err := runModelBench(&out, o); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d result lines, want 2 (pp8, tg2):\n%s", len(lines), out.String())
	}
	var pp, tg modelBenchResult
	if json.Unmarshal([]byte(lines[0]), &pp) != nil || json.Unmarshal([]byte(lines[1]), &tg) != nil {
		t.Fatalf("bad JSON:\n%s", out.String())
	}
	if pp.Test != "pp8" || !(pp.Prefill > 0) || tg.Test != "tg2" || !(tg.Decode > 0) || !(pp.GFLOPS > 0) {
		t.Errorf("results %+v, %+v", pp, tg)
	}
	// Decode after a random cache, with sublinear Hyper decoding.
	h := o
	h.pp, h.kvFill, h.kvType = nil, 40, kvTypeFlag{"f16"}
	h.plan.HyperDecode, h.plan.HyperLayers, h.plan.Hyper.MinSeq, h.plan.Hyper.Block = true, 2, 16, 8
	out.Reset()
	if err := runModelBench(&out, h); err != nil {
		t.Fatal(err)
	}
	if json.Unmarshal(out.Bytes(), &tg) != nil || tg.Test != "tg2@d40" || tg.KVType != "F16" || !(tg.Decode > 0) {
		t.Errorf("--kv-fill 40 --hyper-decode: %s", out.String())
	}
	h.plan.HyperLayers = 0
	if err := runModelBench(&out, h); !errors.Is(err, errNoHyperLayers) {
		t.Errorf("--hyper-decode without Hyper layers: error %v", err)
	}
	o.shape = "no-such-model"
	if err := runModelBench(&out, o); err == nil || !strings.Contains(err.Error(), "--shape") {
		t.Errorf("unknown shape: error %v, want one naming --shape", err)
	}
}
