package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gollm/gollm/eval"
)

// pplReport prints a perplexity run: the header, llama-perplexity's chunk
// line, the table or JSON lines, and the CSV and plot files.
type pplReport struct {
	flags  *pplFlags // the output flags: --json, --csv, --plot
	head   pplHeader
	wall   float64 // seconds of the whole evaluation
	timed  bool    // the runs carry timings (not when merged from part files)
	chunks bool    // a "[i]ppl," line is open
}

// pplHeader is what the report says about the data, the protocol and the
// plan above the table; a part file carries it for merge.
type pplHeader struct {
	Sources      []string `json:"sources"`
	Documents    int      `json:"documents"`
	Tokens       int      `json:"tokens"`
	SkippedLines int      `json:"skipped_lines"` // bad JSONL lines skipped with --skip-bad
	FirstSkip    string   `json:"first_skip"`    // why the first was
	Protocol     string   `json:"protocol"`
	Ctx          int      `json:"ctx"`
	Stride       int      `json:"stride"`
	MaxSpans     int      `json:"max_spans"` // --windows / --chunks (0: all)
	Spans        int      `json:"spans"`
	SkippedDocs  int      `json:"skipped_documents"` // too short for one span
	DecodeLast   int      `json:"decode_last"`
	Plan         string   `json:"plan"` // the plan of the flags, L aside
}

// newPplHeader describes a run over ds laid out by lay.
func newPplHeader(ds *dataset, proto eval.Protocol, lay eval.Layout, decodeLast int, plan string) pplHeader {
	return pplHeader{Sources: ds.sources, Documents: len(ds.ids), Tokens: ds.tokens, SkippedLines: ds.skippedLines,
		FirstSkip: ds.firstSkip, Protocol: proto.Name, Ctx: proto.Ctx, Stride: proto.Stride, MaxSpans: proto.Max,
		Spans: len(lay.Spans), SkippedDocs: lay.Skipped, DecodeLast: decodeLast, Plan: plan}
}

// header describes the data and the protocol.
func (r *pplReport) header(w io.Writer) {
	h, n := r.head, r.head.Spans
	fmt.Fprintf(w, "data: %s: %s, %d tokens\n", strings.Join(h.Sources, ", "), plural(h.Documents, "document"), h.Tokens)
	if h.SkippedLines > 0 {
		fmt.Fprintf(w, "skipped %d bad JSONL lines (first: %s)\n", h.SkippedLines, h.FirstSkip)
	}
	switch {
	case h.Protocol == eval.ProtocolPaper:
		fmt.Fprintf(w, "protocol paper: %s of ≥ %d tokens truncated to %d, one forward each, targets 1..%d scored\n", plural(n, "document"), h.Ctx, h.Ctx, h.Ctx-1)
	case h.Protocol == eval.ProtocolLlamaCpp:
		fmt.Fprintf(w, "protocol llamacpp: %s of %d tokens, targets %d..%d of each scored\n", plural(n, "chunk"), h.Ctx, h.Ctx/2+1, h.Ctx-1)
	case h.Stride > 0:
		fmt.Fprintf(w, "protocol windows, stride %d: %s of up to %d tokens, each scoring the targets the previous one did not\n", h.Stride, plural(n, "window"), h.Ctx)
	default:
		fmt.Fprintf(w, "protocol windows: %s of %d tokens, targets 1..%d of each scored\n", plural(n, "window"), h.Ctx, h.Ctx-1)
	}
	if h.SkippedDocs > 0 {
		fmt.Fprintf(w, "skipped %s too short for one window of %d tokens\n", plural(h.SkippedDocs, "document"), h.Ctx)
	}
	if m := h.DecodeLast; m > 0 {
		fmt.Fprintf(w, "decode: only the last %d targets of each window scored, each from a single-token decode step\n", m)
	}
	fmt.Fprintf(w, "attention: %s\n", h.Plan)
}

// spanDone prints llama-perplexity's running estimate "[i]ppl," of the
// first setting (first returns its run so far) under the llamacpp protocol.
func (r *pplReport) spanDone(w io.Writer, first func() eval.Run) {
	if r.head.Protocol != eval.ProtocolLlamaCpp || r.flags.asJSON || r.flags.sharded() {
		return
	}
	run := first()
	fmt.Fprintf(w, "[%d]%.4f,", run.Windows, run.PPL)
	r.chunks = true
}

// write prints the summaries and writes the CSV and plot files.
func (r *pplReport) write(w io.Writer, sums []eval.Summary) error {
	if r.flags.asJSON {
		enc := json.NewEncoder(w)
		for _, s := range sums {
			if err := enc.Encode(s); err != nil {
				return err
			}
		}
	} else {
		r.table(w, sums)
	}
	if r.flags.csv != "" {
		if err := writeFileAtomic(r.flags.csv, csvTable(sums)); err != nil {
			return fmt.Errorf("perplexity: --csv: %w", err)
		}
	}
	if r.flags.plot != "" {
		png, err := sweepPlot(sums, r.title())
		if err == nil {
			err = writeFileAtomic(r.flags.plot, png)
		}
		if err != nil {
			return fmt.Errorf("perplexity: --plot: %w", err)
		}
	}
	return nil
}

