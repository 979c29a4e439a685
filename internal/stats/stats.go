// Package stats holds the order statistics that the benchmarks (medians of
// repeated timings) and the evaluation (percentiles of |Δp|) share.
package stats

import "cmp"

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of sorted values: the value
// at rank q·(n−1) rounded to the nearest, so 0.5 is the median (the upper of
// the two middle values when n is even) and 1 the maximum. sorted must be
// non-empty and in ascending order.
func Quantile[T cmp.Ordered](sorted []T, q float64) T {
	return sorted[int(q*float64(len(sorted)-1)+0.5)]
}
