package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/gollm/gollm/eval"
	"github.com/spf13/cobra"
)

func init() {
	var mf modelFlags
	var file string
	var ctx, windows int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "perplexity",
		Short: "Perplexity of a model on a text: the first K windows of N tokens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return fmt.Errorf("perplexity: --file is required")
			}
			text, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("perplexity: %w", err)
			}
			l, err := mf.open()
			if err != nil {
				return err
			}
			defer l.close()
			if max := l.ckpt.Config.MaxPositions; max > 0 && ctx > max {
				return fmt.Errorf("perplexity: --ctx %d exceeds the model's context of %d tokens", ctx, max)
			}
			ids := l.tok.Encode(string(text))
			bar := newProgress(stderrIsTerminal(), "windows")
			res, err := eval.Windows(l.model, ids, ctx, windows, l.plan, bar.update)
			bar.done()
			if err != nil {
				return fmt.Errorf("perplexity: %s: %w", file, err)
			}
			if asJSON {
				return json.NewEncoder(os.Stdout).Encode(res)
			}
			fmt.Printf("file %s: %d tokens, %d windows of %d, attention %s\n", file, len(ids), res.Windows, ctx, l.plan)
			fmt.Printf("tokens scored %d in %.2f s (%.0f tokens/s)\n", res.TokensScored, res.Seconds, float64(res.Windows*ctx)/res.Seconds)
			fmt.Printf("PPL = %.6f\n", res.PPL)
			return nil
		},
	}
	mf.register(cmd.Flags())
	cmd.Flags().StringVar(&file, "file", "", "text file to evaluate")
	cmd.Flags().IntVar(&ctx, "ctx", 1024, "tokens per window")
	cmd.Flags().IntVar(&windows, "windows", 0, "evaluate only the first K windows (default: all that fit)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON line with ppl, mean_nll, tokens_scored, windows")
	rootCmd.AddCommand(cmd)
}
