// Package parallel runs loops over index ranges on a fixed-size set of
// worker goroutines. The number of workers is set once per process with
// SetThreads (the CLI's --threads flag); kernels call For.
//
// Work is split into contiguous chunks whose boundaries depend only on the
// range and the grain, never on timing, so a kernel that reduces inside a
// chunk gets the same result whatever the thread count.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

var threads atomic.Int64

func init() { threads.Store(int64(runtime.NumCPU())) }

// SetThreads sets how many goroutines For uses (n < 1 means all CPUs).
func SetThreads(n int) {
	if n < 1 {
		n = runtime.NumCPU()
	}
	threads.Store(int64(n))
}

// Threads reports the number of goroutines For uses.
func Threads() int { return int(threads.Load()) }

// For calls fn(lo, hi) on disjoint chunks covering [0, n), each at least
// grain long (except the last), using up to Threads() goroutines. Chunks are
// handed out dynamically, so uneven work balances; fn must be safe to call
// concurrently on disjoint ranges. For returns when all chunks are done.
func For(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	t := Threads()
	chunks := (n + grain - 1) / grain
	if t <= 1 || chunks <= 1 {
		fn(0, n)
		return
	}
	if t > chunks {
		t = chunks
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	work := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			lo := c * grain
			hi := min(lo+grain, n)
			fn(lo, hi)
		}
	}
	wg.Add(t - 1)
	for i := 0; i < t-1; i++ {
		go func() { defer wg.Done(); work() }()
	}
	work()
	wg.Wait()
}
