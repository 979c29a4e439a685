package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/parallel"
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
	plan      attention.PlanFlags
}

func (f *modelFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.dir, "model", "", "HF model folder (config.json, *.safetensors, tokenizer.json); default: the embedded model")
	fs.StringVar(&f.tokenizer, "tokenizer", "", "tokenizer file or folder overriding the model's own")
	fs.StringVar(&f.encoding, "encoding", "", "tiktoken encoding overriding the model's tokenizer (r50k_base, p50k_base, cl100k_base, o200k_base)")
	fs.IntVar(&f.threads, "threads", 0, "worker threads (default: all cores)")
	fs.Uint64Var(&f.seed, "seed", 42, "seed for sampling and HyperAttention's random projections and samples")
	f.plan.Register(fs)
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
	if f.threads < 0 {
		return nil, fmt.Errorf("--threads must be ≥ 0, got %d", f.threads)
	}
	parallel.SetThreads(f.threads)
	ckpt, err := openCheckpoint(f.dir)
	if err != nil {
		return nil, err
	}
	m, err := model.Load(ckpt)
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
