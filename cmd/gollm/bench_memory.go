package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/gollm/gollm/internal/parallel"
)

func init() {
	var (
		threads, mib, reps int
		asJSON             bool
	)
	cmd := &cobra.Command{
		Use:   "memory",
		Short: "Copy bandwidth (memmove, GB/s) with the worker threads: the decode speed limit",
		Long: `Copies a --mib MiB buffer into another with Go's copy (memmove), split
across --threads workers, and reports the median over --reps of
(bytes read + bytes written) / time. Decode is bounded by this figure
divided by the weight and KV bytes each token reads.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if threads < 0 || mib < 1 || reps < 1 {
				return fmt.Errorf("want --threads ≥ 0, --mib ≥ 1, --reps ≥ 1 (got %d, %d, %d)", threads, mib, reps)
			}
			parallel.SetThreads(threads)
			gbs := copyBandwidth(mib<<20, reps)
			return emitBandwidth(cmd.OutOrStdout(), asJSON, gbs, mib)
		},
	}
	f := cmd.Flags()
	f.IntVar(&threads, "threads", 0, "worker threads (default: all cores)")
	f.IntVar(&mib, "mib", 1024, "buffer size in MiB (well above the last-level cache)")
	f.IntVar(&reps, "reps", 5, "repeats (median reported)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	benchCmd.AddCommand(cmd)
}

// copyBandwidth returns the median memmove rate in GB/s, counting bytes
// read plus bytes written.
func copyBandwidth(size, reps int) float64 {
	src, dst := make([]byte, size), make([]byte, size)
	for i := range src {
		src[i] = byte(i)
	}
	const chunk = 1 << 20
	run := func() float64 {
		t := time.Now()
		parallel.For(size/chunk, 1, func(lo, hi int) {
			copy(dst[lo*chunk:hi*chunk], src[lo*chunk:hi*chunk])
		})
		return 2 * float64(size/chunk*chunk) / time.Since(t).Seconds() / 1e9
	}
	run() // fault the destination pages in
	r := make([]float64, reps)
	for i := range r {
		r[i] = run()
	}
	slices.Sort(r)
	return r[reps/2]
}

func emitBandwidth(w io.Writer, asJSON bool, gbs float64, mib int) error {
	if asJSON {
		b, err := json.Marshal(map[string]any{"copy_gb_per_s": gbs, "threads": parallel.Threads(), "mib": mib})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintf(w, "copy bandwidth (read+write), %d threads, %d MiB: %.1f GB/s\n", parallel.Threads(), mib, gbs)
	return err
}
