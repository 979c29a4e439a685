package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/tokenizer"
	"github.com/spf13/pflag"
)

// modelFlags are the flags shared by the commands that run a model.
type modelFlags struct {
	dir       string
	tokenizer string
	encoding  string
	threads   int
	seed      uint64
	weights   weightsFlag
	plan      attention.PlanSpec
	planFile  string // --attn-plan: a calibration's layer ranking
}

// register adds the model, tokenizer, --threads, --seed and attention plan
// flags to fs.
func (f *modelFlags) register(fs *pflag.FlagSet) {
	f.registerForSweeps(fs)
	addHyperLayerFlags(fs, &f.plan)
}

// registerForSweeps is register without --hyper-layers and --hyper-pattern,
// which perplexity takes as sweep lists (sweepFlags).
func (f *modelFlags) registerForSweeps(fs *pflag.FlagSet) {
	fs.StringVar(&f.dir, "model", "", "HF model folder (config.json, *.safetensors, tokenizer.json) or GGUF file; default: the embedded model")
	f.weights.register(fs)
	fs.StringVar(&f.tokenizer, "tokenizer", "", "tokenizer file or folder overriding the model's own")
	fs.StringVar(&f.encoding, "encoding", "", "tiktoken encoding overriding the model's tokenizer (r50k_base, p50k_base, cl100k_base, o200k_base)")
	addThreads(fs, &f.threads)
	addSeed(fs, &f.seed, 42, "seed for sampling and HyperAttention's random projections and samples")
	addKernelFlags(fs, &f.plan)
	fs.StringVar(&f.planFile, "attn-plan", "", "a layer ranking from gollm perplexity --calibrate: --hyper-layers L then takes its first L layers (pattern calibrated)")
}

// loaded is an opened model with its tokenizer.
type loaded struct {
	ckpt  *loader.Checkpoint
	model *model.Model
	tok   tokenizer.Tokenizer
	plan  *attention.Plan
}

// open loads the model, its tokenizer and the attention plan.
func (f *modelFlags) open() (*loaded, error) {
	if err := setThreads(f.threads); err != nil {
		return nil, err
	}
	if f.planFile != "" {
		ranked, err := readCalibration(f.planFile)
		if err != nil {
			return nil, err
		}
		f.plan.Ranked = ranked
		if f.plan.Pattern == "last" { // the default: the file says which layers
			f.plan.Pattern = "calibrated"
		}
	}
	ckpt, err := openCheckpoint(f.dir)
	if err != nil {
		return nil, err
	}
	m, err := f.weights.load(ckpt)
	if err != nil {
		ckpt.Close()
		return nil, err
	}
	var tok tokenizer.Tokenizer
	switch {
	case f.encoding != "":
		tok, err = tokenizer.ForEncoding(f.encoding)
	case f.tokenizer != "":
		tok, err = tokenizer.Load(f.tokenizer)
	case f.dir == "":
		tok, err = tokenizer.LoadFS(ckpt.FS, ".")
	case ckpt.GGUF != nil:
		tok, err = ggufTokenizer(ckpt)
	default:
		tok, err = tokenizer.Load(f.dir)
	}
	if err != nil {
		ckpt.Close()
		return nil, err
	}
	plan, err := f.plan.Build(m.Layers(), f.seed)
	if err != nil {
		ckpt.Close()
		return nil, err
	}
	return &loaded{ckpt: ckpt, model: m, tok: tok, plan: plan}, nil
}

func (l *loaded) close() { l.ckpt.Close() }

// errNoHyperLayers refuses --hyper-decode on a plan without Hyper layers.
var errNoHyperLayers = errors.New("--hyper-decode needs Hyper layers (--hyper-layers L, --attn hyper or --layer-attn …:hyper)")

// openCheckpoint opens dir, or the embedded default model when dir is empty.
func openCheckpoint(dir string) (*loader.Checkpoint, error) {
	if dir != "" {
		return loader.Open(dir)
	}
	fmt.Fprintln(os.Stderr, "gollm: no --model given: using the embedded default model")
	return openDefault()
}

// ggufTokenizer builds the tokenizer a GGUF file's metadata describes.
func ggufTokenizer(c *loader.Checkpoint) (tokenizer.Tokenizer, error) {
	v, err := c.ReadGGUFVocab()
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.FromGGUF(*v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Dir, err)
	}
	return tok, nil
}
