package parallel

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestForCoversOnce checks every index is visited exactly once, chunks
// respect the grain, and this holds for several thread counts.
func TestForCoversOnce(t *testing.T) {
	defer SetThreads(0)
	for _, th := range []int{1, 2, 3, 8} {
		SetThreads(th)
		for _, n := range []int{0, 1, 7, 64, 1000} {
			for _, grain := range []int{0, 1, 5, 64} {
				seen := make([]atomic.Int32, n)
				For(n, grain, func(lo, hi int) {
					if g := max(grain, 1); (hi-lo < g && hi != n) || lo%g != 0 {
						t.Errorf("threads %d n %d grain %d: bad chunk [%d,%d)", th, n, grain, lo, hi)
					}
					for i := lo; i < hi; i++ {
						seen[i].Add(1)
					}
				})
				for i := range seen {
					if c := seen[i].Load(); c != 1 {
						t.Fatalf("threads %d n %d grain %d: index %d visited %d times", th, n, grain, i, c)
					}
				}
			}
		}
	}
}

// TestForNested checks For may be called from inside fn without deadlock.
func TestForNested(t *testing.T) {
	defer SetThreads(0)
	SetThreads(4)
	var total atomic.Int64
	For(16, 1, func(lo, hi int) {
		For(100, 3, func(lo2, hi2 int) { total.Add(int64(hi2 - lo2)) })
	})
	if total.Load() != 1600 {
		t.Fatalf("nested total %d, want 1600", total.Load())
	}
}

func TestSetThreads(t *testing.T) {
	defer SetThreads(0)
	SetThreads(3)
	if Threads() != 3 {
		t.Fatalf("Threads() = %d after SetThreads(3)", Threads())
	}
	SetThreads(-1)
	if Threads() < 1 {
		t.Fatalf("Threads() = %d after SetThreads(-1)", Threads())
	}
}

func BenchmarkForOverhead(b *testing.B) {
	var sink atomic.Int64
	for b.Loop() {
		For(2, 1, func(lo, hi int) { sink.Add(int64(hi)) })
	}
}

// TestForAfterIdle checks jobs still run once the helpers have stopped
// polling and parked.
func TestForAfterIdle(t *testing.T) {
	defer SetThreads(0)
	SetThreads(2)
	for range 3 {
		var n atomic.Int64
		For(64, 1, func(lo, hi int) { n.Add(int64(hi - lo)) })
		if n.Load() != 64 {
			t.Fatalf("covered %d of 64", n.Load())
		}
		time.Sleep(3 * spinFor)
	}
}

// BenchmarkForHandoff times For over two equal busy chunks (about 10 µs
// each, the size of a decode step's small products) against running them
// one after the other: For takes about half as long when the helper picks
// its chunk up at once.
func BenchmarkForHandoff(b *testing.B) {
	defer SetThreads(0)
	SetThreads(2)
	var sink atomic.Int64
	work := func(lo, hi int) {
		s := int64(0)
		for i := 0; i < 25000; i++ {
			s += int64(i ^ lo)
		}
		sink.Add(s)
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			work(0, 1)
			work(1, 2)
		}
	})
	b.Run("for", func(b *testing.B) {
		for b.Loop() {
			For(2, 1, work)
		}
	})
}

// TestForPanic checks that a panic in any chunk, a helper's included,
// reaches For's caller (where it can be recovered) after every chunk ends.
func TestForPanic(t *testing.T) {
	SetThreads(4)
	defer SetThreads(0)
	for bad := range 8 {
		var ran atomic.Int64
		got := func() (r any) {
			defer func() { r = recover() }()
			For(8, 1, func(lo, hi int) {
				ran.Add(1)
				if lo == bad {
					panic(bad)
				}
			})
			return nil
		}()
		if got != bad || ran.Load() != 8 {
			t.Errorf("panic in chunk %d: recovered %v after %d chunks, want %d after 8", bad, got, ran.Load(), bad)
		}
	}
}
