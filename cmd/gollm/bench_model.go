package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/internal/sysmem"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/weights"
)

// modelBenchOpts are the flags of `gollm bench model`.
type modelBenchOpts struct {
	dir       string
	shape     string
	random    bool
	pp        []int
	tg        int
	kvFill    int        // --kv-fill: random cache positions before decoding
	kvType    kvTypeFlag // of the decode cache
	reps      int
	threads   int
	allLogits bool
	bound     bool // --bound: measure bandwidth, report decode's share of the bound
	json      bool
	seed      uint64
	weights   weightsFlag
	plan      attention.PlanSpec
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
gflops counts the weight matrix products only (2 × weights × tokens / s).
--bound also measures the copy bandwidth (as bench memory does: two 1 GiB
buffers, so the resident set grows by 2 GiB) and prints the decode row's
share of the bound it sets, copy GB/s over the weight bytes a step reads
(JSON: of_bound).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runModelBench(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "model", "", "HF model folder or GGUF file (default: the embedded model)")
	o.weights.register(f)
	f.StringVar(&o.shape, "shape", "", "built-in shape to run with --random: "+benchShapeNames())
	f.BoolVar(&o.random, "random", false, "use random weights of --shape")
	f.IntSliceVar(&o.pp, "pp", []int{512}, "prompt lengths to prefill; repeatable")
	f.IntVar(&o.tg, "tg", 128, "tokens to decode (0 skips decode)")
	f.IntVar(&o.kvFill, "kv-fill", 0, "decode after this many positions of random keys and values in the cache")
	o.kvType.register(f, fmt.Sprintf("beyond %d cached positions", attention.AutoF16Positions))
	f.IntVar(&o.reps, "reps", 3, "repeats per measurement (median reported)")
	addThreads(f, &o.threads)
	f.BoolVar(&o.allLogits, "all-logits", false, "prefill computes logits for every token (as perplexity does)")
	f.BoolVar(&o.bound, "bound", false, "measure the copy bandwidth and report decode's share of the bound it sets")
	f.BoolVar(&o.json, "json", false, "one JSON object per measurement on stdout")
	addSeed(f, &o.seed, 42, "seed of the random weights, tokens and HyperAttention")
	addPlanFlags(f, &o.plan)
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
	Timing    timing  `json:"timing"` // of the whole prefill, or of the tg steps
	// Decode rows: the weight bytes a step reads, the copy bandwidth, the
	// tokens/s they allow, and the share of it reached.
	StepBytes int64   `json:"decode_bytes_per_token,omitempty"`
	CopyGBs   float64 `json:"copy_gb_per_s,omitempty"`
	BoundTokS float64 `json:"bound_tokens_per_s,omitempty"`
	OfBound   float64 `json:"of_bound,omitempty"`
}

// modelBench is one model under test and what every measurement needs.
type modelBench struct {
	o       modelBenchOpts
	name    string
	m       *model.Model
	plan    *attention.Plan
	weights float64 // weights in the layers' matrix products
	head    float64 // weights of the output head
	tokens  func(n int) []int
	timer   benchTimer
	rep     *benchReport
}

