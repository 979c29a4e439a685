package attention

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PlanSpec is a plain description of a per-layer plan, field for field what
// gollm's attention flags say. Validate checks what needs no model; Build
// checks the rest against the model's layer count and makes the Plan. Errors
// name the field as the user knows it: its flag.
type PlanSpec struct {
	Attn        string // --attn: kernel of every layer not chosen otherwise: exact|flash|hyper|reference
	HyperLayers int    // --hyper-layers: this many layers, picked by Pattern, use Hyper
	Pattern     string // --hyper-pattern: last|first|even|odd
	LayerAttn   string // --layer-attn: explicit ranges, e.g. "0-3:flash,4-7:hyper"
	Order       string // --hyper-order: gray|inverse-gray; sets Hyper.Order
	Hyper       HyperConfig
	HyperDecode bool // --hyper-decode: decode steps of Hyper layers use HyperDecoder (see Plan.HyperDecode)
	// DecodeWindow is the HyperDecoder's exact window of recent keys
	// (--hyper-decode-window; 0: Hyper.MinSeq).
	DecodeWindow int
	// Ranked is the layers in the order a calibration ranks them, the one
	// Hyper costs least first (--attn-plan FILE, from `gollm perplexity
	// --calibrate`); the pattern "calibrated" takes the first HyperLayers.
	Ranked []int
}

// DefaultPlanSpec returns Flash everywhere and the released Hyper settings.
func DefaultPlanSpec() PlanSpec {
	return PlanSpec{Attn: "flash", Pattern: "last", Order: "gray", Hyper: DefaultHyperConfig()}
}

// WithHyperLayers returns a copy of s with L Hyper layers, for sweeps.
func (s PlanSpec) WithHyperLayers(L int) PlanSpec {
	s.HyperLayers = L
	return s
}

// HyperConfig returns the validated Hyper settings, Order included.
func (s PlanSpec) HyperConfig() (HyperConfig, error) {
	cfg := s.Hyper
	switch s.Order {
	case "gray":
		cfg.Order = OrderGray
	case "inverse-gray":
		cfg.Order = OrderInverseGray
	default:
		return cfg, fmt.Errorf("--hyper-order: unknown order %q (want gray or inverse-gray)", s.Order)
	}
	return cfg, cfg.Validate()
}

// Validate reports the first setting that is wrong for any model.
func (s PlanSpec) Validate() error {
	if _, err := s.HyperConfig(); err != nil {
		return err
	}
	if s.DecodeWindow < 0 {
		return fmt.Errorf("--hyper-decode-window must be non-negative, got %d", s.DecodeWindow)
	}
	if !isKernelName(s.Attn) {
		return fmt.Errorf("--attn: unknown kernel %q (want %s)", s.Attn, strings.Join(kernelNames, ", "))
	}
	switch {
	case s.HyperLayers != 0 && s.LayerAttn != "":
		return fmt.Errorf("--hyper-layers and --layer-attn both choose layers: use one")
	case s.HyperLayers < 0:
		return fmt.Errorf("--hyper-layers %d: must be ≥ 0", s.HyperLayers)
	case s.HyperLayers > 0:
		if err := CheckPattern(s.Pattern); err != nil {
			return err
		}
		if s.Attn == "hyper" {
			return fmt.Errorf("--hyper-layers %d with --attn hyper: the other layers need exact or flash", s.HyperLayers)
		}
	case s.LayerAttn != "":
		_, err := parseLayerSpec(s.LayerAttn)
		return err
	}
	return nil
}

