package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/parallel"
)

func init() {
	var (
		threads, mib, reps int
		asJSON             bool
	)
	cmd := &cobra.Command{
		Use:   "memory",
		Short: "Memory bandwidth (copy and read, GB/s) with the worker threads: the decode speed limit",
		Long: `Copies a --mib MiB buffer into another with Go's copy (memmove), split
across --threads workers, and reports the median over --reps of
(bytes read + bytes written) / time; then the median rate of reading the
buffer with the GEMV kernel that streams weights and KV caches in decode
(four streams per thread; read-only bandwidth). Decode is bounded by the
bandwidth divided by the weight and KV bytes each token reads.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if threads < 0 || mib < 1 || reps < 1 {
				return fmt.Errorf("want --threads ≥ 0, --mib ≥ 1, --reps ≥ 1 (got %d, %d, %d)", threads, mib, reps)
			}
			parallel.SetThreads(threads)
			cp, rd := bandwidth(mib<<20, reps)
			return emitBandwidth(cmd.OutOrStdout(), asJSON, cp, rd, mib)
		},
	}
	f := cmd.Flags()
	f.IntVar(&threads, "threads", 0, "worker threads (default: all cores)")
	f.IntVar(&mib, "mib", 1024, "buffer size in MiB (well above the last-level cache)")
	f.IntVar(&reps, "reps", 5, "repeats (median reported)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	benchCmd.AddCommand(cmd)
}

// bandwidth returns the median memmove rate (bytes read plus bytes
// written) and the median read-only rate, in GB/s.
func bandwidth(size, reps int) (copyGBs, readGBs float64) {
	const chunk = 1 << 20 // bytes per task
	n := size / chunk * chunk
	src, dst := make([]float32, n/4), make([]float32, n/4)
	for i := range src {
		src[i] = float32(i & 1023)
	}
	const per = chunk / 4 // floats per task
	// The read pass takes each task's floats as rows of a matrix and
	// multiplies it by one vector, as decode does with weights and keys.
	const k = 1024
	x := make([]float32, k)
	sink := make([]float32, n/chunk*(per/k))
	copyRun := func() {
		parallel.For(n/chunk, 1, func(lo, hi int) { copy(dst[lo*per:hi*per], src[lo*per:hi*per]) })
	}
	readRun := func() {
		parallel.For(n/chunk, 1, func(lo, hi int) {
			for c := lo; c < hi; c++ {
				kernels.DotRows(sink[c*(per/k):(c+1)*(per/k)], x, 1, src[c*per:(c+1)*per])
			}
		})
	}
	return 2 * float64(n) / medianTime(reps, copyRun) / 1e9, float64(n) / medianTime(reps, readRun) / 1e9
}

// medianTime runs f once to warm up (faulting pages in), then reps times,
// and returns the median seconds.
func medianTime(reps int, f func()) float64 {
	f()
	r := make([]float64, reps)
	for i := range r {
		t := time.Now()
		f()
		r[i] = time.Since(t).Seconds()
	}
	slices.Sort(r)
	return r[reps/2]
}

func emitBandwidth(w io.Writer, asJSON bool, cp, rd float64, mib int) error {
	if asJSON {
		b, err := json.Marshal(map[string]any{"copy_gb_per_s": cp, "read_gb_per_s": rd, "threads": parallel.Threads(), "mib": mib})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintf(w, "%d threads, %d MiB: copy (read+write) %.1f GB/s, read %.1f GB/s\n", parallel.Threads(), mib, cp, rd)
	return err
}
