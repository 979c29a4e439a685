package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/sysmem"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// genFlags are the sampling flags; a flag the user did not set falls back to
// the model's generation_config.json, then to greedy decoding (HF's default).
type genFlags struct {
	maxTokens   int
	temperature float64
	topK        int
	topP, minP  float64
	repeat      float64
}

// register adds the sampling flags.
func (g *genFlags) register(f *pflag.FlagSet) {
	f.IntVar(&g.maxTokens, "max-tokens", 128, "new tokens to generate at most")
	f.Float64Var(&g.temperature, "temperature", 0, "sampling temperature; 0 is greedy (default: generation_config.json, else greedy)")
	f.IntVar(&g.topK, "top-k", 0, "keep the K most likely tokens (0: off)")
	f.Float64Var(&g.topP, "top-p", 1, "keep the smallest set with probability ≥ P (1: off)")
	f.Float64Var(&g.minP, "min-p", 0, "drop tokens below P × the top probability (0: off)")
	f.Float64Var(&g.repeat, "repeat-penalty", 1, "HF repetition penalty on tokens already seen (1: off)")
}

func init() {
	var mf modelFlags
	var gf genFlags
	var prompt, promptFile, truncate string
	var out runOutput
	var cf chatFlags
	cmd := &cobra.Command{
		Use:   "run [PROMPT]",
		Short: "Generate a continuation of a prompt",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := promptText(prompt, promptFile, args)
			if err != nil {
				return err
			}
			if truncate != "" && truncate != "left" {
				return fmt.Errorf("run: --truncate takes \"left\", got %q", truncate)
			}
			if gf.maxTokens < 0 {
				return fmt.Errorf("run: --max-tokens must be ≥ 0, got %d", gf.maxTokens)
			}
			l, err := mf.open()
			if err != nil {
				return err
			}
			defer l.close()
			if mf.plan.HyperDecode && l.plan.HyperLayers() == 0 {
				return fmt.Errorf("run: %w", errNoHyperLayers)
			}
			ids := l.tok.Encode(text)
			if cf.on {
				if ids, err = cf.prompt(l, text); err != nil {
					return fmt.Errorf("run: %w", err)
				}
			} else if cf.system != "" || cf.templateFile != "" {
				return fmt.Errorf("run: --system and --chat-template-file need --chat")
			}
			if len(ids) == 0 {
				return fmt.Errorf("run: the prompt encodes to no tokens")
			}
			if ids, err = fitContext(ids, gf.maxTokens, l.ckpt.Config.MaxPositions, truncate == "left"); err != nil {
				return err
			}
			sc := samplerConfig(cmd, gf, l.ckpt.Generation, mf.seed)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			return generate(ctx, l, ids, gf.maxTokens, sc, out)
		},
	}
	mf.register(cmd.Flags())
	f := cmd.Flags()
	cf.register(f)
	f.StringVar(&prompt, "prompt", "", "prompt text (or give it as the argument)")
	f.StringVar(&promptFile, "prompt-file", "", "read the prompt from a file")
	gf.register(f)
	f.StringVar(&truncate, "truncate", "", "\"left\": drop the start of a prompt that does not fit the context")
	f.BoolVar(&out.json, "json", false, "print one JSON line with text, ids, prompt_ids and timings instead of streaming")
	f.StringVar(&out.file, "output", "", "also write the generated text to this file (atomically, at the end or on Ctrl-C)")
	f.StringArrayVar(&out.stops, "stop", nil, "stop when the generated text contains this string (repeatable); it is not printed")
	out.kvType.register(f, fmt.Sprintf("for prompts over %d tokens", attention.AutoF16Positions))
	rootCmd.AddCommand(cmd)
}

// promptText picks the prompt from --prompt, --prompt-file or the argument.
func promptText(prompt, file string, args []string) (string, error) {
	n := 0
	for _, set := range []bool{prompt != "", file != "", len(args) > 0} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return "", fmt.Errorf("run: give the prompt once: as the argument, --prompt or --prompt-file")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("run: %w", err)
		}
		if len(b) == 0 {
			return "", fmt.Errorf("run: prompt file %s is empty", file)
		}
		return string(b), nil
	case len(args) > 0:
		prompt = args[0]
	}
	if prompt == "" {
		return "", fmt.Errorf("run: no prompt: give one as the argument, --prompt or --prompt-file")
	}
	return prompt, nil
}

// fitContext checks that the prompt and the new tokens fit the model's
// context, dropping the start of the prompt when truncate is set.
func fitContext(ids []int, maxTokens, limit int, truncate bool) ([]int, error) {
	if limit <= 0 || len(ids)+maxTokens <= limit {
		return ids, nil
	}
	keep := limit - maxTokens
	if !truncate || keep < 1 {
		return nil, fmt.Errorf("run: the prompt has %d tokens and --max-tokens is %d: %d > the model's context of %d tokens (lower --max-tokens, or --truncate left to keep the last part of the prompt)",
			len(ids), maxTokens, len(ids)+maxTokens, limit)
	}
	fmt.Fprintf(os.Stderr, "gollm: prompt truncated from %d to its last %d tokens to fit the context of %d\n", len(ids), keep, limit)
	return ids[len(ids)-keep:], nil
}

