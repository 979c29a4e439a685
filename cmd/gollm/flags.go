package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/quant"
	"github.com/gollm/gollm/weights"
)

// The flag groups below are each registered by one function, which every
// command taking those flags calls: same names, defaults and help.

// addThreads adds --threads, the size of the worker pool (see setThreads).
func addThreads(fs *pflag.FlagSet, n *int) {
	fs.IntVar(n, "threads", 0, "worker threads (default: all cores)")
}

// maxThreads bounds --threads: far past any machine's cores, where each
// thread would only add a goroutine per parallel loop.
const maxThreads = 4096

// setThreads checks --threads and sizes the worker pool.
func setThreads(n int) error {
	if n < 0 || n > maxThreads {
		return fmt.Errorf("--threads must be in [0, %d] (0: one per core), got %d", maxThreads, n)
	}
	parallel.SetThreads(n)
	return nil
}

// addSeed adds --seed with a command's default and its account of what the
// seed drives.
func addSeed(fs *pflag.FlagSet, seed *uint64, def uint64, usage string) {
	fs.Uint64Var(seed, "seed", def, usage)
}

// kvTypeFlag is --kv-type: how the KV cache stores keys and values.
type kvTypeFlag struct{ name string }

// register adds --kv-type; auto says when "auto" picks f16.
func (k *kvTypeFlag) register(fs *pflag.FlagSet, auto string) {
	fs.StringVar(&k.name, "kv-type", "auto", "KV cache storage: f32, f16, bf16, or auto (f16 "+auto+")")
}

// resolve returns the storage for a cache that auto judges by n positions.
func (k kvTypeFlag) resolve(n int) (weights.DType, error) { return attention.ParseKVType(k.name, n) }

// weightsFlag is --weights, the type a safetensors model's linear maps are
// re-stored in at load, and --allow-unused-tensors.
type weightsFlag struct {
	name        string
	allowUnused bool
}

// weightsTypes are --weights' values.
var weightsTypes = map[string]quant.Type{"f32": quant.F32, "bf16": quant.BF16, "q8_0": quant.Q8_0, "q4_k": quant.Q4_K}

func (w *weightsFlag) register(fs *pflag.FlagSet) {
	fs.StringVar(&w.name, "weights", "", "re-store a safetensors model's linear weights at load: f32|bf16|q8_0|q4_k (default: as stored)")
	fs.BoolVar(&w.allowUnused, "allow-unused-tensors", false, "load a safetensors model that holds tensors its config.json never uses (refused by default: the config probably does not match the weights)")
}

// load loads the model of c with the weights --weights asks for, showing
// a progress bar and the time taken when it converts them.
func (w weightsFlag) load(c *loader.Checkpoint) (*model.Model, error) {
	o := model.LoadOptions{AllowUnused: w.allowUnused}
	if w.name == "" {
		return unusedHint(model.LoadWith(c, o))
	}
	t, ok := weightsTypes[w.name]
	if !ok {
		return nil, fmt.Errorf("--weights %q: want f32, bf16, q8_0 or q4_k", w.name)
	}
	bar := newProgress(stderrIsTerminal(), "weights to "+t.String())
	start := time.Now()
	o.Convert, o.Weights, o.Progress = true, t, bar.update
	m, err := model.LoadWith(c, o)
	bar.done()
	if err == nil {
		fmt.Fprintf(os.Stderr, "gollm: weights stored as %v in %.2f s\n", t, time.Since(start).Seconds())
	}
	return unusedHint(m, err)
}

// unusedHint adds the flag that loads anyway to model.ErrUnusedTensors.
func unusedHint(m *model.Model, err error) (*model.Model, error) {
	if errors.Is(err, model.ErrUnusedTensors) {
		return nil, fmt.Errorf("%w (--allow-unused-tensors loads it anyway)", err)
	}
	return m, err
}

// addPlanFlags adds every attention plan flag to fs, into p, with
// attention.DefaultPlanSpec's values: addHyperLayerFlags and addKernelFlags.
func addPlanFlags(fs *pflag.FlagSet, p *attention.PlanSpec) {
	addHyperLayerFlags(fs, p)
	addKernelFlags(fs, p)
}

