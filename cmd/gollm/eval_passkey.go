package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"

	"github.com/gollm/gollm/chat"
	"github.com/gollm/gollm/eval"
)

func init() {
	var mf modelFlags
	var spec eval.PasskeySpec
	var cf chatFlags
	var asJSON bool
	var plotFile string
	cmd := &cobra.Command{
		Use:   "passkey",
		Short: "The passkey test: a number hidden in filler text, asked for at the end, over lengths × depths",
		Long: `The landmark-attention passkey test: filler sentences of about --lengths
tokens with "The pass key is N. Remember it." at each of --depths (0: the
start, 1: the end), then "What is the pass key? The pass key is"; a trial
passes when the first number of the greedy answer is N. --trials keys per
cell. With --chat the text is the user's message through the chat template
(for instruction models). Prints the accuracy per (length, depth); --plot
writes it as a heatmap PNG. The attention plan flags apply.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := mf.open()
			if err != nil {
				return err
			}
			defer l.close()
			if err := spec.Validate(l.ckpt.Config.MaxPositions); err != nil {
				return fmt.Errorf("eval passkey: %w", err)
			}
			render := l.tok.Encode
			if cf.on {
				t, err := cf.template(l)
				if err != nil {
					return fmt.Errorf("eval passkey: %w", err)
				}
				render = func(text string) []int {
					ids, err := cf.render(l, t, []chat.Message{{Role: "user", Content: text}})
					if err != nil {
						return nil // refused by the template: an empty prompt, reported below
					}
					return ids
				}
				if len(render("x")) == 0 {
					return fmt.Errorf("eval passkey: the chat template refuses a user message")
				}
			}
			ctx, stop := stopContext(cmd.Context())
			defer stop()
			cells, err := eval.Passkey(ctx, l.model, l.tok, render, spec, l.plan)
			stopped, err := partialResult("eval passkey", err, len(cells), len(spec.Lengths)*len(spec.Depths), "cells")
			if err != nil {
				return err
			}
			if plotFile != "" {
				png, err := passkeyPlot(cells, spec)
				if err != nil {
					return err
				}
				if err := writeFileAtomic(plotFile, png); err != nil {
					return err
				}
			}
			if err := reportPasskey(cmd.OutOrStdout(), cells, asJSON); err != nil || !stopped {
				return err
			}
			return errInterrupted
		},
	}
	mf.register(cmd.Flags())
	f := cmd.Flags()
	f.IntSliceVar(&spec.Lengths, "lengths", []int{1024, 2048, 4096}, "prompt lengths in tokens")
	f.Float64SliceVar(&spec.Depths, "depths", []float64{0, 0.25, 0.5, 0.75, 1}, "where the key sits in the filler (0-1)")
	f.IntVar(&spec.Trials, "trials", 5, "keys per (length, depth)")
	f.Uint64Var(&spec.Seed, "key-seed", 1, "seed of the keys")
	f.BoolVar(&cf.on, "chat", false, "send the text as a user message through the model's chat template")
	f.StringVar(&cf.templateFile, "chat-template-file", "", "with --chat: a Jinja chat template to use instead of the model's")
	f.BoolVar(&asJSON, "json", false, "one JSON object per cell: length, depth, trials, accuracy")
	f.StringVar(&plotFile, "plot", "", "write the accuracy heatmap (depth × length) to this PNG file")
	evalCmd.AddCommand(cmd)
}

// reportPasskey prints the cells as a table or JSON lines.
func reportPasskey(w io.Writer, cells []eval.PasskeyCell, asJSON bool) error {
	rep, err := newBenchReport(w, asJSON, benchColumn{"length", 7}, benchColumn{"depth", 6}, benchColumn{"trials", 7}, benchColumn{"accuracy", 9})
	if err != nil {
		return err
	}
	for _, c := range cells {
		if err := rep.add(c, strconv.Itoa(c.Length), fmt.Sprintf("%.2f", c.Depth), strconv.Itoa(c.Trials), fmt.Sprintf("%.2f", c.Accuracy)); err != nil {
			return err
		}
	}
	return nil
}

// passkeyGrid is the cells as a heatmap grid: columns the lengths (in the
// order asked), rows the depths.
type passkeyGrid struct {
	cells      []eval.PasskeyCell
	cols, rows int
}

func (g passkeyGrid) Dims() (int, int)   { return g.cols, g.rows }
func (g passkeyGrid) Z(c, r int) float64 { return g.cells[c*g.rows+r].Accuracy }
func (g passkeyGrid) X(c int) float64    { return float64(c) }
func (g passkeyGrid) Y(r int) float64    { return g.cells[r].Depth }

// passkeyPlot draws accuracy (red: 0, white: 1) over depth × length.
func passkeyPlot(cells []eval.PasskeyCell, spec eval.PasskeySpec) ([]byte, error) {
	g := passkeyGrid{cells: cells, cols: len(spec.Lengths), rows: len(spec.Depths)}
	hm := plotter.NewHeatMap(g, palette.Heat(12, 1))
	hm.Min, hm.Max = 0, 1
	p := plot.New()
	p.Title.Text = "passkey accuracy (red: 0, white: 1)"
	p.X.Label.Text, p.Y.Label.Text = "prompt tokens", "depth of the key"
	p.Add(hm)
	var ticks []plot.Tick
	for c := range g.cols {
		ticks = append(ticks, plot.Tick{Value: float64(c), Label: strconv.Itoa(cells[c*g.rows].Length)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	return pngOf(p)
}
