package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/eval"
	"github.com/gollm/gollm/internal/sysmem"
	"github.com/gollm/gollm/weights"
)

// pplFlags are the perplexity command's own flags.
type pplFlags struct {
	files, data     []string
	ctx             int
	windows, chunks int
	protocol        string
	stride          int
	field           string
	skipBad         bool
	sweep           sweepFlags
	kl              bool
	decodeLast      int // --decode-last M
	asJSON          bool
	csv, plot       string
	calibrate       string // --calibrate FILE: rank the layers by the cost of Hyper in each alone
	shard           string // --shard i/N | auto: evaluate only that shard's units
	shardCount      int    // --shard-count N, with --shard auto under Kubernetes
	outPart         string // --out-part FILE: write the units' sums for perplexity merge
}

// sharded reports whether the run evaluates a shard into a part file.
func (pf *pplFlags) sharded() bool { return pf.shard != "" || pf.outPart != "" }

func init() {
	var mf modelFlags
	var pf pplFlags
	cmd := &cobra.Command{
		Use:   "perplexity",
		Short: "Perplexity of a model on texts, folders or LongBench JSONL, with HyperAttention sweeps and KL",
		Long: `Perplexity of a model on long documents, under one of three protocols:
  windows   the first K non-overlapping windows of N tokens (default; --stride S: HF's sliding window)
  paper     the HyperAttention script: documents of ≥ N tokens, truncated to N, one forward each
  llamacpp  llama-perplexity: chunks of N, only the second half of each chunk scored
--hyper-layers 0,2,4 (or 0-8) sweeps HyperAttention over the final L layers on the same tokens,
--repeats R seeds per randomized setting; --kl compares every setting with the L = 0 run.
PPL is e^CE (CE: mean NLL in nats); "base 2" columns are 2^CE, the released script's convention.
--shard i/N --out-part FILE evaluates one shard of the windows into a part file (--shard auto: the
index from a Kubernetes Indexed Job or a Slurm array); gollm perplexity merge PART... prints the
report of all the parts, equal to the unsharded run's (docs/scale-out.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPerplexity(cmd.Context(), &mf, &pf)
		},
	}
	f := cmd.Flags()
	mf.registerForSweeps(f)
	pf.sweep.register(f)
	f.StringArrayVar(&pf.files, "file", nil, "text file to evaluate (repeatable)")
	f.StringArrayVar(&pf.data, "data", nil, "text file, folder of .txt files or LongBench .jsonl (repeatable)")
	f.IntVar(&pf.ctx, "ctx", 1024, "tokens per window (N)")
	f.IntVar(&pf.windows, "windows", 0, "evaluate at most K windows (documents under paper; default: all)")
	f.IntVar(&pf.chunks, "chunks", 0, "llama-perplexity's name for --windows")
	f.StringVar(&pf.protocol, "protocol", eval.ProtocolWindows, "windows | paper | llamacpp")
	f.IntVar(&pf.stride, "stride", 0, "windows protocol: HF sliding window with this stride (0: non-overlapping)")
	f.StringVar(&pf.field, "field", "context", "JSONL field holding the text")
	f.BoolVar(&pf.skipBad, "skip-bad", false, "skip JSONL lines that do not parse or lack --field (counted) instead of failing")
	f.BoolVar(&pf.kl, "kl", false, "compare each setting's next-token distributions with the L = 0 run: KL, top-1, |Δp|")
	f.IntVar(&pf.decodeLast, "decode-last", 0, "score only the last M targets of each window, each through a single-token decode step after a prefill of the rest (what --hyper-decode changes)")
	addReportFlags(f, &pf)
	f.StringVar(&pf.calibrate, "calibrate", "", "instead of a sweep, run Hyper in each layer alone, rank the layers by KL against the plan without Hyper and write the ranking (an --attn-plan file) here")
	f.StringVar(&pf.shard, "shard", "", "evaluate only shard i of N of the windows (each with all its settings): i/N, or auto from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID (Slurm); needs --out-part")
	f.IntVar(&pf.shardCount, "shard-count", 0, "with --shard auto: the number of shards (a Kubernetes Indexed Job's completions; Slurm arrays say it themselves)")
	f.StringVar(&pf.outPart, "out-part", "", "write the shard's sums to this part file (JSON) for gollm perplexity merge, instead of the report")
	cmd.AddCommand(newPerplexityMergeCmd())
	rootCmd.AddCommand(cmd)
}

// addReportFlags adds the report's flags, which perplexity and perplexity
// merge share: --json, --csv, --plot.
func addReportFlags(f *pflag.FlagSet, pf *pplFlags) {
	f.BoolVar(&pf.asJSON, "json", false, "print one JSON line per setting instead of the table")
	f.StringVar(&pf.csv, "csv", "", "also write the table as CSV to this file")
	f.StringVar(&pf.plot, "plot", "", "also draw perplexity and time against L into this PNG")
}

func runPerplexity(parent context.Context, mf *modelFlags, pf *pplFlags) error {
	if pf.sweep.patterns == "" { // the default: the plan file's ranking when there is one
		pf.sweep.patterns = "last"
		if mf.planFile != "" {
			pf.sweep.patterns = "calibrated"
		}
	}
	sw, err := pf.sweep.parse()
	if err != nil {
		return fmt.Errorf("perplexity: %w", err)
	}
	shard, err := pf.shardSpec(os.Getenv)
	if err != nil {
		return fmt.Errorf("perplexity: %w", err)
	}
	limit, err := windowCap(pf.windows, pf.chunks)
	if err != nil {
		return fmt.Errorf("perplexity: %w", err)
	}
	proto := eval.Protocol{Name: pf.protocol, Ctx: pf.ctx, Stride: pf.stride, Max: limit}
	if err := proto.Validate(); err != nil {
		return fmt.Errorf("perplexity: %w", err)
	}
	ds, err := loadDatasets(pf)
	if err != nil {
		return err
	}
	l, err := mf.open()
	if err != nil {
		return err
	}
	defer l.close()
	s, err := newPplEvaluation(l, mf, pf, sw, proto, ds)
	if err != nil {
		return err
	}
	switch {
	case pf.sharded():
		return runShard(parent, l, mf, s, shard, pf.outPart)
	case pf.calibrate != "":
		if err := evaluatePerplexity(parent, s.ev, s.rep); err != nil {
			return fmt.Errorf("perplexity: %w", err)
		}
		return writeCalibration(os.Stdout, pf, mf, s.ev)
	}
	if !pf.asJSON {
		s.rep.header(os.Stdout)
	}
	err = evaluatePerplexity(parent, s.ev, s.rep)
	return reportPerplexity(s.ev, s.rep, err)
}

// shardSpec checks the sharding flags: --shard (0/1 when only --out-part
// is given) with --out-part, and none of the report's own flags, which
// belong to merge. Under --shard auto it says on stderr which shard the
// batch engine's variables (getenv) chose.
func (pf *pplFlags) shardSpec(getenv func(string) string) (shardSpec, error) {
	if !pf.sharded() {
		if pf.shardCount != 0 {
			return shardSpec{}, fmt.Errorf("--shard-count goes with --shard auto")
		}
		return shardSpec{}, nil
	}
	if pf.outPart == "" {
		return shardSpec{}, fmt.Errorf("--shard %s needs --out-part FILE, where the shard's sums go", pf.shard)
	}
	for _, f := range []struct {
		set  bool
		name string
	}{{pf.asJSON, "--json"}, {pf.csv != "", "--csv"}, {pf.plot != "", "--plot"}, {pf.calibrate != "", "--calibrate"}} {
		if f.set {
			return shardSpec{}, fmt.Errorf("%s does not go with --shard/--out-part: a shard writes only its part; gollm perplexity merge PART... prints the report (and takes --json, --csv, --plot)", f.name)
		}
	}
	if pf.shard == "" {
		return shardSpec{Index: 0, Count: 1}, nil
	}
	s, note, err := resolveShard(pf.shard, pf.shardCount, getenv)
	if note != "" {
		fmt.Fprintf(os.Stderr, "gollm: --shard auto: %s\n", note)
	}
	return s, err
}

// pplSetup is a perplexity run ready to evaluate: the evaluation, its
// report, and what a part file's identity is made of.
type pplSetup struct {
	ev       *eval.Evaluation
	rep      *pplReport
	ids      [][]int // every document's tokens
	spans    []eval.Span
	settings []eval.Setting
	ref      *attention.Plan // the KL reference, nil without --kl
}

// newPplEvaluation checks --ctx against the model and the memory,
// tokenizes the data and sets up the sweep's evaluation and its report.
func newPplEvaluation(l *loaded, mf *modelFlags, pf *pplFlags, sw sweep, proto eval.Protocol, ds *dataset) (*pplSetup, error) {
	if max := l.ckpt.Config.MaxPositions; max > 0 && pf.ctx > max {
		return nil, fmt.Errorf("perplexity: --ctx %d exceeds the model's context of %d tokens", pf.ctx, max)
	}
	if err := sysmem.Check(l.model.StateBytes(pf.ctx, weights.F32), fmt.Sprintf("perplexity: a KV cache and scratch for --ctx %d", pf.ctx),
		"use a smaller --ctx"); err != nil {
		return nil, err
	}
	ds.tokenize(l.tok)
	lay, err := proto.Spans(ds.lengths())
	if err != nil {
		return nil, fmt.Errorf("perplexity: %w", err)
	}
	if len(lay.Spans) == 0 {
		return nil, fmt.Errorf("perplexity: nothing to score: %s", ds.tooShort(proto))
	}
	settings, ref, err := sw.settings(mf, l.model.Layers(), pf.kl)
	if pf.calibrate != "" && err == nil {
		settings, ref, err = calibrationSettings(mf, sw, l.model.Layers())
	}
	if err != nil {
		return nil, fmt.Errorf("perplexity: %w", err)
	}
	if err := checkDecodeLast(mf.plan.HyperDecode, pf.decodeLast, settings); err != nil {
		return nil, fmt.Errorf("perplexity: %w", err)
	}
	ev, err := eval.NewEvaluation(l.model, ds.ids, lay.Spans, settings, ref)
	if err != nil {
		return nil, fmt.Errorf("perplexity: %w", err)
	}
	ev.DecodeLast = pf.decodeLast
	rep := &pplReport{flags: pf, head: newPplHeader(ds, proto, lay, pf.decodeLast, l.plan.String()), timed: true}
	return &pplSetup{ev: ev, rep: rep, ids: ds.ids, spans: lay.Spans, settings: settings, ref: ref}, nil
}

// evaluatePerplexity runs ev under a progress bar until it ends or Ctrl-C
// stops it (context.Canceled), and times it for the report.
func evaluatePerplexity(parent context.Context, ev *eval.Evaluation, rep *pplReport) error {
	ctx, stop := stopContext(parent)
	defer stop()
	start := time.Now()
	bar := newProgress(stderrIsTerminal(), "forward passes")
	done := make(chan error, 1)
	go func() {
		done <- ev.Evaluate(ctx, func(p eval.Progress) {
			if p.SpanDone {
				rep.spanDone(os.Stdout, func() eval.Run { return ev.Runs()[0] })
				return
			}
			bar.update(p.Forwards, p.TotalForwards)
		})
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	bar.done()
	rep.wall = time.Since(start).Seconds()
	return err
}

// reportPerplexity writes what ev scored, also after an interrupt (err
// context.Canceled), which then ends the command with errInterrupted.
func reportPerplexity(ev *eval.Evaluation, rep *pplReport, err error) error {
	runs := ev.Runs()
	interrupted, err := partialResult("perplexity", err, runs[0].Windows, rep.head.Spans, "windows")
	if err != nil {
		return err
	}
	if runs[0].TokensScored == 0 {
		return fmt.Errorf("perplexity: nothing was scored")
	}
	sums := eval.Summarize(runs)
	for _, s := range sums {
		kl := 0.0
		if s.KL != nil {
			kl = s.KL.MeanKL + s.KL.MaxKL
		}
		if !isFinite(s.PPL) || !isFinite(s.DocPPL) || !isFinite(kl) {
			return fmt.Errorf("perplexity: %s: perplexity %v (per document %v, mean NLL %v nats) or its KL is not finite: not reported", s.Plan, s.PPL, s.DocPPL, s.MeanNLL)
		}
	}
	if err := rep.write(os.Stdout, sums); err != nil {
		return err
	}
	if interrupted {
		return errInterrupted
	}
	return nil
}

// isFinite reports whether x is neither NaN nor ±Inf.
func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// checkDecodeLast refuses a negative --decode-last, and --hyper-decode
// when no decode step or no Hyper layer would use it.
func checkDecodeLast(hyperDecode bool, decodeLast int, settings []eval.Setting) error {
	if decodeLast < 0 {
		return fmt.Errorf("--decode-last must be ≥ 0, got %d", decodeLast)
	}
	if !hyperDecode {
		return nil
	}
	if decodeLast == 0 {
		return fmt.Errorf("--hyper-decode only changes decode steps: add --decode-last M to score the last M targets of each window through them")
	}
	for _, s := range settings {
		if s.HyperLayers > 0 {
			return nil
		}
	}
	return errNoHyperLayers
}

// windowCap merges --windows and --chunks, which are the same cap.
func windowCap(windows, chunks int) (int, error) {
	if windows < 0 || chunks < 0 {
		return 0, fmt.Errorf("--windows and --chunks must be ≥ 0")
	}
	if windows > 0 && chunks > 0 && windows != chunks {
		return 0, fmt.Errorf("--windows %d and --chunks %d disagree (they are the same cap)", windows, chunks)
	}
	return max(windows, chunks), nil
}
