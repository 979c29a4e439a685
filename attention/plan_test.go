package attention

import (
	"strings"
	"testing"
)

// spec returns the default spec changed by set.
func spec(set func(*PlanSpec)) PlanSpec {
	s := DefaultPlanSpec()
	set(&s)
	return s
}

func TestPlanBuild(t *testing.T) {
	cases := []struct {
		spec PlanSpec
		want string
	}{
		{DefaultPlanSpec(), "0-7:flash"},
		{spec(func(s *PlanSpec) { s.Attn = "exact" }), "0-7:exact"},
		{spec(func(s *PlanSpec) { s.HyperLayers = 2 }), "0-5:flash,6-7:hyper (block=256 samples=256 projs=7 min-seq=4096 order=gray sink=0)"},
		{spec(func(s *PlanSpec) { s.HyperLayers, s.Pattern, s.Order, s.Hyper.Sink = 3, "first", "inverse-gray", 4 }),
			"0-2:hyper,3-7:flash (block=256 samples=256 projs=7 min-seq=4096 order=inverse-gray sink=4)"},
		{spec(func(s *PlanSpec) { s.HyperLayers, s.Pattern, s.Attn = 2, "odd", "exact" }), "0-4:exact,5:hyper,6:exact,7:hyper"},
		{spec(func(s *PlanSpec) { s.HyperLayers, s.Pattern = 1, "even" }), "0-5:flash,6:hyper,7:flash"},
		{spec(func(s *PlanSpec) { s.LayerAttn = "0-1:exact, 5:hyper" }), "0-1:exact,2-4:flash,5:hyper,6-7:flash"},
		{spec(func(s *PlanSpec) { s.Attn, s.Hyper.Block = "hyper", 64 }), "0-7:hyper (block=64 samples=256 projs=7 min-seq=4096 order=gray sink=0)"},
		{spec(func(s *PlanSpec) { s.HyperLayers, s.HyperDecode = 1, true }), "0-6:flash,7:hyper (block=256 samples=256 projs=7 min-seq=4096 order=gray sink=0 decode=sublinear decode-window=4096)"},
	}
	for _, c := range cases {
		p, err := c.spec.Build(8, 1)
		if err != nil {
			t.Errorf("%+v: %v", c.spec, err)
			continue
		}
		if got := p.String(); !strings.HasPrefix(got, c.want) {
			t.Errorf("%+v: plan %q, want %q", c.spec, got, c.want)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	cases := []struct {
		spec PlanSpec
		want string
	}{
		{spec(func(s *PlanSpec) { s.Attn = "fast" }), `--attn: unknown kernel "fast"`},
		{spec(func(s *PlanSpec) { s.HyperLayers = 9 }), "--hyper-layers 9: model has 8 layers"},
		{spec(func(s *PlanSpec) { s.HyperLayers = -1 }), "--hyper-layers -1"},
		{spec(func(s *PlanSpec) { s.HyperLayers, s.Pattern = 5, "odd" }), "only 4 odd layers"},
		{spec(func(s *PlanSpec) { s.HyperLayers, s.Pattern = 1, "middle" }), `--hyper-pattern: unknown pattern "middle"`},
		{spec(func(s *PlanSpec) { s.HyperLayers, s.Attn = 1, "hyper" }), "the other layers need exact or flash"},
		{spec(func(s *PlanSpec) { s.HyperLayers, s.LayerAttn = 1, "0:exact" }), "use one"},
		{spec(func(s *PlanSpec) { s.LayerAttn = "0-3:flash,3-7:hyper" }), "layer 3 is already assigned"},
		{spec(func(s *PlanSpec) { s.LayerAttn = "0-8:flash" }), "layer 8 out of range"},
		{spec(func(s *PlanSpec) { s.LayerAttn = "0-3:turbo" }), `unknown kernel "turbo"`},
		{spec(func(s *PlanSpec) { s.LayerAttn = "3-1:flash" }), `bad layer range "3-1"`},
		{spec(func(s *PlanSpec) { s.LayerAttn = "x:flash" }), `bad layer "x"`},
		{spec(func(s *PlanSpec) { s.LayerAttn = "0-3" }), "not RANGE:KERNEL"},
		{spec(func(s *PlanSpec) { s.Hyper.Block = 0 }), "--hyper-block must be at least 1"},
		{spec(func(s *PlanSpec) { s.Hyper.Samples = -2 }), "--hyper-samples"},
		{spec(func(s *PlanSpec) { s.Hyper.Projs = 17 }), "--hyper-projs must be in 1..16"},
		{spec(func(s *PlanSpec) { s.Hyper.MinSeq = 0 }), "--hyper-min-seq"},
		{spec(func(s *PlanSpec) { s.Hyper.Sink = -1 }), "--hyper-sink"},
		{spec(func(s *PlanSpec) { s.Order = "random" }), `--hyper-order: unknown order "random"`},
		{spec(func(s *PlanSpec) { s.DecodeWindow = -1 }), "--hyper-decode-window"},
	}
	for _, c := range cases {
		_, err := c.spec.Build(8, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.spec, err, c.want)
		}
	}
	if _, err := DefaultPlanSpec().Build(0, 1); err == nil {
		t.Error("Build(0 layers) succeeded")
	}
}

// TestPlanValidate: Validate refuses what is wrong for every model and
// leaves what depends on the layer count to Build.
func TestPlanValidate(t *testing.T) {
	for _, s := range []PlanSpec{
		spec(func(s *PlanSpec) { s.Attn = "fast" }),
		spec(func(s *PlanSpec) { s.HyperLayers = -1 }),
		spec(func(s *PlanSpec) { s.HyperLayers, s.Pattern = 1, "middle" }),
		spec(func(s *PlanSpec) { s.LayerAttn = "3-1:flash" }),
		spec(func(s *PlanSpec) { s.Order = "random" }),
	} {
		if s.Validate() == nil {
			t.Errorf("%+v: Validate accepted it", s)
		}
	}
	for _, s := range []PlanSpec{
		spec(func(s *PlanSpec) { s.HyperLayers = 9 }),
		spec(func(s *PlanSpec) { s.LayerAttn = "0-8:flash" }),
		spec(func(s *PlanSpec) { s.Pattern = "middle" }), // unused without Hyper layers
	} {
		if err := s.Validate(); err != nil {
			t.Errorf("%+v: %v, want it left to Build", s, err)
		}
	}
}

func TestPlanKernels(t *testing.T) {
	f := DefaultPlanSpec().WithHyperLayers(2)
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

// TestCalibratedPattern checks the pattern "calibrated": the first L of a
// calibration's ranking take Hyper, and rankings that do not fit the model
// are refused.
func TestCalibratedPattern(t *testing.T) {
	s := DefaultPlanSpec()
	s.HyperLayers, s.Pattern, s.Ranked = 2, "calibrated", []int{3, 1, 0, 2}
	p, err := s.Build(4, 1)
	if err != nil {
		t.Fatal(err)
	}
	for l, want := range []string{"flash", "hyper", "flash", "hyper"} {
		if got := p.Kernel(l).Name(); got != want {
			t.Errorf("layer %d: %s, want %s", l, got, want)
		}
	}
	for _, bad := range [][]int{nil, {0, 1, 2}, {0, 1, 1, 2}, {0, 1, 2, 4}} {
		s.Ranked = bad
		if _, err := s.Build(4, 1); err == nil {
			t.Errorf("ranking %v accepted for 4 layers", bad)
		}
	}
}
