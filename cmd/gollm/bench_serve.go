package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/internal/readlimit"
	"github.com/gollm/gollm/internal/stats"
	"github.com/gollm/gollm/server"
)

// serveBenchOpts are the flags of `gollm bench serve`.
type serveBenchOpts struct {
	streams      []int
	tokens       int
	promptTokens int
	doc          int
	reps         int
	ctx          int
	kvType       kvTypeFlag
	url          string // --url: drive this server instead of an in-process one
	text         string // --text: prompts are windows of this file's tokens
	json         bool
}

func init() {
	var mf modelFlags
	var o serveBenchOpts
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Aggregate decode throughput of gollm serve under concurrent streams, and the prompt cache's time to first token",
		Long: `Starts the server in-process on 127.0.0.1 (a real HTTP listener) with as
many slots as the largest --streams, then for each count N sends N
concurrent streaming /v1/completions requests (distinct random prompts of
--prompt-tokens ids, greedy, --tokens new tokens each, EOS ignored) and
reads their server-sent events. A row reports the aggregate tokens/s (all
streams' tokens over the wall time, median of --reps) and its ratio to the
first row's. --doc N adds the long-document case: a random N-token
document with one question, then the same document with another; the row
gives both times to first token (the second reuses the cached document).
--url drives another OpenAI-compatible server instead (gollm serve, or
llama-server started with -np N for the same side by side: it must accept
token-id prompts, ignore_eos and stream_options.include_usage); the model
flags then name the model that server runs (for its tokenizer). --text FILE
takes the prompts (and the document) from consecutive windows of the file's
tokens instead of random ids.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.check(); err != nil {
				return err
			}
			l, err := mf.open()
			if err != nil {
				return err
			}
			defer l.close()
			next, err := benchPrompts(l, o.text, mf.seed)
			if err != nil {
				return err
			}
			url := strings.TrimSuffix(o.url, "/") + "/v1/completions"
			if o.url == "" {
				var stop func()
				if url, stop, err = startBenchServer(l, &mf, o); err != nil {
					return err
				}
				defer stop()
			}
			return runServeBench(cmd.OutOrStdout(), url, next, o)
		},
	}
	mf.register(cmd.Flags())
	f := cmd.Flags()
	f.IntSliceVar(&o.streams, "streams", []int{1, 8}, "concurrent streams per row")
	f.IntVar(&o.tokens, "tokens", 128, "new tokens per stream")
	f.IntVar(&o.promptTokens, "prompt-tokens", 32, "prompt tokens per stream")
	f.IntVar(&o.doc, "doc", 0, "also time two questions about one document of this many tokens (0: off)")
	f.IntVar(&o.reps, "reps", 3, "repeats per row (median reported)")
	f.IntVar(&o.ctx, "ctx", 0, "tokens per slot (0: what the rows need)")
	f.BoolVar(&o.json, "json", false, "one JSON object per row on stdout")
	f.StringVar(&o.url, "url", "", "drive the server at this base URL (e.g. http://127.0.0.1:8081) instead of starting one")
	f.StringVar(&o.text, "text", "", "take the prompts from this text file's tokens (default: random ids)")
	o.kvType.register(f, fmt.Sprintf("for a --ctx over %d tokens", attention.AutoF16Positions))
	benchCmd.AddCommand(cmd)
}

func (o serveBenchOpts) check() error {
	for _, n := range o.streams {
		if n < 1 || n > 256 {
			return fmt.Errorf("bench serve: --streams values must be in [1, 256], got %d", n)
		}
	}
	switch {
	case len(o.streams) == 0:
		return fmt.Errorf("bench serve: --streams needs at least one count")
	case o.tokens < 1 || o.tokens > 1<<20:
		return fmt.Errorf("bench serve: --tokens must be in [1, %d], got %d", 1<<20, o.tokens)
	case o.promptTokens < 1 || o.promptTokens > 1<<20:
		return fmt.Errorf("bench serve: --prompt-tokens must be in [1, %d], got %d", 1<<20, o.promptTokens)
	case o.doc < 0 || o.doc > 1<<20:
		return fmt.Errorf("bench serve: --doc must be in [0, %d], got %d", 1<<20, o.doc)
	case o.reps < 1 || o.reps > 1000:
		return fmt.Errorf("bench serve: --reps must be in [1, 1000], got %d", o.reps)
	}
	return nil
}

// serveBenchRow is one row of the report.
type serveBenchRow struct {
	Test      string  `json:"test"`
	Streams   int     `json:"streams"`
	Tokens    int     `json:"tokens"` // completion tokens of the row's run
	TPS       float64 `json:"tokens_per_s"`
	Ratio     float64 `json:"ratio"`                        // to the first row's tokens/s (decode rows)
	TTFT      float64 `json:"time_to_first_token_s"`        // median over the streams; the first question's for doc
	TTFTAfter float64 `json:"second_time_to_first_token_s"` // doc: the second question's
	Timing    timing  `json:"timing"`
}

// benchPrompts returns the source of prompt ids: consecutive windows of
// the text file's tokens (wrapping around), or random ids of the model's
// vocabulary.
func benchPrompts(l *loaded, file string, seed uint64) (func(n int) []int, error) {
	rng := rand.New(rand.NewPCG(seed, 1))
	vocab := l.model.VocabSize()
	if file == "" {
		return func(n int) []int {
			ids := make([]int, n)
			for i := range ids {
				ids[i] = rng.IntN(vocab)
			}
			return ids
		}, nil
	}
	b, err := readlimit.ReadFile(file, readlimit.Text)
	if err != nil {
		return nil, fmt.Errorf("bench serve: %w", err)
	}
	toks := l.tok.EncodeText(string(b))
	if len(toks) == 0 {
		return nil, fmt.Errorf("bench serve: %s has no tokens", file)
	}
	at := 0
	return func(n int) []int {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = toks[at]
			at = (at + 1) % len(toks)
		}
		return ids
	}, nil
}

// startBenchServer serves l in-process on a free 127.0.0.1 port with as
// many slots as the largest --streams; it returns the completions URL and
// a function that stops the server.
func startBenchServer(l *loaded, mf *modelFlags, o serveBenchOpts) (string, func(), error) {
	slots := slices.Max(o.streams)
	ctxLen := o.ctx
	if ctxLen == 0 {
		ctxLen = max(o.promptTokens+o.tokens, o.doc+64)
	}
	sf := &serveFlags{parallel: slots, ctx: ctxLen, maxBody: 64 << 20, kvType: o.kvType}
	cfg, eng, err := newServer(l, mf, sf)
	if err != nil {
		return "", nil, err
	}
	cfg.Log = nil
	h, err := server.New(cfg)
	if err != nil {
		eng.Close()
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		eng.Close()
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout}
	go hs.Serve(ln)
	fmt.Fprintf(os.Stderr, "gollm bench serve: %s on %s, %d slots × %d tokens\n", cfg.ModelID, ln.Addr(), slots, ctxLen)
	return "http://" + ln.Addr().String() + "/v1/completions", func() { hs.Close(); eng.Close() }, nil
}

// runServeBench drives the completions endpoint at url and reports the rows.
func runServeBench(w io.Writer, url string, randomIDs func(n int) []int, o serveBenchOpts) error {
	rep, err := newBenchReport(w, o.json, benchColumn{"test", -8}, benchColumn{"streams", 7}, benchColumn{"tokens/s", 10},
		benchColumn{"ratio", 6}, benchColumn{"ttft s", 8}, benchColumn{"2nd ttft s", 10})
	if err != nil {
		return err
	}
	var first float64
	for _, n := range o.streams {
		row := serveBenchRow{Test: "decode", Streams: n}
		var ttfts []float64
		tm, err := benchTimer{warmUp: true, reps: o.reps}.measure(func() (float64, error) {
			var wg sync.WaitGroup
			errs := make([]error, n)
			got := make([]streamed, n)
			start := time.Now()
			for i := range n {
				prompt := randomIDs(o.promptTokens)
				wg.Go(func() {
					got[i], errs[i] = streamCompletion(context.Background(), url, map[string]any{"prompt": prompt, "max_tokens": o.tokens,
						"temperature": 0, "ignore_eos": true, "stream": true, "stream_options": map[string]any{"include_usage": true}})
				})
			}
			wg.Wait()
			secs := time.Since(start).Seconds()
			row.Tokens, ttfts = 0, ttfts[:0]
			for i, g := range got {
				if errs[i] != nil {
					return 0, errs[i]
				}
				row.Tokens += g.tokens
				ttfts = append(ttfts, g.ttft.Seconds())
			}
			return secs, nil
		})
		if err != nil {
			return err
		}
		row.Timing = tm
		row.TPS = float64(row.Tokens) / tm.Median
		row.TTFT = median(ttfts)
		if first == 0 {
			first = row.TPS
		}
		row.Ratio = row.TPS / first
		if err := rep.add(row, row.Test, strconv.Itoa(n), fmt.Sprintf("%.1f", row.TPS), fmt.Sprintf("%.2f", row.Ratio),
			fmt.Sprintf("%.4f", row.TTFT), ""); err != nil {
			return err
		}
	}
	if o.doc == 0 {
		return nil
	}
	row := serveBenchRow{Test: "doc", Streams: 1}
	var after []float64
	var before []float64
	tm, err := benchTimer{reps: o.reps}.measure(func() (float64, error) {
		doc := randomIDs(o.doc)
		var secs float64
		for q := range 2 {
			prompt := append(append([]int(nil), doc...), randomIDs(16)...)
			g, err := streamCompletion(context.Background(), url, map[string]any{"prompt": prompt, "max_tokens": 8, "temperature": 0,
				"ignore_eos": true, "stream": true, "stream_options": map[string]any{"include_usage": true}})
			if err != nil {
				return 0, err
			}
			if q == 0 {
				before, secs = append(before, g.ttft.Seconds()), g.ttft.Seconds()
			} else {
				after = append(after, g.ttft.Seconds())
			}
		}
		return secs, nil
	})
	if err != nil {
		return err
	}
	row.Timing, row.TTFT, row.TTFTAfter = tm, median(before), median(after)
	row.Ratio = row.TTFTAfter / row.TTFT
	return rep.add(row, row.Test, "1", "", fmt.Sprintf("%.3f", row.Ratio), fmt.Sprintf("%.4f", row.TTFT), fmt.Sprintf("%.4f", row.TTFTAfter))
}

// streamed is what one streaming request measured.
type streamed struct {
	ttft   time.Duration // until the first event with text
	tokens int           // completion tokens, from the usage event
}

// streamCompletion posts body to url and reads the event stream to its end.
func streamCompletion(ctx context.Context, url string, body map[string]any) (streamed, error) {
	var s streamed
	b, err := json.Marshal(body)
	if err != nil {
		return s, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(b))
	if err != nil {
		return s, err
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return s, fmt.Errorf("bench serve: %s: %s", resp.Status, msg)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			return s, nil
		}
		var ev struct {
			Choices []struct {
				Text string `json:"text"`
			} `json:"choices"`
			Usage *struct {
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			return s, fmt.Errorf("bench serve: bad event %q: %w", data, err)
		}
		switch {
		case ev.Error != nil:
			return s, fmt.Errorf("bench serve: the stream failed: %s", ev.Error.Message)
		case ev.Usage != nil:
			s.tokens = ev.Usage.CompletionTokens
		case s.ttft == 0 && len(ev.Choices) > 0 && ev.Choices[0].Text != "":
			s.ttft = time.Since(start)
		}
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	return s, fmt.Errorf("bench serve: the stream ended without [DONE]")
}

// median is the middle of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	c := append([]float64(nil), xs...)
	slices.Sort(c)
	return stats.Quantile(c, 0.5)
}
