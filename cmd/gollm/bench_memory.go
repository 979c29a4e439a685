package main

import (
	"fmt"
	"io"
	"strconv"

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
			if mib < 1 || reps < 1 {
				return fmt.Errorf("want --mib ≥ 1, --reps ≥ 1 (got %d, %d)", mib, reps)
			}
			if err := setThreads(threads); err != nil {
				return err
			}
			return emitBandwidth(cmd.OutOrStdout(), asJSON, bandwidth(mib, reps))
		},
	}
	f := cmd.Flags()
	addThreads(f, &threads)
	f.IntVar(&mib, "mib", 1024, "buffer size in MiB (well above the last-level cache)")
	f.IntVar(&reps, "reps", 5, "repeats (median reported)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	benchCmd.AddCommand(cmd)
}

// bandwidthResult is the output of bench memory: the median memmove rate
// (bytes read plus bytes written) and the median read-only rate.
type bandwidthResult struct {
	Copy     float64 `json:"copy_gb_per_s"`
	Read     float64 `json:"read_gb_per_s"`
	Threads  int     `json:"threads"`
	MiB      int     `json:"mib"`
	CopyTime timing  `json:"copy_timing"`
	ReadTime timing  `json:"read_timing"`
}

// bandwidth times copying and reading mib MiB, each run once untimed
// (faulting the pages in) and then reps times.
func bandwidth(mib, reps int) bandwidthResult {
	const chunk = 1 << 20 // bytes per task
	n := mib * chunk
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
	t := benchTimer{warmUp: true, reps: reps}
	cp, rd := t.time(copyRun), t.time(readRun)
	return bandwidthResult{Copy: 2 * float64(n) / cp.Median / 1e9, Read: float64(n) / rd.Median / 1e9,
		Threads: parallel.Threads(), MiB: mib, CopyTime: cp, ReadTime: rd}
}

// emitBandwidth writes r as one JSON object or a one-row table.
func emitBandwidth(w io.Writer, asJSON bool, r bandwidthResult) error {
	rep, err := newBenchReport(w, asJSON, benchColumn{"threads", 7}, benchColumn{"MiB", 6},
		benchColumn{"copy (read+write) GB/s", 22}, benchColumn{"read GB/s", 9})
	if err != nil {
		return err
	}
	return rep.add(r, strconv.Itoa(r.Threads), strconv.Itoa(r.MiB), fmt.Sprintf("%.1f", r.Copy), fmt.Sprintf("%.1f", r.Read))
}