func (r *pplReport) title() string {
	return fmt.Sprintf("%s, %s protocol, ctx %d", strings.Join(r.head.Sources, ", "), r.head.Protocol, r.head.Ctx)
}

// table prints the human table; its last line is "PPL = X" of the first
// setting.
func (r *pplReport) table(w io.Writer, sums []eval.Summary) {
	first := sums[0]
	if r.chunks {
		fmt.Fprintln(w)
	}
	if r.head.Protocol == eval.ProtocolLlamaCpp {
		fmt.Fprintf(w, "Final estimate: PPL = %.4f +/- %.5f\n", first.PPL, first.PPLSE)
	}
	kl := first.KL != nil || len(sums) > 1 && sums[1].KL != nil
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "L\tpattern\tseeds\tPPL\t± sd\t± se\tPPL base 2\tdoc PPL\tΔ vs L=0\ttime s\tattn s\ttokens/s\tspeedup\tattn speedup\t"
	if kl {
		head += "KL\ttop-1\tmedian |Δp|\tp99 |Δp|\t"
	}
	fmt.Fprintln(tw, head)
	for _, s := range sums {
		pat := s.Pattern
		if pat == "" {
			pat = "-"
		}
		times := "-\t-\t-"
		if r.timed {
			times = fmt.Sprintf("%.2f\t%.2f\t%.0f", s.Seconds, s.AttnSeconds, s.TokensPerSec)
		}
		row := fmt.Sprintf("%d\t%s\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%s\t%s\t%s\t%s\t",
			s.HyperLayers, pat, len(s.Seeds), s.PPL, s.PPLSD, s.PPLSE, s.PPL2, s.DocPPL,
			optional(s.DeltaPct, "%+.2f%%"), times, optional(s.Speedup, "%.2f×"), optional(s.AttnSpeedup, "%.2f×"))
		if kl {
			if s.KL == nil {
				row += "ref\t\t\t\t"
			} else {
				row += fmt.Sprintf("%.5f\t%.2f%%\t%.2g\t%.2g\t", s.KL.MeanKL, 100*s.KL.Top1, s.KL.MedianADP, s.KL.P99ADP)
			}
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
	fmt.Fprintf(w, "PPL = e^CE over all %d scored tokens (CE = mean NLL in nats); base 2 = 2^CE, the released HyperAttention script's convention;\n", first.TokensScored)
	fmt.Fprintf(w, "doc PPL = e^(mean over %s of each one's CE), the paper protocol's figure; sd over seeds, se over tokens.\n", plural(first.Docs, "document"))
	if r.timed {
		fmt.Fprintf(w, "time = forward passes + output layer per setting (attn: inside attention); evaluation wall time %.1f s\n", r.wall)
	} else {
		fmt.Fprintln(w, "time: not in part files (each shard prints its own evaluation wall time)")
	}
	fmt.Fprintf(w, "PPL = %.6f\n", first.PPL)
}

// plural is "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// optional formats *v, or "-" when nil.
func optional(v *float64, format string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(format, *v)
}

// csvTable is the summaries as CSV, one row per setting.
func csvTable(sums []eval.Summary) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"hyper_layers", "pattern", "seeds", "ppl", "ppl_sd", "ppl_se", "ppl_base2", "mean_nll",
		"doc_ppl", "doc_ppl_base2", "docs", "windows", "tokens_scored", "seconds", "attention_seconds", "tokens_per_s",
		"delta_pct", "speedup", "attention_speedup", "mean_kl", "top1", "median_abs_dp", "p99_abs_dp"})
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return g(*v)
	}
	for _, s := range sums {
		seeds := make([]string, len(s.Seeds))
		for i, x := range s.Seeds {
			seeds[i] = strconv.FormatUint(x, 10)
		}
		row := []string{strconv.Itoa(s.HyperLayers), s.Pattern, strings.Join(seeds, " "), g(s.PPL), g(s.PPLSD), g(s.PPLSE),
			g(s.PPL2), g(s.MeanNLL), g(s.DocPPL), g(s.DocPPL2), strconv.Itoa(s.Docs), strconv.Itoa(s.Windows),
			strconv.Itoa(s.TokensScored), g(s.Seconds), g(s.AttnSeconds), g(s.TokensPerSec),
			opt(s.DeltaPct), opt(s.Speedup), opt(s.AttnSpeedup), "", "", "", ""}
		if s.KL != nil {
			copy(row[len(row)-4:], []string{g(s.KL.MeanKL), g(s.KL.Top1), g(s.KL.MedianADP), g(s.KL.P99ADP)})
		}
		w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}
