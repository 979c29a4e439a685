package main

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/weights"
)

// TestPlanFlags: the plan flag group starts at DefaultPlanSpec and sets
// each field from its flag.
func TestPlanFlags(t *testing.T) {
	parse := func(args ...string) attention.PlanSpec {
		t.Helper()
		var p attention.PlanSpec
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		addPlanFlags(fs, &p)
		if err := fs.Parse(args); err != nil {
			t.Fatalf("parse %v: %v", args, err)
		}
		return p
	}
	if got := parse(); !reflect.DeepEqual(got, attention.DefaultPlanSpec()) {
		t.Errorf("no flags: %+v, want %+v", got, attention.DefaultPlanSpec())
	}
	want := attention.DefaultPlanSpec()
	want.Attn, want.HyperLayers, want.Pattern, want.LayerAttn, want.Order = "exact", 2, "odd", "0:flash", "inverse-gray"
	want.Hyper.Block, want.Hyper.Samples, want.Hyper.Projs, want.Hyper.MinSeq, want.Hyper.Sink = 64, 8, 5, 32, 4
	want.HyperDecode, want.DecodeWindow = true, 9
	got := parse("--attn", "exact", "--hyper-layers", "2", "--hyper-pattern", "odd", "--layer-attn", "0:flash",
		"--hyper-order", "inverse-gray", "--hyper-block", "64", "--hyper-samples", "8", "--hyper-projs", "5",
		"--hyper-min-seq", "32", "--hyper-sink", "4", "--hyper-decode", "--hyper-decode-window", "9")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("every flag: %+v, want %+v", got, want)
	}
}

// TestModelFlagsForSweeps: perplexity's model flags leave --hyper-layers
// and --hyper-pattern to its sweep flags; run's have them.
func TestModelFlagsForSweeps(t *testing.T) {
	var mf modelFlags
	all, sweeps := pflag.NewFlagSet("run", pflag.ContinueOnError), pflag.NewFlagSet("perplexity", pflag.ContinueOnError)
	mf.register(all)
	mf.registerForSweeps(sweeps)
	for _, name := range []string{"hyper-layers", "hyper-pattern"} {
		if all.Lookup(name) == nil || sweeps.Lookup(name) != nil {
			t.Errorf("--%s: in register %v, in registerForSweeps %v", name, all.Lookup(name) != nil, sweeps.Lookup(name) != nil)
		}
	}
	for _, name := range []string{"model", "threads", "seed", "attn", "hyper-block"} {
		if all.Lookup(name) == nil || sweeps.Lookup(name) == nil {
			t.Errorf("--%s missing", name)
		}
	}
}

func TestKVTypeFlag(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		want weights.DType
	}{{"auto", attention.AutoF16Positions, weights.F32}, {"auto", attention.AutoF16Positions + 1, weights.F16}, {"f32", 1 << 20, weights.F32}, {"bf16", 1, weights.BF16}} {
		if got, err := (kvTypeFlag{c.name}).resolve(c.n); err != nil || got != c.want {
			t.Errorf("--kv-type %s at %d: %v, %v; want %v", c.name, c.n, got, err, c.want)
		}
	}
	if _, err := (kvTypeFlag{"f8"}).resolve(1); err == nil || !strings.Contains(err.Error(), "--kv-type") {
		t.Errorf("--kv-type f8: error %v, want one naming --kv-type", err)
	}
}

// TestBenchTimer feeds the timer made-up durations.
func TestBenchTimer(t *testing.T) {
	fake := func(secs ...float64) (func() (float64, error), *int) {
		calls := 0
		return func() (float64, error) {
			calls++
			return secs[(calls-1)%len(secs)], nil
		}, &calls
	}
	f, calls := fake(9, 3, 1, 2)
	tm, err := benchTimer{warmUp: true, reps: 3}.measure(f)
	if err != nil || *calls != 4 || tm != (timing{Runs: 3, Min: 1, Median: 2, Max: 3}) {
		t.Errorf("warm-up and 3 runs: %+v, %v after %d calls", tm, err, *calls)
	}
	f, calls = fake(5, 1, 1)
	tm, _ = benchTimer{reps: 3, enough: 2}.measure(f)
	if *calls != 1 || tm.Median != 5 {
		t.Errorf("a long first run: %+v after %d calls, want it alone", tm, *calls)
	}
	boom := errors.New("boom")
	if _, err := (benchTimer{reps: 3}).measure(func() (float64, error) { return 0, boom }); err != boom {
		t.Errorf("error %v, want boom", err)
	}
}

func TestBenchReport(t *testing.T) {
	var b bytes.Buffer
	rep, err := newBenchReport(&b, false, benchColumn{"name", -6}, benchColumn{"n", 4})
	if err == nil {
		err = rep.add(struct{}{}, "ab", "7")
	}
	if want := "name      n\nab        7\n"; err != nil || b.String() != want {
		t.Errorf("table %q, %v; want %q", b.String(), err, want)
	}
	b.Reset()
	rep, _ = newBenchReport(&b, true, benchColumn{"n", 4})
	if err := rep.add(struct {
		N int `json:"n"`
	}{7}, "7"); err != nil || b.String() != "{\"n\":7}\n" {
		t.Errorf("JSON %q, %v", b.String(), err)
	}
}