func runModelBench(w io.Writer, o modelBenchOpts) error {
	if err := setThreads(o.threads); err != nil {
		return err
	}
	if o.reps < 1 || o.tg < 0 || o.kvFill < 0 {
		return fmt.Errorf("--reps must be ≥ 1, --tg and --kv-fill ≥ 0 (got %d, %d, %d)", o.reps, o.tg, o.kvFill)
	}
	kv, err := o.kvType.resolve(o.kvFill)
	if err != nil {
		return err
	}
	for _, p := range o.pp {
		if p < 1 {
			return fmt.Errorf("--pp %d: must be ≥ 1", p)
		}
	}
	ckpt, name, err := openBenchCheckpoint(o)
	if err != nil {
		return err
	}
	defer ckpt.Close()
	m, err := o.weights.load(ckpt)
	if err != nil {
		return err
	}
	maxPP := slices.Max(append([]int{1}, o.pp...))
	if err := sysmem.Check(max(m.StateBytes(maxPP, weights.F32), m.StateBytes(o.kvFill+o.tg+1, kv)),
		fmt.Sprintf("a KV cache and scratch for --pp %d or --kv-fill %d + --tg %d tokens", maxPP, o.kvFill, o.tg),
		"use smaller --pp, --kv-fill or --tg"); err != nil {
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
	rep, err := newBenchReport(w, o.json, benchColumn{"model", -32}, benchColumn{"test", 8}, benchColumn{"threads", 7},
		benchColumn{"tokens/s", 10}, benchColumn{"GFLOP/s", 8})
	if err != nil {
		return err
	}
	b := &modelBench{o: o, name: name, m: m, plan: plan, weights: weights, head: head, tokens: tokens,
		timer: benchTimer{warmUp: true, reps: o.reps}, rep: rep}
	for _, pp := range o.pp {
		if err := b.prefill(pp); err != nil {
			return err
		}
	}
	if o.tg > 0 {
		return b.decode(kv)
	}
	return nil
}

// prefill times pp random tokens through a fresh cache.
func (b *modelBench) prefill(pp int) error {
	m, c := b.m, b.m.Config
	ids := b.tokens(pp)
	s := m.NewState(pp)
	logitRows := 1
	if b.o.allLogits {
		logitRows = pp
	}
	logits := make([]float32, logitRows*c.VocabSize)
	tm, err := b.timer.measure(func() (float64, error) {
		start := time.Now()
		s.Reset()
		hidden, err := m.Forward(s, ids, b.plan)
		if err == nil {
			m.Logits(logits, hidden[(pp-logitRows)*c.Hidden:], logitRows)
		}
		return time.Since(start).Seconds(), err
	})
	if err != nil {
		return err
	}
	secs := tm.Median
	flops := 2 * (b.weights*float64(pp) + b.head*float64(logitRows))
	return b.emit(modelBenchResult{Model: b.name, Test: fmt.Sprintf("pp%d", pp), Threads: parallel.Threads(),
		Prefill: float64(pp) / secs, GFLOPS: flops / secs / 1e9, AllLogits: b.o.allLogits, Timing: tm})
}

// decode times --tg single-token steps after --kv-fill random positions
// and one untimed step (which indexes the cache under --hyper-decode).
func (b *modelBench) decode(kv weights.DType) error {
	o, m := b.o, b.m
	untimed := min(o.kvFill, 1) // the step after a fill is not timed
	ids := b.tokens(untimed + o.tg)
	s := m.NewStateOf(o.kvFill+untimed+o.tg, kv)
	logits := make([]float32, m.Config.VocabSize)
	step := func(id int) error {
		hidden, err := m.Forward(s, []int{id}, b.plan)
		if err == nil {
			m.Logits(logits, hidden, 1)
		}
		return err
	}
	tm, err := b.timer.measure(func() (float64, error) {
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
	secs := tm.Median
	flops := 2 * (b.weights + b.head) * float64(o.tg)
	test := fmt.Sprintf("tg%d", o.tg)
	if o.kvFill > 0 {
		test += fmt.Sprintf("@d%d", o.kvFill)
	}
	r := modelBenchResult{Model: b.name, Test: test, Threads: parallel.Threads(), KVType: kv.String(),
		Decode: float64(o.tg) / secs, GFLOPS: flops / secs / 1e9, Timing: tm}
	if o.bound {
		bw := bandwidth(1024, 3)
		r.StepBytes, r.CopyGBs = m.DecodeWeightBytes(), bw.Copy
		r.BoundTokS = bw.Copy * 1e9 / float64(r.StepBytes)
		r.OfBound = r.Decode / r.BoundTokS
	}
	if err := b.emit(r); err != nil {
		return err
	}
	if o.bound && !o.json {
		fmt.Fprintf(os.Stderr, "decode: %.0f%% of the bandwidth bound (%.1f tokens/s: %.1f GB/s copy over %s of weights a step)\n",
			100*r.OfBound, r.BoundTokS, r.CopyGBs, infoBytes(r.StepBytes))
	}
	return nil
}

// emit writes one result as JSON or a table row.
func (b *modelBench) emit(r modelBenchResult) error {
	return b.rep.add(r, r.Model, r.Test, strconv.Itoa(r.Threads), fmt.Sprintf("%.1f", r.Prefill+r.Decode), fmt.Sprintf("%.1f", r.GFLOPS))
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
