package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/readlimit"
	"github.com/gollm/gollm/internal/sysmem"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/tokenizer"
	"github.com/gollm/gollm/weights"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// genFlags are the sampling flags; a flag the user did not set falls back to
// the model's generation_config.json, then to greedy decoding (HF's default).
type genFlags struct {
	maxTokens           int
	temperature         float64
	topK                int
	topP, minP          float64
	repeat              float64
	presence, frequency float64
	logitBias           []string // ID=BIAS
	ignoreEOS           bool
}

// register adds the sampling flags.
func (g *genFlags) register(f *pflag.FlagSet) {
	f.IntVar(&g.maxTokens, "max-tokens", 128, "new tokens to generate at most")
	f.Float64Var(&g.temperature, "temperature", 0, "sampling temperature; 0 is greedy (default: generation_config.json, else greedy)")
	f.IntVar(&g.topK, "top-k", 0, "keep the K most likely tokens (0: off)")
	f.Float64Var(&g.topP, "top-p", 1, "keep the smallest set with probability ≥ P (1: off)")
	f.Float64Var(&g.minP, "min-p", 0, "drop tokens below P × the top probability (0: off)")
	f.Float64Var(&g.repeat, "repeat-penalty", 1, "HF repetition penalty on tokens already seen (1: off)")
	f.Float64Var(&g.presence, "presence-penalty", 0, "subtract P in [-2, 2] from the logit of every token generated so far (OpenAI's presence_penalty; 0: off)")
	f.Float64Var(&g.frequency, "frequency-penalty", 0, "subtract F in [-2, 2] per time a token was generated so far (OpenAI's frequency_penalty; 0: off)")
	f.StringArrayVar(&g.logitBias, "logit-bias", nil, "ID=BIAS: add BIAS in [-100, 100] to the logit of token ID (repeatable)")
	f.BoolVar(&g.ignoreEOS, "ignore-eos", false, "do not stop at end-of-sequence tokens: generate --max-tokens")
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
			if out.logprobs = cmd.Flags().Changed("logprobs"); out.logprobs {
				if !out.json {
					return fmt.Errorf("run: --logprobs needs --json")
				}
				if out.topLogprobs < 0 || out.topLogprobs > maxTopLogprobs {
					return fmt.Errorf("run: --logprobs must be in [0, %d], got %d", maxTopLogprobs, out.topLogprobs)
				}
			}
			l, err := mf.open()
			if err != nil {
				return err
			}
			defer l.close()
			sc, err := samplerConfig(cmd, gf, l.ckpt.Generation, mf.seed, l.model.VocabSize())
			if err != nil {
				return fmt.Errorf("run: %w", err)
			}
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
			ctx, stop := stopContext(cmd.Context())
			defer stop()
			return generate(ctx, l, ids, gf, sc, out)
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
	f.IntVar(&out.topLogprobs, "logprobs", 0, fmt.Sprintf("with --json: each generated token's log-probability and the N most likely tokens at its step, N in [0, %d]", maxTopLogprobs))
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
		b, err := readlimit.ReadFile(file, readlimit.Text)
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

// samplerConfig merges the flags the user set with generation_config.json
// and validates the result for a vocabulary of vocab ids; an error names
// the flag, or the generation_config.json field, that is out of range.
func samplerConfig(cmd *cobra.Command, gf genFlags, gc *loader.GenerationConfig, seed uint64, vocab int) (model.SamplerConfig, error) {
	sc := model.SamplerConfig{Temperature: gf.temperature, TopK: gf.topK, TopP: gf.topP, MinP: gf.minP, RepetitionPenalty: gf.repeat, Seed: seed,
		PresencePenalty: gf.presence, FrequencyPenalty: gf.frequency}
	for _, kv := range gf.logitBias {
		id, bias, err := parseLogitBias(kv)
		if err != nil {
			return sc, err
		}
		if sc.LogitBias == nil {
			sc.LogitBias = map[int]float64{}
		}
		sc.LogitBias[id] = bias
	}
	set := cmd.Flags().Changed
	if set("top-p") && !(gf.topP > 0 && gf.topP <= 1) { // Validate takes 0 as off too
		return sc, fmt.Errorf("--top-p must be in (0, 1], got %g (1 turns it off)", gf.topP)
	}
	mergeGenerationConfig(&sc, gc, set)
	if err := sc.Validate(vocab); err != nil {
		msg := err.Error()
		for _, p := range samplerFlagNames {
			if rest, ok := strings.CutPrefix(msg, p.field); ok {
				if !set(p.flag) { // not a flag: the value came from the model's folder
					return sc, fmt.Errorf("generation_config.json: %s%s", p.field, rest)
				}
				if id, more, ok := strings.Cut(rest, "]"); ok && strings.HasPrefix(id, "[") {
					rest = " for token " + id[1:] + more // logit_bias[ID] must be …
				}
				return sc, fmt.Errorf("--%s%s", p.flag, rest)
			}
		}
		return sc, err
	}
	return sc, nil
}

// samplerFlagNames pairs the field names in SamplerConfig.Validate's errors
// with the flags that set them.
var samplerFlagNames = []struct{ field, flag string }{
	{"temperature", "temperature"}, {"top_k", "top-k"}, {"top_p", "top-p"}, {"min_p", "min-p"},
	{"repetition_penalty", "repeat-penalty"}, {"presence_penalty", "presence-penalty"},
	{"frequency_penalty", "frequency-penalty"}, {"logit_bias", "logit-bias"},
}

// parseLogitBias reads one --logit-bias value, ID=BIAS; the ranges are
// SamplerConfig.Validate's to check.
func parseLogitBias(kv string) (int, float64, error) {
	ids, bs, ok := strings.Cut(kv, "=")
	id, err1 := strconv.Atoi(strings.TrimSpace(ids))
	bias, err2 := strconv.ParseFloat(strings.TrimSpace(bs), 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("--logit-bias %q: want ID=BIAS, a token id and a number (e.g. 50256=-100)", kv)
	}
	return id, bias, nil
}

// mergeGenerationConfig fills the sampling values whose flags were not set
// from generation_config.json, as HF generate does.
func mergeGenerationConfig(sc *model.SamplerConfig, gc *loader.GenerationConfig, set func(string) bool) {
	if gc == nil {
		return
	}
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
	// CachedTokens is how many prompt tokens an earlier turn's cache
	// supplied (gollm chat); they were not run again.
	CachedTokens int    `json:"cached_tokens,omitempty"`
	Stopped      string `json:"stopped"` // eos, max_tokens, stop_string or interrupted
	// Logprobs has one entry per id of IDs, with --logprobs only.
	Logprobs []tokenLogprobs `json:"logprobs,omitzero"`
}

// maxTopLogprobs bounds --logprobs, as OpenAI's API bounds top_logprobs.
const maxTopLogprobs = 20

// tokenLogprob is a token and its log-probability under the model's own
// distribution (the softmax of the raw logits, before any sampling flag).
type tokenLogprob struct {
	ID      int     `json:"id"`
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
}

// tokenLogprobs is a generated token's entry in --json's "logprobs": the
// token and the --logprobs N most likely ones at its step, most likely first.
type tokenLogprobs struct {
	tokenLogprob
	Top []tokenLogprob `json:"top_logprobs"`
}

// logprobsOf is the entry of token id chosen from raw logits.
func logprobsOf(tok tokenizer.Tokenizer, logits []float32, id, top int) tokenLogprobs {
	lp, best := model.Logprobs(logits, id, top)
	e := tokenLogprobs{tokenLogprob{id, tok.Decode([]int{id}), lp}, make([]tokenLogprob, len(best))}
	for i, b := range best {
		e.Top[i] = tokenLogprob{b.ID, tok.Decode([]int{b.ID}), b.Logprob}
	}
	return e
}

// runOutput says where generated text goes besides stdout, and how the
// run keeps its KV cache.
type runOutput struct {
	json        bool
	file        string // --output: written atomically at the end, also on interrupt
	stops       []string
	kvType      kvTypeFlag
	logprobs    bool         // --logprobs given: the result carries Logprobs
	topLogprobs int          // --logprobs N
	session     *chatSession // gollm chat: the cache kept between turns (nil: a fresh cache)
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

func generate(ctx context.Context, l *loaded, prompt []int, gf genFlags, sc model.SamplerConfig, o runOutput) error {
	res, err := generateText(ctx, l, prompt, gf, sc, o)
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
// gf.maxTokens, printing the text as it comes (unless o.json); the result
// is nil only when nothing could start.
func generateText(ctx context.Context, l *loaded, prompt []int, gf genFlags, sc model.SamplerConfig, o runOutput) (*runResult, error) {
	maxTokens := gf.maxTokens
	capacity := len(prompt) + maxTokens
	kv, err := o.kvType.resolve(len(prompt))
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if err := sysmem.Check(l.model.StateBytes(capacity, kv), fmt.Sprintf("a %s KV cache and scratch for %d tokens", kv, capacity),
		"use a shorter prompt, a smaller --max-tokens or --kv-type f16"); err != nil {
		return nil, err
	}
	st, cached := l.model.NewStateOf(capacity, kv), 0
	if o.session != nil {
		if st, cached, err = o.session.reuse(l.model, prompt, capacity, kv); err != nil {
			return nil, err
		}
	}
	st.Ctx = ctx
	bar := newProgress(stderrIsTerminal() && len(prompt) >= 2048, fmt.Sprintf("prefill %d tokens", len(prompt)))
	st.OnLayer = bar.update
	eos := stopIDs(l)
	text := tokenizer.NewStopStream(l.tok, o.stops)
	res := runResult{PromptIDs: prompt, IDs: []int{}, Stopped: "max_tokens", CachedTokens: cached}
	start := time.Now()
	var firstAt time.Time
	var raw []float32 // this step's logits before sampling, for --logprobs
	emit := func(id int) error {
		if o.logprobs {
			res.Logprobs = append(res.Logprobs, logprobsOf(l.tok, raw, id, o.topLogprobs))
		}
		if firstAt.IsZero() {
			firstAt = time.Now()
			bar.done()
			st.OnLayer = nil
		}
		if piece := text.Add(id); !o.json {
			fmt.Print(piece)
		}
		if text.Stopped() {
			return errStopString
		}
		return ctx.Err()
	}
	opts := model.GenerateOptions{MaxTokens: maxTokens, Plan: l.plan, Sampler: model.NewSampler(sc), Cached: cached,
		Stop: func(id int) bool {
			if eos[id] && !gf.ignoreEOS {
				res.Stopped = "eos"
				return true
			}
			return false
		}}
	if o.logprobs {
		res.Logprobs = []tokenLogprobs{}
		opts.OnLogits = func(logits []float32) { raw = append(raw[:0], logits...) }
	}
	out, err := l.model.Generate(st, prompt, opts, emit)
	end := time.Now()
	bar.done()
	switch {
	case errors.Is(err, errStopString):
		res.Stopped, err = "stop_string", nil
	case ctx.Err() != nil:
		res.Stopped, err = "interrupted", errInterrupted
	}
	if rest := text.Flush(); !o.json {
		fmt.Println(rest)
	}
	res.IDs = append(res.IDs, out...)
	if o.session != nil {
		o.session.keep(st, prompt, out)
	}
	res.Text = text.Text()
	res.KVBytes = st.KVBytes()
	if !firstAt.IsZero() {
		res.TTFT = firstAt.Sub(start).Seconds()
		res.PrefillTPS = float64(len(prompt)-cached) / res.TTFT
		if len(out) > 1 {
			res.DecodeTPS = float64(len(out)-1) / end.Sub(firstAt).Seconds()
		}
	}
	return &res, err
}

// chatSession keeps a conversation's KV cache from one turn to the next,
// so that a turn runs only the part of its prompt that is new.
type chatSession struct {
	st  *model.State
	ids []int // what st holds
}

// reuse returns a cache of at least capacity positions holding the longest
// prefix of prompt the session has (all of prompt but its last id at
// most), and that prefix's length.
func (c *chatSession) reuse(m *model.Model, prompt []int, capacity int, kv weights.DType) (*model.State, int, error) {
	n := 0
	if c.st != nil && c.st.KVType() == kv {
		for n < len(c.ids) && n < len(prompt)-1 && c.ids[n] == prompt[n] {
			n++
		}
	}
	if c.st != nil && c.st.KVType() == kv && c.st.Cap() >= capacity {
		c.st.Truncate(n)
		return c.st, n, nil
	}
	st := m.NewStateOf(capacity, kv)
	if n > 0 {
		if err := st.CopyFrom(c.st, n); err != nil {
			return nil, 0, err
		}
	}
	return st, n, nil
}

// keep records what st holds after a turn: the prompt and the generated
// ids that were run (the last one chosen never is).
func (c *chatSession) keep(st *model.State, prompt, out []int) {
	c.st = st
	c.ids = append(append(c.ids[:0], prompt...), out...)[:st.Len()]
}

// errStopString ends generation when the text reaches a --stop string.
var errStopString = errors.New("stop string reached")