// samplerConfig merges the flags the user set with generation_config.json.
func samplerConfig(cmd *cobra.Command, gf genFlags, gc *loader.GenerationConfig, seed uint64) model.SamplerConfig {
	sc := model.SamplerConfig{Temperature: gf.temperature, TopK: gf.topK, TopP: gf.topP, MinP: gf.minP, RepetitionPenalty: gf.repeat, Seed: seed}
	if gc == nil {
		return sc
	}
	set := cmd.Flags().Changed
	sampling := gc.DoSample != nil && *gc.DoSample
	if !set("temperature") && sampling {
		sc.Temperature = 1
		if gc.Temperature != nil {
			sc.Temperature = *gc.Temperature
		}
		if !set("top-k") {
			sc.TopK = 50 // HF's default when sampling
			if gc.TopK != nil {
				sc.TopK = *gc.TopK
			}
		}
		if !set("top-p") && gc.TopP != nil {
			sc.TopP = *gc.TopP
		}
		if !set("min-p") && gc.MinP != nil {
			sc.MinP = *gc.MinP
		}
	}
	if !set("repeat-penalty") && gc.RepetitionPenalty != nil {
		sc.RepetitionPenalty = *gc.RepetitionPenalty
	}
	return sc
}

// runResult is the --json output of run.
type runResult struct {
	Text       string  `json:"text"`
	IDs        []int   `json:"ids"`
	PromptIDs  []int   `json:"prompt_ids"`
	PrefillTPS float64 `json:"prefill_tokens_per_s"`
	DecodeTPS  float64 `json:"decode_tokens_per_s"`
	TTFT       float64 `json:"time_to_first_token_s"`
	KVBytes    int64   `json:"kv_cache_bytes"`
	Stopped    string  `json:"stopped"` // eos, max_tokens, stop_string or interrupted
}

// runOutput says where generated text goes besides stdout, and how the
// run keeps its KV cache.
type runOutput struct {
	json   bool
	file   string // --output: written atomically at the end, also on interrupt
	stops  []string
	kvType kvTypeFlag
}

// stopIDs gathers the end-of-sequence ids of the tokenizer, config.json and
// generation_config.json.
func stopIDs(l *loaded) map[int]bool {
	eos := map[int]bool{}
	for _, id := range l.tok.EOS() {
		eos[id] = true
	}
	for _, id := range l.ckpt.Config.EOS {
		eos[id] = true
	}
	if g := l.ckpt.Generation; g != nil {
		for _, id := range g.EOS {
			eos[id] = true
		}
	}
	return eos
}

func generate(ctx context.Context, l *loaded, prompt []int, maxTokens int, sc model.SamplerConfig, o runOutput) error {
	res, err := generateText(ctx, l, prompt, maxTokens, sc, o)
	if res == nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gollm: prompt %d tokens, first token after %.2f s (prefill %.1f tokens/s), %d tokens generated at %.1f tokens/s, KV cache %s, stopped: %s\n",
		len(prompt), res.TTFT, res.PrefillTPS, len(res.IDs), res.DecodeTPS, sysmem.Format(res.KVBytes), res.Stopped)
	if o.file != "" {
		if werr := writeFileAtomic(o.file, []byte(res.Text)); werr != nil && err == nil {
			err = werr
		}
	}
	if o.json {
		if jerr := json.NewEncoder(os.Stdout).Encode(res); jerr != nil && err == nil {
			err = jerr
		}
	}
	return err
}

// generateText prefills prompt into a fresh cache and decodes up to
// maxTokens, printing the text as it comes (unless o.json); the result is
// nil only when nothing could start.
func generateText(ctx context.Context, l *loaded, prompt []int, maxTokens int, sc model.SamplerConfig, o runOutput) (*runResult, error) {
	capacity := len(prompt) + maxTokens
	kv, err := o.kvType.resolve(len(prompt))
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if err := sysmem.Check(l.model.StateBytes(capacity, kv), fmt.Sprintf("a %s KV cache and scratch for %d tokens", kv, capacity),
		"use a shorter prompt, a smaller --max-tokens or --kv-type f16"); err != nil {
		return nil, err
	}
	st := l.model.NewStateOf(capacity, kv)
	st.Ctx = ctx
	bar := newProgress(stderrIsTerminal() && len(prompt) >= 2048, fmt.Sprintf("prefill %d tokens", len(prompt)))
	st.OnLayer = bar.update
	eos := stopIDs(l)
	text := newTextStream(l.tok, o.stops)
	res := runResult{PromptIDs: prompt, IDs: []int{}, Stopped: "max_tokens"}
	start := time.Now()
	var firstAt time.Time
	emit := func(id int) error {
		if firstAt.IsZero() {
			firstAt = time.Now()
			bar.done()
			st.OnLayer = nil
		}
		if piece := text.add(id); !o.json {
			fmt.Print(piece)
		}
		if text.stopped {
			return errStopString
		}
		return ctx.Err()
	}
	opts := model.GenerateOptions{MaxTokens: maxTokens, Plan: l.plan, Sampler: model.NewSampler(sc),
		Stop: func(id int) bool {
			if eos[id] {
				res.Stopped = "eos"
			}
			return eos[id]
		}}
	out, err := l.model.Generate(st, prompt, opts, emit)
	end := time.Now()
	bar.done()
	switch {
	case errors.Is(err, errStopString):
		res.Stopped, err = "stop_string", nil
	case ctx.Err() != nil:
		res.Stopped, err = "interrupted", errInterrupted
	}
	if rest := text.flush(); !o.json {
		fmt.Println(rest)
	}
	res.IDs = append(res.IDs, out...)
	res.Text = text.out.String()
	res.KVBytes = st.KVBytes()
	if !firstAt.IsZero() {
		res.TTFT = firstAt.Sub(start).Seconds()
		res.PrefillTPS = float64(len(prompt)) / res.TTFT
		if len(out) > 1 {
			res.DecodeTPS = float64(len(out)-1) / end.Sub(firstAt).Seconds()
		}
	}
	return &res, err
}

// errStopString ends generation when the text reaches a --stop string.
var errStopString = errors.New("stop string reached")
