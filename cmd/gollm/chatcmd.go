package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gollm/gollm/attention"
	"github.com/gollm/gollm/chat"
)

func init() {
	var mf modelFlags
	var gf genFlags
	var cf chatFlags
	var out runOutput
	cmd := &cobra.Command{
		Use:   "chat",
		Short: "Talk with an instruction model: a multi-turn conversation through its chat template",
		Long: `Reads one user message per line from standard input and streams the
model's answer, keeping the conversation. Commands: /reset (forget the
conversation, keep --system), /tokens (the prompt's size against the
context), /exit. Ctrl-C stops the answer being written; at the prompt it
exits. When the conversation outgrows the context the oldest turns are
dropped, and a line on stderr says so. The conversation's KV cache is kept
between turns, so each turn runs only what is new (the user's message; all
of it again after oldest turns are dropped).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if gf.maxTokens < 1 {
				return fmt.Errorf("chat: --max-tokens must be ≥ 1, got %d", gf.maxTokens)
			}
			l, err := mf.open()
			if err != nil {
				return err
			}
			defer l.close()
			if n := l.ckpt.Config.MaxPositions; gf.maxTokens >= n {
				return fmt.Errorf("chat: --max-tokens %d leaves no room for the conversation in the context of %d tokens", gf.maxTokens, n)
			}
			sc, err := samplerConfig(cmd, gf, l.ckpt.Generation, mf.seed, l.model.VocabSize())
			if err != nil {
				return fmt.Errorf("chat: %w", err)
			}
			t, err := cf.template(l)
			if err != nil {
				return fmt.Errorf("chat: %w", err)
			}
			out.session = &chatSession{}
			return chatLoop(cmd.InOrStdin(), l, &cf, t, gf.maxTokens, func(ctx context.Context, ids []int) (*runResult, error) {
				return generateText(ctx, l, ids, gf, sc, out)
			})
		},
	}
	mf.register(cmd.Flags())
	f := cmd.Flags()
	gf.register(f)
	f.StringVar(&cf.system, "system", "", "a system message opening the conversation")
	f.StringVar(&cf.templateFile, "chat-template-file", "", "a Jinja chat template to use instead of the model's")
	out.kvType.register(f, fmt.Sprintf("for prompts over %d tokens", attention.AutoF16Positions))
	rootCmd.AddCommand(cmd)
}

// maxChatLine bounds one line of input.
const maxChatLine = 1 << 20

// chatLoop runs the conversation: read a line, answer it, keep both.
func chatLoop(in io.Reader, l *loaded, cf *chatFlags, t *chat.Template, maxTokens int,
	answer func(context.Context, []int) (*runResult, error)) error {
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), maxChatLine)
		for sc.Scan() {
			lines <- sc.Text()
		}
		if err := sc.Err(); err != nil {
			readErr <- fmt.Errorf("chat: reading input: %w (a line may be at most %d bytes)", err, maxChatLine)
		}
		close(lines)
	}()
	sigs, stopSigs := notifyStop()
	defer stopSigs()
	limit := l.ckpt.Config.MaxPositions
	msgs := cf.start()
	for {
		fmt.Fprint(os.Stderr, "> ")
		var line string
		select {
		case <-sigs:
			fmt.Fprintln(os.Stderr)
			return errInterrupted
		case s, ok := <-lines:
			if !ok {
				fmt.Fprintln(os.Stderr)
				select {
				case err := <-readErr:
					return err
				default:
					return nil
				}
			}
			line = s
		}
		switch strings.TrimSpace(line) {
		case "":
			continue
		case "/exit", "/quit":
			return nil
		case "/reset":
			msgs = cf.start()
			fmt.Fprintln(os.Stderr, "(conversation cleared)")
			continue
		case "/tokens":
			ids, err := cf.render(l, t, msgs)
			if err != nil {
				return fmt.Errorf("chat: %w", err)
			}
			fmt.Fprintf(os.Stderr, "(%d tokens of %d in the prompt, %d more per answer at most)\n", len(ids), limit, maxTokens)
			continue
		}
		msgs = append(msgs, chat.Message{Role: "user", Content: line})
		ids, dropped, err := fitTurns(cf, l, t, &msgs, limit-maxTokens)
		if err != nil {
			return fmt.Errorf("chat: %w", err)
		}
		if dropped > 0 {
			fmt.Fprintf(os.Stderr, "(dropped the %d oldest messages to fit the context of %d tokens)\n", dropped, limit)
		}
		if ids == nil {
			fmt.Fprintf(os.Stderr, "(that message alone does not fit the context of %d tokens with %d to answer; not sent)\n", limit, maxTokens)
			msgs = msgs[:len(msgs)-1]
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-sigs:
				cancel()
			case <-ctx.Done():
			}
		}()
		res, err := answer(ctx, ids)
		cancel()
		if errors.Is(err, errInterrupted) {
			fmt.Fprintln(os.Stderr, "(stopped)")
			err = nil
		}
		if err != nil {
			return err
		}
		msgs = append(msgs, chat.Message{Role: "assistant", Content: res.Text})
	}
}

// fitTurns renders msgs, dropping the oldest messages after the system one
// until the prompt has at most budget tokens. It returns the prompt (nil
// when even the last message alone is too long) and how many were dropped.
func fitTurns(cf *chatFlags, l *loaded, t *chat.Template, msgs *[]chat.Message, budget int) ([]int, int, error) {
	keep := len(cf.start())
	dropped := 0
	for {
		ids, err := cf.render(l, t, *msgs)
		if err != nil {
			return nil, dropped, err
		}
		if len(ids) <= budget {
			return ids, dropped, nil
		}
		if len(*msgs)-keep <= 1 {
			return nil, dropped, nil
		}
		*msgs = append((*msgs)[:keep], (*msgs)[keep+1:]...)
		dropped++
	}
}