// addHyperLayerFlags adds --hyper-layers and --hyper-pattern, which choose
// the Hyper layers by count.
func addHyperLayerFlags(fs *pflag.FlagSet, p *attention.PlanSpec) {
	d := attention.DefaultPlanSpec()
	fs.IntVar(&p.HyperLayers, "hyper-layers", d.HyperLayers, "use HyperAttention in this many layers (see --hyper-pattern), --attn in the others")
	fs.StringVar(&p.Pattern, "hyper-pattern", d.Pattern, "which layers --hyper-layers picks: last|first|even|odd (even/odd: the highest of that parity) | calibrated (the first of --attn-plan's ranking)")
}

// addKernelFlags adds the plan flags but --hyper-layers and --hyper-pattern
// (which perplexity takes as sweep lists): --attn, --layer-attn,
// --hyper-decode, --hyper-decode-window and addHyperFlags.
func addKernelFlags(fs *pflag.FlagSet, p *attention.PlanSpec) {
	d := attention.DefaultPlanSpec()
	fs.StringVar(&p.Attn, "attn", d.Attn, "attention kernel for all layers: exact (standard attention on the GEMM kernels) | flash | hyper | reference (the float64 oracle, slow)")
	fs.StringVar(&p.LayerAttn, "layer-attn", d.LayerAttn, "explicit kernels per layer range, e.g. 0-3:flash,4-7:hyper (others use --attn)")
	fs.IntVar(&p.DecodeWindow, "hyper-decode-window", d.DecodeWindow, "--hyper-decode: recent keys attended exactly (0: --hyper-min-seq, like the prefill's causal leaves)")
	fs.BoolVar(&p.HyperDecode, "hyper-decode", d.HyperDecode, "sublinear decode in Hyper layers: each new token attends to its LSH neighbourhood, the recent --hyper-block keys, the sink and samples of the cache instead of all of it")
	addHyperFlags(fs, p)
}

// addHyperFlags adds only the settings of the Hyper kernel itself (block,
// samples, projs, min-seq, sink, window, order, center), for tools that run Hyper without
// a model, such as the attention benchmark.
func addHyperFlags(fs *pflag.FlagSet, p *attention.PlanSpec) {
	d := attention.DefaultPlanSpec()
	fs.IntVar(&p.Hyper.Block, "hyper-block", d.Hyper.Block, "HyperAttention sorted block size")
	fs.IntVar(&p.Hyper.Samples, "hyper-samples", d.Hyper.Samples, "HyperAttention residual samples per head (0 disables)")
	fs.IntVar(&p.Hyper.Projs, "hyper-projs", d.Hyper.Projs, "HyperAttention LSH projections")
	fs.IntVar(&p.Hyper.MinSeq, "hyper-min-seq", d.Hyper.MinSeq, "HyperAttention is exact below this many queries")
	fs.IntVar(&p.Hyper.Sink, "hyper-sink", d.Hyper.Sink, "attend exactly to the first N keys and merge them in (0 disables)")
	fs.IntVar(&p.Hyper.Window, "hyper-window", d.Hyper.Window, "every query attends its N nearest keys exactly, an exact sliding window merged with the approximation (0 disables)")
	fs.StringVar(&p.Order, "hyper-order", d.Order, "LSH bucket order: gray (released) | inverse-gray (paper)")
	fs.BoolVar(&p.Hyper.Center, "hyper-center", d.Hyper.Center, "hash each key minus the mean key (the softmax ranks keys alike; the shared component no longer dominates their angles)")
}

// sweepFlags are perplexity's sweep: --hyper-layers and --hyper-pattern as
// lists, and --repeats; parse reads them.
type sweepFlags struct {
	layers   string // --hyper-layers LIST
	patterns string // --hyper-pattern LIST
	repeats  int
}

func (s *sweepFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.layers, "hyper-layers", "0", "HyperAttention in this many layers: one value, a list 0,2,4 or a range 0-8 (a sweep)")
	fs.StringVar(&s.patterns, "hyper-pattern", "", "which layers take Hyper: last|first|even|odd|calibrated, or a list of them (a sweep); default last, or calibrated with --attn-plan")
	fs.IntVar(&s.repeats, "repeats", 1, "seeds (--seed, --seed+1, …) per setting that uses HyperAttention")
}
