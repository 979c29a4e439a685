package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
)

// modelBenchOpts are the flags of `gollm bench model`.
type modelBenchOpts struct {
	dir       string
	shape     string
	random    bool
	pp        []int
	tg        int
	reps      int
	threads   int
	allLogits bool
	json      bool
	seed      uint64
	plan      attention.PlanFlags
}

func init() {
	var o modelBenchOpts
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Prefill and decode tokens/s of a model, like llama-bench",
		Long: `Runs pp random tokens through a fresh KV cache (prefill, logits of the last
token only unless --all-logits) and tg single-token decode steps from an
empty cache (logits every step), and prints tokens/s (median of --reps).
The model is --model DIR, the embedded default when neither flag is given,
or --shape NAME --random: a built-in shape with random bf16 weights (` + benchShapeNames() + `).
gflops counts the weight matrix products only (2 × weights × tokens / s).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runModelBench(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "model", "", "HF model folder (default: the embedded model)")
	f.StringVar(&o.shape, "shape", "", "built-in shape to run with --random: "+benchShapeNames())
	f.BoolVar(&o.random, "random", false, "use random weights of --shape")
	f.IntSliceVar(&o.pp, "pp", []int{512}, "prompt lengths to prefill; repeatable")
	f.IntVar(&o.tg, "tg", 128, "tokens to decode (0 skips decode)")
	f.IntVar(&o.reps, "reps", 3, "repeats per measurement (median reported)")
	f.IntVar(&o.threads, "threads", 0, "worker threads (default: all cores)")
	f.BoolVar(&o.allLogits, "all-logits", false, "prefill computes logits for every token (as perplexity does)")
	f.BoolVar(&o.json, "json", false, "one JSON object per measurement on stdout")
	f.Uint64Var(&o.seed, "seed", 42, "seed of the random weights, tokens and HyperAttention")
	o.plan.Register(f)
	benchCmd.AddCommand(cmd)
}

// modelBenchResult is one output line.
type modelBenchResult struct {
	Model     string  `json:"model"`
	Test      string  `json:"test"` // ppN or tgN, as llama-bench names them
	Threads   int     `json:"threads"`
	Prefill   float64 `json:"prefill_tokens_per_s,omitempty"`
	Decode    float64 `json:"decode_tokens_per_s,omitempty"`
	GFLOPS    float64 `json:"gflops"`
	AllLogits bool    `json:"all_logits,omitempty"`
}

func runModelBench(w io.Writer, o modelBenchOpts) error {
	if o.threads < 0 {
		return fmt.Errorf("--threads must be ≥ 0, got %d", o.threads)
	}
	if o.reps < 1 || o.tg < 0 {
		return fmt.Errorf("--reps must be ≥ 1 and --tg ≥ 0 (got %d, %d)", o.reps, o.tg)
	}
	for _, p := range o.pp {
		if p < 1 {
			return fmt.Errorf("--pp %d: must be ≥ 1", p)
		}
	}
	parallel.SetThreads(o.threads)
	ckpt, name, err := openBenchCheckpoint(o)
	if err != nil {
		return err
	}
	defer ckpt.Close()
	m, err := model.Load(ckpt)
	if err != nil {
		return err
	}
	plan, err := o.plan.Build(m.Layers(), o.seed)
	if err != nil {
		return err
	}
	c := m.Config
	weights := float64(c.Layers) * float64(c.Hidden) *
		float64(2*c.Heads*c.HeadDim+2*c.KVHeads*c.HeadDim+3*c.Intermediate)
	head := float64(c.Hidden) * float64(c.VocabSize)
	fmt.Fprintf(os.Stderr, "gollm bench model: %s, %d layers, hidden %d, backend %s, %d threads\n",
		name, c.Layers, c.Hidden, kernels.Backend(), parallel.Threads())
	rng := rand.New(rand.NewPCG(o.seed, 1))
	tokens := func(n int) []int {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = rng.IntN(c.VocabSize)
		}
		return ids
	}
	for _, pp := range o.pp {
		ids := tokens(pp)
		s := m.NewState(pp)
		logitRows := 1
		if o.allLogits {
			logitRows = pp
		}
		logits := make([]float32, logitRows*c.VocabSize)
		secs, err := medianRun(o.reps, func() error {
			s.Reset()
			hidden, err := m.Forward(s, ids, plan)
			if err == nil {
				m.Logits(logits, hidden[(pp-logitRows)*c.Hidden:], logitRows)
			}
			return err
		})
		if err != nil {
			return err
		}
		flops := 2 * (weights*float64(pp) + head*float64(logitRows))
		r := modelBenchResult{Model: name, Test: fmt.Sprintf("pp%d", pp), Threads: parallel.Threads(),
			Prefill: float64(pp) / secs, GFLOPS: flops / secs / 1e9, AllLogits: o.allLogits}
		if err := emitModelBench(w, o.json, r); err != nil {
			return err
		}
	}
	if o.tg > 0 {
		ids := tokens(o.tg)
		s := m.NewState(o.tg)
		logits := make([]float32, c.VocabSize)
		secs, err := medianRun(o.reps, func() error {
			s.Reset()
			for i := range ids {
				hidden, err := m.Forward(s, ids[i:i+1], plan)
				if err != nil {
					return err
				}
				m.Logits(logits, hidden, 1)
			}
			return nil
		})
		if err != nil {
			return err
		}
		flops := 2 * (weights + head) * float64(o.tg)
		r := modelBenchResult{Model: name, Test: fmt.Sprintf("tg%d", o.tg), Threads: parallel.Threads(),
			Decode: float64(o.tg) / secs, GFLOPS: flops / secs / 1e9}
		if err := emitModelBench(w, o.json, r); err != nil {
			return err
		}
	}
	return nil
}

// openBenchCheckpoint opens --model, the default model, or a random shape.
func openBenchCheckpoint(o modelBenchOpts) (*loader.Checkpoint, string, error) {
	switch {
	case o.shape != "" || o.random:
		if o.dir != "" {
			return nil, "", fmt.Errorf("--model and --shape/--random are exclusive")
		}
		s, ok := benchShapes[o.shape]
		if !ok || !o.random {
			return nil, "", fmt.Errorf("--shape %q --random: want --random with one of %s", o.shape, benchShapeNames())
		}
		fmt.Fprintf(os.Stderr, "building random %s weights…\n", o.shape)
		c, err := randomCheckpoint(o.shape, s, o.seed)
		return c, o.shape + " (random bf16)", err
	default:
		c, err := openCheckpoint(o.dir)
		name := o.dir
		if name == "" {
			name = "default"
		}
		return c, name, err
	}
}

// medianRun runs f once to warm up, then reps times, and returns the
// median duration in seconds.
func medianRun(reps int, f func() error) (float64, error) {
	if err := f(); err != nil {
		return 0, err
	}
	ts := make([]float64, reps)
	for i := range ts {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ts[i] = time.Since(t).Seconds()
	}
	slices.Sort(ts)
	return ts[reps/2], nil
}

func emitModelBench(w io.Writer, asJSON bool, r modelBenchResult) error {
	if asJSON {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	tps := r.Prefill + r.Decode
	_, err := fmt.Fprintf(w, "%-32s %8s %3d threads %10.1f tokens/s %8.1f GFLOP/s\n", r.Model, r.Test, r.Threads, tps, r.GFLOPS)
	return err
}
