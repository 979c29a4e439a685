package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/chat"
	"github.com/gollm/gollm/engine"
	"github.com/gollm/gollm/internal/sysmem"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/model"
	"github.com/gollm/gollm/server"
	"github.com/spf13/cobra"
)

// serveFlags are gollm serve's own flags.
type serveFlags struct {
	host, modelID, apiKey string
	port, parallel, ctx   int
	queue, cacheMiB       int
	prefillChunk          int
	maxBody               int64
	shutdown              time.Duration
	kvType                kvTypeFlag
	chat                  chatFlags
}

// The HTTP server's timeouts against slow or stalled clients: the request
// headers, the whole request body, and an idle keep-alive connection.
// Responses have no write timeout: a stream lasts as long as its generation.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	idleTimeout       = 120 * time.Second
)

func init() {
	var mf modelFlags
	var sf serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the model over an OpenAI-compatible HTTP API",
		Long: `Serves /v1/chat/completions, /v1/completions, /v1/models, /health and
llama-server's /tokenize, /detokenize and /apply-template (docs/serving.md).
--parallel sequences decode together in one batched pass per step; further
requests wait in a queue of --queue (beyond it: 429). A prompt that starts
like one already in a slot, or in the prompt cache (--cache-mib), runs only
its new part. SIGINT or SIGTERM stops accepting requests, lets running ones
finish for --shutdown-timeout, cancels the rest and exits 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sf.apiKey == "" {
				sf.apiKey = os.Getenv("GOLLM_API_KEY")
			}
			if err := sf.check(); err != nil {
				return err
			}
			l, err := mf.open()
			if err != nil {
				return err
			}
			defer l.close()
			return serve(cmd.Context(), l, &mf, &sf)
		},
	}
	mf.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&sf.host, "host", "127.0.0.1", "address to listen on (anything but loopback wants --api-key)")
	f.IntVar(&sf.port, "port", 8080, "port to listen on (0: any free port, printed)")
	f.IntVar(&sf.parallel, "parallel", 4, "sequence slots decoded together")
	f.IntVar(&sf.ctx, "ctx", 0, "tokens per slot, prompt and answer (0: the model's context, at most 8192)")
	f.IntVar(&sf.queue, "queue", 64, "requests that may wait for a slot; beyond them the answer is 429")
	f.IntVar(&sf.prefillChunk, "prefill-chunk", 512, "while other requests decode, a prompt runs at most this many tokens per step (0: whole; prompts under Hyper layers run whole)")
	f.IntVar(&sf.cacheMiB, "cache-mib", 1024, "memory for saved prompt prefixes beyond the slots' own (0: none)")
	f.Int64Var(&sf.maxBody, "max-body", 16<<20, "largest request body in bytes (413 beyond)")
	f.DurationVar(&sf.shutdown, "shutdown-timeout", 30*time.Second, "on SIGTERM or SIGINT, how long running requests may finish before they are cancelled")
	f.StringVar(&sf.apiKey, "api-key", "", "require Authorization: Bearer KEY on every endpoint but /health (default: $GOLLM_API_KEY)")
	f.StringVar(&sf.modelID, "model-id", "", "the model's id in the API (default: the model folder or file name)")
	f.StringVar(&sf.chat.templateFile, "chat-template-file", "", "a Jinja chat template to use instead of the model's")
	sf.kvType.register(f, fmt.Sprintf("for a --ctx over %d tokens", attention.AutoF16Positions))
	rootCmd.AddCommand(cmd)
}

// check refuses absurd values before the model loads.
func (sf *serveFlags) check() error {
	switch {
	case sf.port < 0 || sf.port > 65535:
		return fmt.Errorf("serve: --port must be in [0, 65535], got %d", sf.port)
	case sf.parallel < 1 || sf.parallel > 256:
		return fmt.Errorf("serve: --parallel must be in [1, 256], got %d", sf.parallel)
	case sf.ctx < 0:
		return fmt.Errorf("serve: --ctx must be ≥ 0, got %d", sf.ctx)
	case sf.queue < 0 || sf.queue > 1<<20:
		return fmt.Errorf("serve: --queue must be in [0, %d], got %d", 1<<20, sf.queue)
	case sf.prefillChunk < 0:
		return fmt.Errorf("serve: --prefill-chunk must be ≥ 0, got %d", sf.prefillChunk)
	case sf.cacheMiB < 0:
		return fmt.Errorf("serve: --cache-mib must be ≥ 0, got %d", sf.cacheMiB)
	case sf.maxBody < 1024:
		return fmt.Errorf("serve: --max-body must be at least 1024 bytes, got %d", sf.maxBody)
	case sf.shutdown < 0:
		return fmt.Errorf("serve: --shutdown-timeout must be ≥ 0, got %s", sf.shutdown)
	}
	return nil
}

// serve runs the server until a signal (or ctx) stops it.
func serve(ctx context.Context, l *loaded, mf *modelFlags, sf *serveFlags) error {
	srvCfg, eng, err := newServer(l, mf, sf)
	if err != nil {
		return err
	}
	defer eng.Close()
	h, err := server.New(srvCfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(sf.host, fmt.Sprint(sf.port)))
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if ip := net.ParseIP(sf.host); sf.apiKey == "" && (ip == nil || !ip.IsLoopback()) && sf.host != "localhost" {
		fmt.Fprintf(os.Stderr, "gollm serve: warning: listening on %s without --api-key: anyone who can reach it can use the model\n", sf.host)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout, IdleTimeout: idleTimeout}
	// Signals are caught before the address is printed: whoever waits for
	// that line may stop the server at once.
	sig, stop := signal.NotifyContext(ctx, stopSignals...)
	defer stop()
	fmt.Fprintf(os.Stderr, "gollm serve: %s on http://%s (%d slots × %d tokens, queue %d, prompt cache %d MiB)\n",
		srvCfg.ModelID, ln.Addr(), sf.parallel, srvCfg.Context, sf.queue, sf.cacheMiB)

	failed := make(chan error, 1)
	go func() { failed <- hs.Serve(ln) }()
	select {
	case err := <-failed:
		return fmt.Errorf("serve: %w", err)
	case <-sig.Done():
	}
	stop()
	fmt.Fprintf(os.Stderr, "gollm serve: shutting down: running requests have %s to finish\n", sf.shutdown)
	wait, cancel := context.WithTimeout(context.Background(), sf.shutdown)
	defer cancel()
	if err := hs.Shutdown(wait); errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintln(os.Stderr, "gollm serve: cancelling the requests still running")
		eng.Close() // their Generate calls end with ErrClosed
		// Let their handlers write that (a 503, or an error event ending a
		// stream) before the connections close.
		last, cancelLast := context.WithTimeout(context.Background(), time.Second)
		hs.Shutdown(last)
		cancelLast()
		hs.Close()
	}
	fmt.Fprintln(os.Stderr, "gollm serve: stopped")
	return nil
}

// newServer makes the engine and the server's configuration for l.
func newServer(l *loaded, mf *modelFlags, sf *serveFlags) (server.Config, *engine.Engine, error) {
	m := l.model
	trainCtx := l.ckpt.Config.MaxPositions
	ctxLen := sf.ctx
	if ctxLen == 0 {
		ctxLen = min(trainCtx, 8192)
		if trainCtx <= 0 {
			ctxLen = 8192
		}
	}
	if trainCtx > 0 && ctxLen > trainCtx {
		return server.Config{}, nil, fmt.Errorf("serve: --ctx %d is beyond the model's context of %d tokens", ctxLen, trainCtx)
	}
	kv, err := sf.kvType.resolve(ctxLen)
	if err != nil {
		return server.Config{}, nil, fmt.Errorf("serve: %w", err)
	}
	need := int64(sf.parallel)*m.StateBytes(ctxLen, kv) + int64(sf.cacheMiB)<<20
	if err := sysmem.Check(need, fmt.Sprintf("%d slots of a %s KV cache for %d tokens and a %d MiB prompt cache", sf.parallel, kv, ctxLen, sf.cacheMiB),
		"lower --parallel, --ctx or --cache-mib, or use --kv-type f16"); err != nil {
		return server.Config{}, nil, err
	}
	t, err := sf.chat.template(l)
	if errors.Is(err, chat.ErrNoTemplate) {
		fmt.Fprintln(os.Stderr, "gollm serve: the model has no chat template: /v1/chat/completions uses ChatML (give one with --chat-template-file)")
		t, err = chat.Parse(chat.ChatML)
	}
	if err != nil {
		return server.Config{}, nil, fmt.Errorf("serve: %w", err)
	}
	eos := stopIDs(l)
	eng, err := engine.New(m, engine.Options{Slots: sf.parallel, Context: ctxLen, KVType: kv, Queue: sf.queue,
		CacheBytes: int64(sf.cacheMiB) << 20, EOS: eos, PrefillChunk: sf.prefillChunk})
	if err != nil {
		return server.Config{}, nil, err
	}
	id := sf.modelID
	if id == "" {
		id = "default"
		if mf.dir != "" {
			id = strings.TrimSuffix(filepath.Base(filepath.Clean(mf.dir)), ".gguf")
		}
	}
	return server.Config{Engine: eng, Tokenizer: l.tok, Template: t, Special: sf.chat.special(l), ModelID: id,
		Context: ctxLen, Vocab: m.VocabSize(), TrainCtx: trainCtx, Plan: mf.plan, Seed: mf.seed, Layers: m.Layers(),
		Sampling: serverSampling(l.ckpt.Generation), APIKey: sf.apiKey, MaxBody: sf.maxBody, Log: os.Stderr}, eng, nil
}

// serverSampling is the sampling of a request that sets no sampler field:
// the model's generation_config.json when it asks for sampling (greedy
// when it says do_sample false), else OpenAI's defaults (temperature 1,
// nothing else).
func serverSampling(gc *loader.GenerationConfig) model.SamplerConfig {
	sc := model.SamplerConfig{Temperature: 1, TopP: 1, RepetitionPenalty: 1}
	if gc == nil {
		return sc
	}
	if gc.DoSample != nil && !*gc.DoSample {
		sc.Temperature = 0
	}
	if gc.DoSample != nil && *gc.DoSample {
		if gc.Temperature != nil {
			sc.Temperature = *gc.Temperature
		}
		if gc.TopK != nil {
			sc.TopK = *gc.TopK
		}
		if gc.TopP != nil {
			sc.TopP = *gc.TopP
		}
		if gc.MinP != nil {
			sc.MinP = *gc.MinP
		}
	}
	if gc.RepetitionPenalty != nil {
		sc.RepetitionPenalty = *gc.RepetitionPenalty
	}
	return sc
}
