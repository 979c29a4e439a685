package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/gollm/gollm/eval"
	"github.com/gollm/gollm/internal/sysmem"
	"github.com/gollm/gollm/weights"
)

// evalCmd groups the probes beyond perplexity.
var evalCmd = &cobra.Command{
	Use:   "eval",
	Short: "Probes of what an attention plan keeps: retrieval",
}

func init() {
	rootCmd.AddCommand(evalCmd)
	var mf modelFlags
	var spec eval.RetrievalSpec
	var file string
	var asJSON bool
	var plotFile string
	cmd := &cobra.Command{
		Use:   "retrieval",
		Short: "Retrieval of a distant span: NLL and top-1 copy accuracy of a repeat, per distance",
		Long: `Builds windows of --ctx tokens from --file whose last --span tokens repeat the
span that starts --distance tokens earlier (a list; 0: the window's start),
runs them under the attention plan flags and reports, per distance, the mean
NLL of the repeat's tokens after its first, their top-1 accuracy (0-1), and
the NLL of the same tokens where they first occur (what the model knows
without copying). A plan that loses distant keys shows it as a rising NLL
and falling accuracy with distance; exact vs hyper is one flag.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return fmt.Errorf("eval retrieval: --file is required")
			}
			if err := spec.Validate(1 << 62); err != nil { // the text's length is checked once it is read
				return fmt.Errorf("eval retrieval: %w", err)
			}
			l, err := mf.open()
			if err != nil {
				return err
			}
			defer l.close()
			if limit := l.ckpt.Config.MaxPositions; limit > 0 && spec.Ctx > limit {
				return fmt.Errorf("eval retrieval: --ctx %d is beyond the model's context of %d tokens", spec.Ctx, limit)
			}
			data, err := eval.Load(file, eval.LoadOptions{})
			if err != nil {
				return fmt.Errorf("eval retrieval: %w", err)
			}
			var text strings.Builder // the documents one after another
			for _, d := range data.Docs {
				text.WriteString(d.Text)
				text.WriteString("\n\n")
			}
			if err := sysmem.Check(l.model.StateBytes(spec.Ctx, weights.F32), fmt.Sprintf("a KV cache and scratch for %d tokens", spec.Ctx),
				"use a smaller --ctx"); err != nil {
				return err
			}
			ctx, stop := stopContext(cmd.Context())
			defer stop()
			res, err := eval.Retrieval(ctx, l.model, l.tok.Encode(text.String()), spec, l.plan)
			stopped, err := partialResult("eval retrieval", err, len(res), len(spec.Distances), "distances")
			if err != nil {
				return err
			}
			if plotFile != "" {
				png, err := retrievalPlot(res)
				if err != nil {
					return err
				}
				if err := writeFileAtomic(plotFile, png); err != nil {
					return err
				}
			}
			if err := reportRetrieval(cmd.OutOrStdout(), res, asJSON); err != nil || !stopped {
				return err
			}
			return errInterrupted
		},
	}
	mf.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&file, "file", "", "text file the windows are cut from (or a folder of .txt files, or LongBench JSONL: the documents one after another)")
	f.IntVar(&spec.Ctx, "ctx", 4096, "tokens per window, the repeat included")
	f.IntVar(&spec.Span, "span", 64, "tokens of the span that is repeated")
	f.IntSliceVar(&spec.Distances, "distance", []int{0}, "how far back the repeated span starts (a list; 0: the window's start)")
	f.IntVar(&spec.Windows, "windows", 4, "windows per distance, cut one after another from the text")
	f.BoolVar(&asJSON, "json", false, "one JSON object per distance: distance, windows, nll, accuracy, base_nll")
	f.StringVar(&plotFile, "plot", "", "write NLL and accuracy against distance to this PNG file")
	evalCmd.AddCommand(cmd)
}

// reportRetrieval prints the results as a table or JSON lines.
func reportRetrieval(w io.Writer, res []eval.RetrievalResult, asJSON bool) error {
	rep, err := newBenchReport(w, asJSON, benchColumn{"distance", 9}, benchColumn{"windows", 8}, benchColumn{"nll", 8},
		benchColumn{"accuracy", 9}, benchColumn{"base_nll", 9})
	if err != nil {
		return err
	}
	for _, r := range res {
		if err := rep.add(r, strconv.Itoa(r.Distance), strconv.Itoa(r.Windows), fmt.Sprintf("%.4f", r.NLL),
			fmt.Sprintf("%.4f", r.Accuracy), fmt.Sprintf("%.4f", r.BaseNLL)); err != nil {
			return err
		}
	}
	return nil
}

// retrievalPlot draws the repeat's NLL (with the first occurrence's) and
// its accuracy against distance, side by side.
func retrievalPlot(res []eval.RetrievalResult) ([]byte, error) {
	nll, acc := plot.New(), plot.New()
	nll.Title.Text, acc.Title.Text = "NLL of the repeated span", "top-1 copy accuracy"
	nll.X.Label.Text, acc.X.Label.Text = "distance (tokens)", "distance (tokens)"
	nll.Y.Label.Text, acc.Y.Label.Text = "mean NLL (nats)", "accuracy"
	acc.Y.Min, acc.Y.Max = 0, 1
	var rep, base, hit plotter.XYs
	for _, r := range res {
		x := float64(r.Distance)
		rep = append(rep, plotter.XY{X: x, Y: r.NLL})
		base = append(base, plotter.XY{X: x, Y: r.BaseNLL})
		hit = append(hit, plotter.XY{X: x, Y: r.Accuracy})
	}
	if err := addLine(nll, rep, 0, "repeat"); err != nil {
		return nil, err
	}
	if err := addLine(nll, base, 1, "first occurrence"); err != nil {
		return nil, err
	}
	if err := addLine(acc, hit, 0, "repeat"); err != nil {
		return nil, err
	}
	nll.Legend.Top = true
	return pngOf(nll, acc)
}
