package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gollm/gollm/eval"
)

// newPerplexityMergeCmd is `gollm perplexity merge PART...`.
func newPerplexityMergeCmd() *cobra.Command {
	var pf pplFlags
	cmd := &cobra.Command{
		Use:   "merge PART...",
		Short: "Print the report of a sharded perplexity run from its part files",
		Long: `Merge the part files that gollm perplexity --shard i/N --out-part FILE wrote, one per shard,
and print the report the unsharded command prints: the same table, --json, --csv and --plot, with
the same figures to the last digit (the units' sums are added in unit order either way), timings
aside: parts hold none. The parts must come from one run (same model, data, protocol and
settings), be shards of the same N, and together hold every unit exactly once.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("perplexity merge: give the part files (PART...)")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, paths []string) error {
			return runPerplexityMerge(os.Stdout, &pf, paths)
		},
	}
	addReportFlags(cmd.Flags(), &pf)
	return cmd
}

// runPerplexityMerge reads the parts at paths, checks that they make one
// whole run and writes its report to w.
func runPerplexityMerge(w io.Writer, pf *pplFlags, paths []string) error {
	parts := make([]*pplPart, len(paths))
	for i, path := range paths {
		p, err := readPartFile(path)
		if err != nil {
			return fmt.Errorf("perplexity merge: %w", err)
		}
		parts[i] = p
	}
	results, err := mergeParts(paths, parts)
	if err != nil {
		return fmt.Errorf("perplexity merge: %w", err)
	}
	id := parts[0].Identity
	settings, docs := id.settings(), id.Header.Documents
	runs, err := eval.Fold(settings, docs, results)
	if err != nil {
		return fmt.Errorf("perplexity merge: %w", err)
	}
	rep := &pplReport{flags: pf, head: id.Header}
	if !pf.asJSON {
		rep.header(w)
	}
	// llama-perplexity's running estimate, as the unsharded run prints it
	// after each chunk: the first setting over the units so far.
	first := make([]eval.SpanResult, len(results))
	for i, r := range results {
		r.Scores = r.Scores[:1]
		first[i] = r
		rep.spanDone(w, func() eval.Run {
			runs, _ := eval.Fold(settings[:1], docs, first[:i+1])
			return runs[0]
		})
	}
	return rep.write(w, eval.Summarize(runs))
}

// mergeParts checks that parts (read from paths) are the shards of one run
// — the same identity, the same shard count, each shard once, every unit
// once, the units' spans the run's — and returns their units in order. It
// warns on stderr when the parts ran on different kernels.
func mergeParts(paths []string, parts []*pplPart) ([]eval.SpanResult, error) {
	first := parts[0]
	for i, p := range parts[1:] {
		if f, a, b := identityDiff(first.Identity, p.Identity); f != "" {
			return nil, fmt.Errorf("%s and %s are parts of different runs: they differ in %s (%s against %s)", paths[0], paths[i+1], f, a, b)
		}
	}
	shardOf := map[int]string{}
	for i, p := range parts {
		if p.Shard.Count != first.Shard.Count {
			return nil, fmt.Errorf("%s is shard %s but %s is shard %s: parts of splits into different numbers of shards", paths[0], first.Shard, paths[i], p.Shard)
		}
		if other, ok := shardOf[p.Shard.Index]; ok {
			return nil, fmt.Errorf("%s and %s are both shard %s", other, paths[i], p.Shard)
		}
		shardOf[p.Shard.Index] = paths[i]
	}
	// Memory and time follow the units the parts hold, not the count
	// their header claims.
	units := first.Identity.Header.Spans
	owner := map[int]string{}
	var results []eval.SpanResult
	for i, p := range parts {
		for _, r := range p.Units {
			if o, ok := owner[r.Unit]; ok {
				return nil, fmt.Errorf("unit %d is in both %s and %s", r.Unit, o, paths[i])
			}
			owner[r.Unit] = paths[i]
			results = append(results, r)
		}
	}
	if len(results) < units {
		var missing, absent []string
		for u := 0; len(missing) < 11 && u < units; u++ {
			if _, ok := owner[u]; !ok {
				missing = append(missing, strconv.Itoa(u))
			}
		}
		for s := 0; s < first.Shard.Count && len(absent) < 11; s++ {
			if _, ok := shardOf[s]; !ok {
				absent = append(absent, shardSpec{Index: s, Count: first.Shard.Count}.String())
			}
		}
		why := "the parts hold fewer units than their run: were they made by another gollm?"
		if len(absent) > 0 {
			why = "no part for shard " + listShort(absent, first.Shard.Count-len(parts))
		}
		return nil, fmt.Errorf("%d of the run's %d units are missing: unit %s (%s)", units-len(results), units, listShort(missing, units-len(results)), why)
	}
	slices.SortFunc(results, func(a, b eval.SpanResult) int { return a.Unit - b.Unit })
	spans := make([]eval.Span, len(results))
	for u, r := range results {
		spans[u] = r.Span
	}
	if spanDigest(spans) != first.Identity.Spans {
		return nil, fmt.Errorf("the units' spans are not the run's (its spans digest %s): a part was edited", first.Identity.Spans)
	}
	backends := map[string][]string{}
	for _, p := range parts {
		backends[p.Backend] = append(backends[p.Backend], p.Shard.String())
	}
	if len(backends) > 1 {
		var kinds []string
		for b, shards := range backends {
			kinds = append(kinds, fmt.Sprintf("%s (shard %s)", b, strings.Join(shards, ", ")))
		}
		slices.Sort(kinds)
		fmt.Fprintf(os.Stderr, "gollm: warning: the parts ran on different kernels: %s; the merged figures may differ in the last digits from a run on one machine\n", strings.Join(kinds, "; "))
	}
	return results, nil
}

// listShort joins the first ten of n items with commas (items may hold
// fewer than n), and says how many more there are.
func listShort(items []string, n int) string {
	if n <= 10 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:10], ", "), n-10)
}
