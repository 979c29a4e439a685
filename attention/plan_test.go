package attention

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func parsePlan(t *testing.T, args ...string) PlanFlags {
	t.Helper()
	var f PlanFlags
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f.Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return f
}

func TestPlanBuild(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "0-7:flash"},
		{[]string{"--attn", "exact"}, "0-7:exact"},
		{[]string{"--hyper-layers", "2"}, "0-5:flash,6-7:hyper (block=256 samples=256 projs=7 min-seq=4096 order=gray sink=0)"},
		{[]string{"--hyper-layers", "3", "--hyper-pattern", "first", "--hyper-order", "inverse-gray", "--hyper-sink", "4"},
			"0-2:hyper,3-7:flash (block=256 samples=256 projs=7 min-seq=4096 order=inverse-gray sink=4)"},
		{[]string{"--hyper-layers", "2", "--hyper-pattern", "odd", "--attn", "exact"}, "0-4:exact,5:hyper,6:exact,7:hyper"},
		{[]string{"--hyper-layers", "1", "--hyper-pattern", "even"}, "0-5:flash,6:hyper,7:flash"},
		{[]string{"--layer-attn", "0-1:exact, 5:hyper"}, "0-1:exact,2-4:flash,5:hyper,6-7:flash"},
		{[]string{"--attn", "hyper", "--hyper-block", "64"}, "0-7:hyper (block=64 samples=256 projs=7 min-seq=4096 order=gray sink=0)"},
	}
	for _, c := range cases {
		p, err := parsePlan(t, c.args...).Build(8, 1)
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		if got := p.String(); !strings.HasPrefix(got, c.want) {
			t.Errorf("%v: plan %q, want %q", c.args, got, c.want)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--attn", "fast"}, `--attn: unknown kernel "fast"`},
		{[]string{"--hyper-layers", "9"}, "--hyper-layers 9: model has 8 layers"},
		{[]string{"--hyper-layers", "-1"}, "--hyper-layers -1"},
		{[]string{"--hyper-layers", "5", "--hyper-pattern", "odd"}, "only 4 odd layers"},
		{[]string{"--hyper-layers", "1", "--hyper-pattern", "middle"}, `unknown pattern "middle"`},
		{[]string{"--hyper-layers", "1", "--attn", "hyper"}, "the other layers need exact or flash"},
		{[]string{"--hyper-layers", "1", "--layer-attn", "0:exact"}, "use one"},
		{[]string{"--layer-attn", "0-3:flash,3-7:hyper"}, "layer 3 is already assigned"},
		{[]string{"--layer-attn", "0-8:flash"}, "layer 8 out of range"},
		{[]string{"--layer-attn", "0-3:turbo"}, `unknown kernel "turbo"`},
		{[]string{"--layer-attn", "3-1:flash"}, `bad layer range "3-1"`},
		{[]string{"--layer-attn", "x:flash"}, `bad layer "x"`},
		{[]string{"--layer-attn", "0-3"}, "not RANGE:KERNEL"},
		{[]string{"--hyper-block", "0"}, "--hyper-block must be at least 1"},
		{[]string{"--hyper-samples", "-2"}, "--hyper-samples"},
		{[]string{"--hyper-projs", "17"}, "--hyper-projs must be in 1..16"},
		{[]string{"--hyper-min-seq", "0"}, "--hyper-min-seq"},
		{[]string{"--hyper-sink", "-1"}, "--hyper-sink"},
		{[]string{"--hyper-order", "random"}, `--hyper-order: unknown order "random"`},
	}
	for _, c := range cases {
		_, err := parsePlan(t, c.args...).Build(8, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
	if _, err := DefaultPlanFlags().Build(0, 1); err == nil {
		t.Error("Build(0 layers) succeeded")
	}
}

func TestPlanKernels(t *testing.T) {
	f := DefaultPlanFlags().WithHyperLayers(2)
	p, err := f.Build(4, 9)
	if err != nil {
		t.Fatal(err)
	}
	if p.Layers() != 4 || p.HyperLayers() != 2 || p.Kernel(1).Name() != "flash" || p.Kernel(3).Name() != "hyper" {
		t.Errorf("plan %s", p)
	}
	h := p.Kernel(2).(*Hyper)
	if h.layer != 2 || h.seed != 9 {
		t.Errorf("layer 2's Hyper has layer %d seed %d", h.layer, h.seed)
	}
	if p.Kernel(7).Name() != "flash" {
		t.Error("a layer outside the plan should get flash")
	}
}
