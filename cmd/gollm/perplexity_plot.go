package main

import (
	"bytes"
	"slices"

	"github.com/gollm/gollm/eval"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// sweepPlot draws the paper's Figure 2 for a sweep as a PNG: perplexity
// (mean ± sd over seeds) against the number of Hyper layers L on the left,
// total and attention time against L on the right; one line per pattern,
// each starting from the L = 0 run when there is one.
func sweepPlot(sums []eval.Summary, title string) ([]byte, error) {
	lines := patternLines(sums)
	ppl, tm := plot.New(), plot.New()
	ppl.Title.Text = title
	ppl.X.Label.Text, ppl.Y.Label.Text = "HyperAttention layers L", "perplexity (e^CE), mean ± sd"
	tm.Title.Text = "time per setting"
	tm.X.Label.Text, tm.Y.Label.Text = "HyperAttention layers L", "seconds"
	tm.Y.Min = 0
	for i, line := range lines {
		var pts struct {
			plotter.XYs
			plotter.YErrors
		}
		var total, attn plotter.XYs
		for _, s := range line.sums {
			x := float64(s.HyperLayers)
			pts.XYs = append(pts.XYs, plotter.XY{X: x, Y: s.PPL})
			pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{s.PPLSD, s.PPLSD})
			total = append(total, plotter.XY{X: x, Y: s.Seconds})
			attn = append(attn, plotter.XY{X: x, Y: s.AttnSeconds})
		}
		if err := addLine(ppl, pts.XYs, i, line.name); err != nil {
			return nil, err
		}
		bars, err := plotter.NewYErrorBars(pts)
		if err != nil {
			return nil, err
		}
		bars.Color = plotutil.Color(i)
		ppl.Add(bars)
		if err := addLine(tm, total, 2*i, "total "+line.name); err != nil {
			return nil, err
		}
		if err := addLine(tm, attn, 2*i+1, "attention "+line.name); err != nil {
			return nil, err
		}
	}
	ppl.Legend.Top, tm.Legend.Top = true, true
	return pngOf(ppl, tm)
}

// pngOf draws plots side by side, 5 × 4 inches each, as one PNG.
func pngOf(plots ...*plot.Plot) ([]byte, error) {
	img := vgimg.New(vg.Length(len(plots))*5*vg.Inch, 4*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Inch / 4, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// addLine adds a line with point marks in style i.
func addLine(p *plot.Plot, xy plotter.XYs, i int, name string) error {
	l, s, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color, s.Color, s.Shape = plotutil.Color(i), plotutil.Color(i), plotutil.Shape(i)
	p.Add(l, s)
	p.Legend.Add(name, l, s)
	return nil
}

// patternLine is one pattern's sweep points in order of L.
type patternLine struct {
	name string
	sums []eval.Summary
}

// patternLines splits a sweep by pattern, in order of L, each line with
// the L = 0 summary when there is one.
func patternLines(sums []eval.Summary) []patternLine {
	var base []eval.Summary
	for _, s := range sums {
		if s.Pattern == "" {
			base = append(base, s)
		}
	}
	var lines []patternLine
	for _, s := range sums {
		if s.Pattern == "" {
			continue
		}
		i := 0
		for i < len(lines) && lines[i].name != s.Pattern {
			i++
		}
		if i == len(lines) {
			lines = append(lines, patternLine{name: s.Pattern, sums: slices.Clone(base)})
		}
		lines[i].sums = append(lines[i].sums, s)
	}
	if len(lines) == 0 {
		return []patternLine{{name: "no sweep", sums: base}}
	}
	for _, l := range lines {
		slices.SortStableFunc(l.sums, func(a, b eval.Summary) int { return a.HyperLayers - b.HyperLayers })
	}
	return lines
}
