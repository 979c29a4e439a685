package attention

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// PlanFlags are the command-line settings that choose attention kernels per
// layer. Register adds them to a flag set; Build checks them and makes the
// Plan once the number of layers is known.
type PlanFlags struct {
	Attn        string // kernel of every layer not chosen otherwise: exact|flash|hyper
	HyperLayers int    // this many layers, picked by Pattern, use Hyper
	Pattern     string // last|first|even|odd
	LayerAttn   string // explicit ranges, e.g. "0-3:flash,4-7:hyper"
	Order       string // gray|inverse-gray
	Hyper       HyperConfig
	HyperDecode bool // decode steps of Hyper layers use HyperDecoder (see Plan.HyperDecode)
	// DecodeWindow is the HyperDecoder's exact window of recent keys (0: min-seq).
	DecodeWindow int
}

// DefaultPlanFlags returns Flash everywhere and the released Hyper settings.
func DefaultPlanFlags() PlanFlags {
	return PlanFlags{Attn: "flash", Pattern: "last", Order: "gray", Hyper: DefaultHyperConfig()}
}

// Register adds --attn, --hyper-layers, --layer-attn, --hyper-pattern,
// --hyper-decode, --hyper-decode-window, --hyper-block, --hyper-samples, --hyper-projs,
// --hyper-min-seq, --hyper-sink and --hyper-order to fs, with
// DefaultPlanFlags' values.
// Flags only parse here; Build validates.
func (f *PlanFlags) Register(fs *pflag.FlagSet) {
	d := DefaultPlanFlags()
	fs.StringVar(&f.Attn, "attn", d.Attn, "attention kernel for all layers: exact|flash|hyper")
	fs.IntVar(&f.HyperLayers, "hyper-layers", d.HyperLayers, "use HyperAttention in this many layers (see --hyper-pattern), --attn in the others")
	fs.StringVar(&f.Pattern, "hyper-pattern", d.Pattern, "which layers --hyper-layers picks: last|first|even|odd (even/odd: the highest of that parity)")
	fs.StringVar(&f.LayerAttn, "layer-attn", d.LayerAttn, "explicit kernels per layer range, e.g. 0-3:flash,4-7:hyper (others use --attn)")
	fs.IntVar(&f.DecodeWindow, "hyper-decode-window", d.DecodeWindow, "--hyper-decode: recent keys attended exactly (0: --hyper-min-seq, like the prefill's causal leaves)")
	fs.BoolVar(&f.HyperDecode, "hyper-decode", d.HyperDecode, "sublinear decode in Hyper layers: each new token attends to its LSH neighbourhood, the recent --hyper-block keys, the sink and samples of the cache instead of all of it")
	f.RegisterHyper(fs)
}

// RegisterHyper adds only the --hyper-* settings of the kernel itself
// (block, samples, projs, min-seq, sink, order), for tools that run Hyper
// without a model, such as the attention benchmark.
func (f *PlanFlags) RegisterHyper(fs *pflag.FlagSet) {
	d := DefaultPlanFlags()
	fs.IntVar(&f.Hyper.Block, "hyper-block", d.Hyper.Block, "HyperAttention sorted block size")
	fs.IntVar(&f.Hyper.Samples, "hyper-samples", d.Hyper.Samples, "HyperAttention residual samples per head (0 disables)")
	fs.IntVar(&f.Hyper.Projs, "hyper-projs", d.Hyper.Projs, "HyperAttention LSH projections")
	fs.IntVar(&f.Hyper.MinSeq, "hyper-min-seq", d.Hyper.MinSeq, "HyperAttention is exact below this many queries")
	fs.IntVar(&f.Hyper.Sink, "hyper-sink", d.Hyper.Sink, "attend exactly to the first N keys and merge them in (0 disables)")
	fs.StringVar(&f.Order, "hyper-order", d.Order, "LSH bucket order: gray (released) | inverse-gray (paper)")
}

// WithHyperLayers returns a copy of f with L Hyper layers, for sweeps.
func (f PlanFlags) WithHyperLayers(L int) PlanFlags {
	f.HyperLayers = L
	return f
}

// HyperConfig returns the validated Hyper settings of the flags.
func (f PlanFlags) HyperConfig() (HyperConfig, error) {
	cfg := f.Hyper
	switch f.Order {
	case "gray":
		cfg.Order = OrderGray
	case "inverse-gray":
		cfg.Order = OrderInverseGray
	default:
		return cfg, fmt.Errorf("--hyper-order: unknown order %q (want gray or inverse-gray)", f.Order)
	}
	return cfg, cfg.Validate()
}

