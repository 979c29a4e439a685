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
	kvFill    int    // --kv-fill: random cache positions before decoding
	kvType    string // --kv-type of the decode cache
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
--kv-fill N decodes after N positions of random keys and values instead (a
long cache without its prefill; the shapes allow 131072 positions): one
untimed step (which indexes the cache under --hyper-decode), then tg timed.
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
	f.IntVar(&o.kvFill, "kv-fill", 0, "decode after this many positions of random keys and values in the cache")
	f.StringVar(&o.kvType, "kv-type", "auto", fmt.Sprintf("decode KV cache storage: f32, f16, bf16, or auto (f16 beyond %d cached positions)", attention.AutoF16Positions))
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
	Test      string  `json:"test"` // ppN or tgN, as llama-bench names them; tgN@dF after --kv-fill F
	KVType    string  `json:"kv_type,omitempty"`
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
	if o.reps < 1 || o.tg < 0 || o.kvFill < 0 {
		return fmt.Errorf("--reps must be ≥ 1, --tg and --kv-fill ≥ 0 (got %d, %d, %d)", o.reps, o.tg, o.kvFill)
	}
	kv, err := attention.ParseKVType(o.kvType, o.kvFill)
	if err != nil {
		return err
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
	if o.plan.HyperDecode && plan.HyperLayers() == 0 {
		return errNoHyperLayers
	}
	c := m.Config
	weights := float64(c.Layers) * float64(c.Hidden) *
		float64(2*c.Heads*c.HeadDim+2*c.KVHeads*c.HeadDim+3*c.Intermediate)
	head := float64(c.Hidden) * float64(c.VocabSize)
	fmt.Fprintf(os.Stderr, "gollm bench model: %s, %d layers, hidden %d, backend %s, %d threads, attention %s\n",
		name, c.Layers, c.Hidden, kernels.Backend(), parallel.Threads(), plan)
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
		untimed := min(o.kvFill, 1) // the step after a fill is not timed
		ids := tokens(untimed + o.tg)
		s := m.NewStateOf(o.kvFill+untimed+o.tg, kv)
		logits := make([]float32, c.VocabSize)
		step := func(id int) error {
			hidden, err := m.Forward(s, []int{id}, plan)
			if err == nil {
				m.Logits(logits, hidden, 1)
			}
			return err
		}
		secs, err := medianOf(o.reps, func() (float64, error) {
			s.Reset()
			if err := m.FillRandom(s, o.kvFill, o.seed); err != nil {
				return 0, err
			}
			for _, id := range ids[:untimed] {
				if err := step(id); err != nil {
					return 0, err
				}
			}
			start := time.Now()
			for _, id := range ids[untimed:] {
				if err := step(id); err != nil {
					return 0, err
				}
			}
			return time.Since(start).Seconds(), nil
		})
		if err != nil {
			return err
		}
		flops := 2 * (weights + head) * float64(o.tg)
		test := fmt.Sprintf("tg%d", o.tg)
		if o.kvFill > 0 {
			test += fmt.Sprintf("@d%d", o.kvFill)
		}
		r := modelBenchResult{Model: name, Test: test, Threads: parallel.Threads(), KVType: kv.String(),
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
	return medianOf(reps, func() (float64, error) {
		t := time.Now()
		err := f()
		return time.Since(t).Seconds(), err
	})
}

// medianOf runs f once to warm up, then reps times, and returns the median
// of the seconds f measured itself.
func medianOf(reps int, f func() (float64, error)) (float64, error) {
	if _, err := f(); err != nil {
		return 0, err
	}
	ts := make([]float64, reps)
	for i := range ts {
		var err error
		if ts[i], err = f(); err != nil {
			return 0, err
		}
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
