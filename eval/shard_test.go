package eval

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gollm/gollm/attention"
)

// TestShards: every unit goes to exactly one shard, each shard's units
// ascend, the longest go first onto the least-loaded shard with ties to
// the lower index, and shards beyond the units are left empty.
func TestShards(t *testing.T) {
	lens := func(ns ...int) []Span {
		var s []Span
		for _, n := range ns {
			s = append(s, Span{End: n, From: 1})
		}
		return s
	}
	for _, c := range []struct {
		spans []Span
		n     int
		want  [][]int
	}{
		{lens(4, 4, 4, 2), 2, [][]int{{0, 2}, {1, 3}}},
		{lens(2, 8, 3, 3, 5), 2, [][]int{{1, 3}, {0, 2, 4}}}, // 8+3 against 5+3+2
		{lens(5, 5), 3, [][]int{{0}, {1}, nil}},
		{lens(7, 7, 7), 1, [][]int{{0, 1, 2}}},
	} {
		if got := Shards(c.spans, c.n); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Shards(%v, %d) = %v, want %v", c.spans, c.n, got, c.want)
		}
	}
	var spans []Span
	for i := range 101 {
		spans = append(spans, Span{End: 2 + (i*37)%50, From: 1})
	}
	for _, n := range []int{1, 2, 3, 7, 200} {
		got := Shards(spans, n)
		seen := map[int]bool{}
		lo, hi := int(^uint(0)>>1), 0
		for _, units := range got {
			if !slices.IsSorted(units) {
				t.Errorf("n=%d: units %v not ascending", n, units)
			}
			tokens := 0
			for _, u := range units {
				if seen[u] {
					t.Errorf("n=%d: unit %d twice", n, u)
				}
				seen[u] = true
				tokens += spans[u].Len()
			}
			lo, hi = min(lo, tokens), max(hi, tokens)
		}
		if len(seen) != len(spans) || len(got) != n {
			t.Errorf("n=%d: %d units of %d in %d shards", n, len(seen), len(spans), len(got))
		}
		if n <= len(spans) && hi-lo > 51 { // greedy longest-first: within the longest span
			t.Errorf("n=%d: shards of %d to %d tokens", n, lo, hi)
		}
		if !reflect.DeepEqual(got, Shards(spans, n)) {
			t.Errorf("n=%d: two calls split differently", n)
		}
	}
}

// TestShardedFold: an evaluation split into shards, each in an evaluation
// of its own with plans of its own (as separate processes would), and its
// results passed through JSON, folds into exactly the unsharded runs —
// Hyper settings and KL included — timings aside.
func TestShardedFold(t *testing.T) {
	m, ids := defaultModel(t)
	lay, err := Protocol{Name: ProtocolWindows, Ctx: 48, Max: 5}.Spans([]int{len(ids)})
	if err != nil || len(lay.Spans) != 5 {
		t.Fatalf("%d spans, %v", len(lay.Spans), err)
	}
	setup := func() ([]Setting, *attention.Plan) {
		spec := attention.DefaultPlanSpec()
		spec.Hyper.MinSeq, spec.Hyper.Block, spec.Hyper.Samples = 16, 8, 8
		var settings []Setting
		for _, L := range []int{0, 2} {
			p, err := spec.WithHyperLayers(L).Build(m.Layers(), 7)
			if err != nil {
				t.Fatal(err)
			}
			settings = append(settings, Setting{Plan: p, HyperLayers: L, Seed: 7})
		}
		return settings, settings[0].Plan
	}
	run := func(units []int) *Evaluation {
		settings, ref := setup()
		ev, err := NewEvaluation(m, [][]int{ids}, lay.Spans, settings, ref)
		if err != nil {
			t.Fatal(err)
		}
		if units != nil {
			if err := ev.Restrict(units); err != nil {
				t.Fatal(err)
			}
		}
		if err := ev.Evaluate(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	untimed := func(runs []Run) []Run {
		for i := range runs {
			runs[i].Seconds, runs[i].AttnSeconds, runs[i].TokensPerSec = 0, 0, 0
			runs[i].Setting = Setting{HyperLayers: runs[i].Setting.HyperLayers, PlanText: runs[i].Setting.Describe()}
		}
		return runs
	}
	whole := untimed(run(nil).Runs())
	if whole[1].KL == nil || whole[1].KL.MeanKL <= 0 || whole[0].KL != nil {
		t.Fatalf("want KL for the Hyper setting only: %+v, %+v", whole[0].KL, whole[1].KL)
	}
	settings, _ := setup()
	for _, n := range []int{2, 3} {
		var all []SpanResult
		for _, units := range Shards(lay.Spans, n) {
			b, err := json.Marshal(run(units).Results())
			if err != nil {
				t.Fatal(err)
			}
			var back []SpanResult
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			all = append(back, all...) // any order: Fold sorts by unit
		}
		runs, err := Fold(settings, 1, all)
		if err != nil {
			t.Fatal(err)
		}
		if got := untimed(runs); !reflect.DeepEqual(got, whole) {
			t.Errorf("%d shards folded:\n%+v\nunsharded:\n%+v", n, got, whole)
		}
		if _, err := Fold(settings, 1, append(all, all[0])); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("a unit given twice: %v", err)
		}
	}
	bad := run([]int{1}).Results()
	bad[0].Scores = bad[0].Scores[:1]
	if _, err := Fold(settings, 1, bad); err == nil {
		t.Error("a result with one score for two settings folded")
	}
	if err := run(nil).Restrict([]int{2, 1}); err == nil {
		t.Error("Restrict took descending units")
	}
}
