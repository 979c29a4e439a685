package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/eval"
)

// maxRepeats bounds --repeats: each repeat is a full evaluation per
// setting, so more than this is a typo, not a plan.
const maxRepeats = 1000

// sweep is what --hyper-layers, --hyper-pattern and --repeats ask for.
type sweep struct {
	layers   []int
	patterns []string
	repeats  int
}

// parse reads the layer counts "0,2,4" or "0-8" (or a mix), the pattern
// list and the repeat count.
func (f sweepFlags) parse() (sweep, error) {
	s := sweep{repeats: f.repeats}
	if f.repeats < 1 || f.repeats > maxRepeats {
		return s, fmt.Errorf("--repeats must be in [1, %d], got %d", maxRepeats, f.repeats)
	}
	seen := map[int]bool{}
	for _, item := range strings.Split(f.layers, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a {
			return s, fmt.Errorf("--hyper-layers: %q is not a layer count or range A-B with 0 ≤ A ≤ B", item)
		}
		for L := a; L <= b; L++ {
			if seen[L] {
				return s, fmt.Errorf("--hyper-layers: %d given twice", L)
			}
			seen[L] = true
			s.layers = append(s.layers, L)
		}
	}
	for _, p := range strings.Split(f.patterns, ",") {
		p = strings.TrimSpace(p)
		if err := attention.CheckPattern(p); err != nil {
			return s, err
		}
		if slices.Contains(s.patterns, p) {
			return s, fmt.Errorf("--hyper-pattern: %q given twice", p)
		}
		s.patterns = append(s.patterns, p)
	}
	return s, nil
}

// settings builds the plans of the sweep for a model of nLayers layers:
// per pattern, per L in the given order (L = 0 once, first time it comes),
// and per seed --seed, --seed+1, … for plans that use Hyper. With kl it
// also returns the reference plan: the L = 0 setting's when it has no
// Hyper layer, else Flash everywhere.
func (s sweep) settings(mf *modelFlags, nLayers int, kl bool) ([]eval.Setting, *attention.Plan, error) {
	var out []eval.Setting
	add := func(f attention.PlanSpec, pattern string) error {
		for r := 0; r < s.repeats; r++ {
			seed := mf.seed + uint64(r)
			p, err := f.Build(nLayers, seed)
			if err != nil {
				return err
			}
			out = append(out, eval.Setting{Plan: p, HyperLayers: p.HyperLayers(), Pattern: pattern, Seed: seed})
			if p.HyperLayers() == 0 {
				return nil // deterministic: one run is enough
			}
		}
		return nil
	}
	base := mf.plan.WithHyperLayers(0)
	baseDone := false
	for _, pat := range s.patterns {
		for _, L := range s.layers {
			var err error
			switch {
			case L > 0:
				f := mf.plan.WithHyperLayers(L)
				f.Pattern = pat
				err = add(f, pat)
			case !baseDone:
				baseDone = true
				err = add(base, "")
			}
			if err != nil {
				return nil, nil, err
			}
		}
	}
	if !kl {
		return out, nil, nil
	}
	for _, st := range out {
		if st.HyperLayers == 0 {
			return out, st.Plan, nil
		}
	}
	ref := base
	ref.Attn, ref.LayerAttn = "flash", ""
	p, err := ref.Build(nLayers, mf.seed)
	return out, p, err
}
