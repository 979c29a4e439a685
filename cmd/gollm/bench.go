package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gollm/gollm/internal/stats"
)

// benchCmd groups the benchmarks; each benchmark adds itself as a subcommand.
var benchCmd = &cobra.Command{
	Use:   "bench",
	Short: "Benchmarks: matmul, attention, model",
}

func init() { rootCmd.AddCommand(benchCmd) }

// benchTimer says how a benchmark repeats the function it times.
type benchTimer struct {
	warmUp  bool    // one untimed run first (page faults, lazy set-up)
	reps    int     // timed runs, at least (below 1: one)
	seconds float64 // and more until this many seconds have passed
	enough  float64 // a first timed run longer than this many seconds is the only one (0: off)
}

// timing is the spread of a benchmark's timed runs, in seconds.
type timing struct {
	Runs   int     `json:"runs"`
	Min    float64 `json:"min_s"`
	Median float64 `json:"median_s"`
	Max    float64 `json:"max_s"`
}

// time runs f as t says and times each call.
func (t benchTimer) time(f func()) timing {
	tm, _ := t.measure(func() (float64, error) {
		start := time.Now()
		f()
		return time.Since(start).Seconds(), nil
	})
	return tm
}

// measure runs f as t says; f returns the seconds of its timed part, or
// an error that stops the benchmark.
func (t benchTimer) measure(f func() (float64, error)) (timing, error) {
	if t.warmUp {
		if _, err := f(); err != nil {
			return timing{}, err
		}
	}
	var ts []float64
	start := time.Now()
	for len(ts) < max(t.reps, 1) || time.Since(start).Seconds() < t.seconds {
		s, err := f()
		if err != nil {
			return timing{}, err
		}
		ts = append(ts, s)
		if t.enough > 0 && len(ts) == 1 && s > t.enough {
			break
		}
	}
	slices.Sort(ts)
	return timing{Runs: len(ts), Min: ts[0], Median: stats.Quantile(ts, 0.5), Max: ts[len(ts)-1]}, nil
}

// benchReport writes a benchmark's results: one JSON object per line under
// --json, else rows of a fixed-width text table under a heading row. A stop
// signal (Ctrl-C, SIGTERM) ends the benchmark after the row being measured:
// the next write says on stderr that the rows printed are a partial result
// and returns errInterrupted.
type benchReport struct {
	w    io.Writer
	json bool
	cols []benchColumn
	stop context.Context // cancelled by a stop signal
	rows int             // results written
}

// benchColumn is a table column: its heading and width (negative: left-aligned).
type benchColumn struct {
	head  string
	width int
}

// newBenchReport starts a report, writing the headings in table mode.
func newBenchReport(w io.Writer, asJSON bool, cols ...benchColumn) (*benchReport, error) {
	// The handler stays for the rest of the process, which ends with the
	// benchmark.
	stop, _ := stopContext(context.Background())
	r := &benchReport{w: w, json: asJSON, cols: cols, stop: stop}
	if asJSON {
		return r, nil
	}
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	return r, r.line(heads)
}

// add writes one result: v as JSON, or cells as a table row.
func (r *benchReport) add(v any, cells ...string) error {
	if r.json {
		return r.object(v)
	}
	return r.row(cells...)
}

// object writes v as one JSON line.
func (r *benchReport) object(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(r.w, "%s\n", b); err != nil {
		return err
	}
	return r.written()
}

// row writes one result as cells of the table.
func (r *benchReport) row(cells ...string) error {
	if err := r.line(cells); err != nil {
		return err
	}
	return r.written()
}

// line writes cells padded to the columns' widths, separated by spaces.
func (r *benchReport) line(cells []string) error {
	padded := make([]string, len(cells))
	for i, c := range cells {
		padded[i] = fmt.Sprintf("%*s", r.cols[i].width, c)
	}
	_, err := fmt.Fprintln(r.w, strings.Join(padded, " "))
	return err
}

// written counts a result and, once a stop signal has come, ends the
// benchmark: the results so far are a partial one.
func (r *benchReport) written() error {
	r.rows++
	if r.stop.Err() == nil {
		return nil
	}
	if _, err := partialResult("bench", r.stop.Err(), r.rows, 0, "results printed"); err != nil {
		return err
	}
	return errInterrupted
}