// Build validates s against a model of nLayers layers and returns the
// plan; Hyper layers draw their projections from (seed, layer).
func (s PlanSpec) Build(nLayers int, seed uint64) (*Plan, error) {
	if nLayers < 1 {
		return nil, fmt.Errorf("attention plan: model has %d layers", nLayers)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	names, err := s.layerKernels(nLayers)
	if err != nil {
		return nil, err
	}
	cfg, _ := s.HyperConfig() // valid: checked by Validate
	kernels := make([]Kernel, nLayers)
	for l, name := range names {
		switch name {
		case "exact":
			kernels[l] = Exact{}
		case "reference":
			kernels[l] = Reference{}
		case "flash":
			kernels[l] = Flash{}
		default:
			kernels[l] = NewHyper(cfg, l, seed)
		}
	}
	p := NewPlan(kernels)
	p.hyperDecode = s.HyperDecode
	p.decodeWindow = cmp.Or(s.DecodeWindow, cfg.MinSeq)
	return p, nil
}

// layerKernels names the kernel of each of nLayers layers; s is valid.
func (s PlanSpec) layerKernels(nLayers int) ([]string, error) {
	names := make([]string, nLayers)
	for i := range names {
		names[i] = s.Attn
	}
	switch {
	case s.HyperLayers > 0 && s.Pattern == "calibrated":
		layers, err := rankedLayers(s.Ranked, s.HyperLayers, nLayers)
		if err != nil {
			return nil, err
		}
		for _, l := range layers {
			names[l] = "hyper"
		}
	case s.HyperLayers > 0:
		layers, err := patternLayers(s.Pattern, s.HyperLayers, nLayers)
		if err != nil {
			return nil, err
		}
		for _, l := range layers {
			names[l] = "hyper"
		}
	case s.LayerAttn != "":
		ranges, err := parseLayerSpec(s.LayerAttn)
		if err != nil {
			return nil, err
		}
		if err := applyLayerRanges(names, ranges); err != nil {
			return nil, err
		}
	}
	return names, nil
}

var kernelNames = []string{"exact", "flash", "hyper", "reference"}

func isKernelName(s string) bool { return slices.Contains(kernelNames, s) }

var hyperPatterns = []string{"last", "first", "even", "odd", "calibrated"}

// CheckPattern reports whether p names a way to pick Hyper layers
// (--hyper-pattern): last, first, even or odd.
func CheckPattern(p string) error {
	if slices.Contains(hyperPatterns, p) {
		return nil
	}
	return fmt.Errorf("--hyper-pattern: unknown pattern %q (want last, first, even, odd or calibrated)", p)
}

// rankedLayers is the first L layers of a calibration's ranking, checked
// against a model of nLayers layers.
func rankedLayers(ranked []int, L, nLayers int) ([]int, error) {
	if len(ranked) == 0 {
		return nil, fmt.Errorf("--hyper-pattern calibrated needs --attn-plan FILE (made by gollm perplexity --calibrate)")
	}
	if len(ranked) != nLayers {
		return nil, fmt.Errorf("--attn-plan ranks %d layers; the model has %d", len(ranked), nLayers)
	}
	if L > nLayers {
		return nil, fmt.Errorf("--hyper-layers %d: model has %d layers", L, nLayers)
	}
	seen := make([]bool, nLayers)
	for _, l := range ranked {
		if l < 0 || l >= nLayers || seen[l] {
			return nil, fmt.Errorf("--attn-plan: layer %d is out of range or repeated in the ranking", l)
		}
		seen[l] = true
	}
	return ranked[:L], nil
}

// patternLayers picks L of nLayers layers by a valid pattern.
func patternLayers(pattern string, L, nLayers int) ([]int, error) {
	if L > nLayers {
		return nil, fmt.Errorf("--hyper-layers %d: model has %d layers", L, nLayers)
	}
	var pool []int
	for l := range nLayers {
		if pattern == "last" || pattern == "first" || (l%2 == 1) == (pattern == "odd") {
			pool = append(pool, l)
		}
	}
	if L > len(pool) {
		return nil, fmt.Errorf("--hyper-layers %d: only %d %s layers in a %d-layer model", L, len(pool), pattern, nLayers)
	}
	if pattern == "first" {
		return pool[:L], nil
	}
	return pool[len(pool)-L:], nil
}

// layerRange is one item of --layer-attn: layers first..last use kernel.
type layerRange struct {
	item        string // as written, for errors
	first, last int
	kernel      string
}

// parseLayerSpec reads a spec such as "0-3:flash,4-7:hyper".
func parseLayerSpec(spec string) ([]layerRange, error) {
	var out []layerRange
	for _, item := range strings.Split(spec, ",") {
		rng, kernel, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			return nil, fmt.Errorf("--layer-attn: %q is not RANGE:KERNEL", item)
		}
		if !isKernelName(kernel) {
			return nil, fmt.Errorf("--layer-attn: unknown kernel %q in %q (want %s)", kernel, item, strings.Join(kernelNames, ", "))
		}
		a, b, err := parseRange(rng)
		if err != nil {
			return nil, fmt.Errorf("--layer-attn: %q: %v", item, err)
		}
		out = append(out, layerRange{item, a, b, kernel})
	}
	return out, nil
}

// applyLayerRanges sets names from ranges, each layer at most once.
func applyLayerRanges(names []string, ranges []layerRange) error {
	set := make([]bool, len(names))
	for _, r := range ranges {
		if r.last >= len(names) {
			return fmt.Errorf("--layer-attn: %q: layer %d out of range (model has %d layers, 0-%d)", r.item, r.last, len(names), len(names)-1)
		}
		for l := r.first; l <= r.last; l++ {
			if set[l] {
				return fmt.Errorf("--layer-attn: %q: layer %d is already assigned", r.item, l)
			}
			set[l] = true
			names[l] = r.kernel
		}
	}
	return nil
}

// parseRange parses "A" or "A-B" with 0 ≤ A ≤ B.
func parseRange(s string) (int, int, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.Atoi(lo)
	if err != nil || a < 0 {
		return 0, 0, fmt.Errorf("bad layer %q", lo)
	}
	if !isRange {
		return a, a, nil
	}
	b, err := strconv.Atoi(hi)
	if err != nil || b < a {
		return 0, 0, fmt.Errorf("bad layer range %q", s)
	}
	return a, b, nil
}
