package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/eval"
	"github.com/gollm/gollm/internal/readlimit"
)

// calibration is an --attn-plan file: each layer's cost when it alone runs
// Hyper, and the layers ranked by it (least KL first).
type calibration struct {
	Model  string         `json:"model"`
	Ctx    int            `json:"ctx"`
	Tokens int            `json:"tokens_scored"`
	Seed   uint64         `json:"seed"`
	Hyper  string         `json:"hyper"` // the Hyper settings measured
	Layers []layerHyperKL `json:"layers"`
	Ranked []int          `json:"ranked"`
}

// layerHyperKL is one layer's calibration.
type layerHyperKL struct {
	Layer  int     `json:"layer"`
	MeanKL float64 `json:"mean_kl"` // KL(plan without Hyper ‖ Hyper in this layer), nats per token
	PPL    float64 `json:"ppl"`
}

// calibrationSettings is one setting per layer, Hyper in it alone (the
// other layers as --attn says), and the reference without Hyper.
func calibrationSettings(mf *modelFlags, sw sweep, nLayers int) ([]eval.Setting, *attention.Plan, error) {
	if len(sw.layers) != 1 || sw.layers[0] != 0 || sw.repeats != 1 || mf.plan.LayerAttn != "" || mf.plan.Attn == "hyper" {
		return nil, nil, fmt.Errorf("--calibrate chooses the Hyper layers itself: leave out --hyper-layers, --repeats, --layer-attn and --attn hyper")
	}
	base := mf.plan.WithHyperLayers(0)
	ref, err := base.Build(nLayers, mf.seed)
	if err != nil {
		return nil, nil, err
	}
	var out []eval.Setting
	for l := range nLayers {
		spec := base
		spec.LayerAttn = fmt.Sprintf("%d:hyper", l)
		p, err := spec.Build(nLayers, mf.seed)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, eval.Setting{Plan: p, HyperLayers: 1, Pattern: "layer " + strconv.Itoa(l), Seed: mf.seed})
	}
	return out, ref, nil
}

// writeCalibration ranks the layers by the runs' KL, prints the table and
// writes the --attn-plan file.
func writeCalibration(w io.Writer, pf *pplFlags, mf *modelFlags, ev *eval.Evaluation) error {
	cfg, _ := mf.plan.HyperConfig()
	c := calibration{Model: mf.dir, Ctx: pf.ctx, Seed: mf.seed, Hyper: cfg.String()}
	for l, r := range ev.Runs() {
		if r.KL == nil {
			return fmt.Errorf("perplexity --calibrate: layer %d has no KL", l)
		}
		c.Tokens = r.TokensScored
		c.Layers = append(c.Layers, layerHyperKL{Layer: l, MeanKL: r.KL.MeanKL, PPL: r.PPL})
	}
	order := slices.Clone(c.Layers)
	slices.SortStableFunc(order, func(a, b layerHyperKL) int {
		switch {
		case a.MeanKL < b.MeanKL:
			return -1
		case a.MeanKL > b.MeanKL:
			return 1
		}
		return 0
	})
	for _, x := range order {
		c.Ranked = append(c.Ranked, x.Layer)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(pf.calibrate, append(b, '\n')); err != nil {
		return err
	}
	rep, err := newBenchReport(w, pf.asJSON, benchColumn{"rank", 5}, benchColumn{"layer", 6}, benchColumn{"mean_kl", 10}, benchColumn{"ppl", 10})
	if err != nil {
		return err
	}
	for i, x := range order {
		if err := rep.add(x, strconv.Itoa(i+1), strconv.Itoa(x.Layer), fmt.Sprintf("%.5f", x.MeanKL), fmt.Sprintf("%.4f", x.PPL)); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "gollm: the ranking is in %s: --attn-plan %s --hyper-layers L runs Hyper in its first L layers\n", pf.calibrate, pf.calibrate)
	return nil
}

// readCalibration reads an --attn-plan file's ranking.
func readCalibration(path string) ([]int, error) {
	b, err := readlimit.ReadFile(path, readlimit.Config)
	if err != nil {
		return nil, fmt.Errorf("--attn-plan: %w", err)
	}
	var c calibration
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("--attn-plan %s: %w", path, err)
	}
	if len(c.Ranked) == 0 {
		return nil, fmt.Errorf("--attn-plan %s ranks no layers (make it with gollm perplexity --calibrate)", path)
	}
	return c.Ranked, nil
}
