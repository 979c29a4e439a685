package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/internal/sysmem"
)

// attnBenchOpts are the flags of `gollm bench attention`.
type attnBenchOpts struct {
	ns           []int
	heads        int
	kvHeads      int
	dim          int
	causal       bool
	json         bool
	exactMax     int
	referenceMax int
	flashMax     int
	threads      int
	seed         uint64
	plan         attention.PlanSpec
}

func init() {
	o := attnBenchOpts{plan: attention.DefaultPlanSpec()}
	cmd := &cobra.Command{
		Use:   "attention",
		Short: "Time exact, Flash and HyperAttention on one layer's inputs, with Hyper's error",
		Long: `Times one attention call (prefill: NQ = NK = n) of exact (standard attention
on the GEMM kernels), Flash and Hyper on the same random Gaussian q, k, v, as
in the paper's single-layer figure, and reports milliseconds, speedups and
the relative error ‖out − exact‖/‖exact‖ (Frobenius; against the float64
reference kernel where it ran, --reference-max). Exact runs up to
--exact-max. Short calls are repeated and the median is kept. Hyper's
settings come from the --hyper-* flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAttnBench(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&o.ns, "n", []int{4096, 8192, 16384, 32768, 65536, 131072}, "sequence lengths")
	f.IntVar(&o.heads, "heads", 1, "query heads")
	f.IntVar(&o.kvHeads, "kv-heads", 0, "KV heads (0 = --heads)")
	f.IntVar(&o.dim, "dim", 64, "head dimension")
	f.BoolVar(&o.causal, "causal", false, "causal mask")
	f.BoolVar(&o.json, "json", false, "one JSON object per (n, kernel) on stdout")
	f.IntVar(&o.exactMax, "exact-max", 1<<30, "largest n for which exact runs")
	f.IntVar(&o.referenceMax, "reference-max", 0, "largest n for which the float64 reference kernel runs (slow: an hour at 16k)")
	f.IntVar(&o.flashMax, "flash-max", 1<<30, "largest n for which Flash runs")
	addThreads(f, &o.threads)
	addSeed(f, &o.seed, 1, "seed of the inputs and of Hyper")
	addHyperFlags(f, &o.plan)
	benchCmd.AddCommand(cmd)
}

// attnResult is one (n, kernel) line of the JSON output.
type attnResult struct {
	N      int      `json:"n"`
	Heads  int      `json:"heads"`
	Dim    int      `json:"dim"`
	Causal bool     `json:"causal"`
	Kernel string   `json:"kernel"`
	MS     float64  `json:"ms"` // median
	Timing timing   `json:"timing"`
	RelErr *float64 `json:"rel_err"`
	// RelErrFlash is the error against Flash (exact to ~1e-6), given for
	// Hyper where Flash ran, so large n where Exact is too slow have one.
	RelErrFlash *float64 `json:"rel_err_flash,omitempty"`
}

func runAttnBench(w io.Writer, o attnBenchOpts) error {
	cfg, err := o.plan.HyperConfig()
	if err != nil {
		return err
	}
	if o.kvHeads == 0 {
		o.kvHeads = o.heads
	}
	switch {
	case o.heads < 1 || o.kvHeads < 1 || o.heads%o.kvHeads != 0:
		return fmt.Errorf("--heads %d, --kv-heads %d: need heads ≥ 1 and a multiple of kv-heads", o.heads, o.kvHeads)
	case o.dim < 1:
		return fmt.Errorf("--dim %d: must be ≥ 1", o.dim)
	}
	for _, n := range o.ns {
		if n < 1 {
			return fmt.Errorf("--n %d: must be ≥ 1", n)
		}
		// q, k, v and the output of each of up to four kernels, kept to
		// compare them (float64 first: absurd sizes must not overflow).
		need := 4 * float64(n) * float64(o.dim) * float64(5*o.heads+2*o.kvHeads)
		if err := sysmem.Check(int64(min(need, math.MaxInt64/2)), fmt.Sprintf("--n %d", n), "use a smaller --n, --dim or --heads"); err != nil {
			return err
		}
	}
	if err := setThreads(o.threads); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gollm bench attention: heads %d/%d, dim %d, causal %v, %d threads, hyper %s\n",
		o.heads, o.kvHeads, o.dim, o.causal, parallel.Threads(), cfg)
	rep, err := newBenchReport(w, o.json, benchColumn{"n", 8}, benchColumn{"exact_ms", 10}, benchColumn{"flash_ms", 10},
		benchColumn{"hyper_ms", 10}, benchColumn{"flash/exact", 12}, benchColumn{"hyper/flash", 12}, benchColumn{"hyper_err", 10})
	if err != nil {
		return err
	}
	for _, n := range o.ns {
		if err := emitAttn(rep, n, benchAttnN(o, cfg, n)); err != nil {
			return err
		}
	}
	return nil
}

// emitAttn writes the results at n: one JSON object per kernel, or one
// table row.
func emitAttn(rep *benchReport, n int, res []attnResult) error {
	if !rep.json {
		return rep.row(attnRow(n, res)...)
	}
	for _, r := range res {
		if err := rep.object(r); err != nil {
			return err
		}
	}
	return nil
}

// attnTimer times one attention call: three runs, or one when it is long.
var attnTimer = benchTimer{reps: 3, enough: 2}

// benchAttnN times the kernels at one n.
func benchAttnN(o attnBenchOpts, cfg attention.HyperConfig, n int) []attnResult {
	s := attention.Shape{Heads: o.heads, KVHeads: o.kvHeads, NQ: n, NK: n, Dim: o.dim}
	p := attention.Params{Scale: float32(1 / math.Sqrt(float64(o.dim))), Causal: o.causal}
	rng := rand.New(rand.NewPCG(o.seed, uint64(n)))
	gauss := func(m int) []float32 {
		x := make([]float32, m)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	q, k, v := gauss(s.Heads*n*s.Dim), gauss(s.KVHeads*n*s.Dim), gauss(s.KVHeads*n*s.Dim)
	var kerns []attention.Kernel
	if n <= o.referenceMax {
		kerns = append(kerns, attention.Reference{})
	}
	if n <= o.exactMax {
		kerns = append(kerns, attention.Exact{})
	}
	if n <= o.flashMax {
		kerns = append(kerns, attention.Flash{})
	}
	kerns = append(kerns, attention.NewHyper(cfg, 0, o.seed))
	outs := map[string][]float32{}
	var res []attnResult
	for _, kern := range kerns {
		out := make([]float32, s.Heads*n*s.Dim)
		lse := make([]float32, s.Heads*n)
		tm := attnTimer.time(func() { kern.Attend(out, lse, q, k, v, s, p) })
		fmt.Fprintf(os.Stderr, "  n %d %s: %.1f ms\n", n, kern.Name(), 1000*tm.Median)
		outs[kern.Name()] = out
		res = append(res, attnResult{N: n, Heads: o.heads, Dim: o.dim, Causal: o.causal, Kernel: kern.Name(), MS: 1000 * tm.Median, Timing: tm})
	}
	ref, ok := outs["reference"]
	if !ok {
		ref, ok = outs["exact"]
	}
	for i := range res {
		if ok {
			e := attention.RelErr(outs[res[i].Kernel], ref)
			res[i].RelErr = &e
		}
		if ref, ok := outs["flash"]; ok && res[i].Kernel == "hyper" {
			e := attention.RelErr(outs["hyper"], ref)
			res[i].RelErrFlash = &e
		}
	}
	return res
}

// attnRow is one table row: times, speedups and Hyper's error (against
// exact where it ran, else against Flash, marked "~").
func attnRow(n int, res []attnResult) []string {
	ms := map[string]float64{}
	herr := "-"
	for _, r := range res {
		ms[r.Kernel] = r.MS
		if r.Kernel == "hyper" {
			switch {
			case r.RelErr != nil:
				herr = fmt.Sprintf("%.4f", *r.RelErr)
			case r.RelErrFlash != nil:
				herr = fmt.Sprintf("~%.4f", *r.RelErrFlash)
			}
		}
	}
	cell := func(k string) string {
		if v, ok := ms[k]; ok {
			return fmt.Sprintf("%.1f", v)
		}
		return "-"
	}
	ratio := func(a, b string) string {
		if ms[a] > 0 && ms[b] > 0 {
			return fmt.Sprintf("%.2fx", ms[a]/ms[b])
		}
		return "-"
	}
	return []string{strconv.Itoa(n), cell("exact"), cell("flash"), cell("hyper"),
		ratio("exact", "flash"), ratio("flash", "hyper"), herr}
}