var kernelNames = []string{"exact", "flash", "hyper"}

// Build validates the flags against a model of nLayers layers and returns
// the plan; Hyper layers draw their projections from (seed, layer).
func (f PlanFlags) Build(nLayers int, seed uint64) (*Plan, error) {
	if nLayers < 1 {
		return nil, fmt.Errorf("attention plan: model has %d layers", nLayers)
	}
	cfg, err := f.HyperConfig()
	if err != nil {
		return nil, err
	}
	if f.DecodeWindow < 0 {
		return nil, fmt.Errorf("--hyper-decode-window must be non-negative, got %d", f.DecodeWindow)
	}
	if !isKernelName(f.Attn) {
		return nil, fmt.Errorf("--attn: unknown kernel %q (want %s)", f.Attn, strings.Join(kernelNames, ", "))
	}
	names := make([]string, nLayers)
	for i := range names {
		names[i] = f.Attn
	}
	switch {
	case f.HyperLayers != 0 && f.LayerAttn != "":
		return nil, fmt.Errorf("--hyper-layers and --layer-attn both choose layers: use one")
	case f.HyperLayers != 0:
		layers, err := patternLayers(f.Pattern, f.HyperLayers, nLayers)
		if err != nil {
			return nil, err
		}
		if f.Attn == "hyper" {
			return nil, fmt.Errorf("--hyper-layers %d with --attn hyper: the other layers need exact or flash", f.HyperLayers)
		}
		for _, l := range layers {
			names[l] = "hyper"
		}
	case f.LayerAttn != "":
		if err := applyLayerSpec(names, f.LayerAttn); err != nil {
			return nil, err
		}
	}
	kernels := make([]Kernel, nLayers)
	for l, name := range names {
		switch name {
		case "exact":
			kernels[l] = Exact{}
		case "flash":
			kernels[l] = Flash{}
		default:
			kernels[l] = NewHyper(cfg, l, seed)
		}
	}
	p := NewPlan(kernels)
	p.hyperDecode = f.HyperDecode
	p.decodeWindow = cmp.Or(f.DecodeWindow, cfg.MinSeq)
	return p, nil
}

func isKernelName(s string) bool {
	for _, n := range kernelNames {
		if s == n {
			return true
		}
	}
	return false
}

// patternLayers picks L of nLayers layers by pattern.
func patternLayers(pattern string, L, nLayers int) ([]int, error) {
	if L < 0 || L > nLayers {
		return nil, fmt.Errorf("--hyper-layers %d: model has %d layers", L, nLayers)
	}
	var pool []int
	switch pattern {
	case "last", "first":
		for l := range nLayers {
			pool = append(pool, l)
		}
	case "even", "odd":
		for l := range nLayers {
			if (l%2 == 1) == (pattern == "odd") {
				pool = append(pool, l)
			}
		}
	default:
		return nil, fmt.Errorf("--hyper-pattern: unknown pattern %q (want last, first, even or odd)", pattern)
	}
	if L > len(pool) {
		return nil, fmt.Errorf("--hyper-layers %d: only %d %s layers in a %d-layer model", L, len(pool), pattern, nLayers)
	}
	if pattern == "first" {
		return pool[:L], nil
	}
	return pool[len(pool)-L:], nil
}

// applyLayerSpec sets names from a spec such as "0-3:flash,4-7:hyper".
func applyLayerSpec(names []string, spec string) error {
	set := make([]bool, len(names))
	for _, item := range strings.Split(spec, ",") {
		rng, kernel, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			return fmt.Errorf("--layer-attn: %q is not RANGE:KERNEL", item)
		}
		if !isKernelName(kernel) {
			return fmt.Errorf("--layer-attn: unknown kernel %q in %q (want %s)", kernel, item, strings.Join(kernelNames, ", "))
		}
		a, b, err := parseRange(rng)
		if err != nil {
			return fmt.Errorf("--layer-attn: %q: %v", item, err)
		}
		if b >= len(names) {
			return fmt.Errorf("--layer-attn: %q: layer %d out of range (model has %d layers, 0-%d)", item, b, len(names), len(names)-1)
		}
		for l := a; l <= b; l++ {
			if set[l] {
				return fmt.Errorf("--layer-attn: %q: layer %d is already assigned", item, l)
			}
			set[l] = true
			names[l] = kernel
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
