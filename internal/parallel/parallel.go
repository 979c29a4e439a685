// Package parallel runs loops over index ranges on a fixed-size set of
// worker goroutines. The number of workers is set once per process with
// SetThreads (the CLI's --threads flag); kernels call For.
//
// Work is split into contiguous chunks whose boundaries depend only on the
// range and the grain, never on timing, so a kernel that reduces inside a
// chunk gets the same result whatever the thread count.
//
// Workers are long-lived goroutines started on first use, so a call to For
// costs a channel hand-off per helper rather than a goroutine start; an idle
// helper polls for the next job for a while (yielding its CPU between polls)
// before it parks, so back-to-back calls, as in decoding, hand off without a
// wake-up. The caller always works on its own loop too, so For may be nested
// (fn may call For) without deadlock.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
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
	t = min(t, chunks)
	j := &job{fn: fn, n: n, grain: grain, chunks: int64(chunks), done: make(chan struct{})}
	workers.wake(j, t-1)
	if !j.run() {
		j.wait()
	}
	if p := j.panicked.Load(); p != nil {
		panic(p.value) // on the caller, once every chunk has ended
	}
}

// spinFor is how long an idle goroutine polls for work (a helper for the
// next job, the caller for its helpers' last chunks) before it parks.
// Decode issues a For every few tens of microseconds; parking between them
// puts a wake-up on every hand-off (a futex wake and the scheduler's steal
// of the readied goroutine, often longer than the chunks themselves).
const spinFor = 50 * time.Microsecond

// A yield that takes longer than slowYield means other threads wanted the
// CPU: the machine is oversubscribed. Spinning then costs more than it
// saves (a spinner gives up its CPU at every poll and, unlike a parked
// thread, gets no priority back when work arrives), so for the next
// backOff every wait parks at once.
const (
	slowYield = 200 * time.Microsecond
	backOff   = 100 * time.Millisecond
)

// spinOffUntil is the time (Unix nanoseconds) before which spin does not
// spin.
var spinOffUntil atomic.Int64

// spin calls done until it reports true or spinFor has passed, and
// reports whether done became true. Between polls it yields the CPU to
// other threads and now and then the processor to other goroutines.
func spin(done func() bool) bool {
	if done() {
		return true
	}
	start := time.Now()
	if start.UnixNano() < spinOffUntil.Load() {
		return false
	}
	last := start
	for i := 1; ; i++ {
		if i&15 == 0 {
			runtime.Gosched()
		} else {
			osYield()
		}
		if done() {
			return true
		}
		now := time.Now()
		if now.Sub(last) > slowYield {
			spinOffUntil.Store(now.Add(backOff).UnixNano())
			return false
		}
		if now.Sub(start) > spinFor {
			return false
		}
		last = now
	}
}

// wait returns when every chunk of j is done.
func (j *job) wait() {
	if !spin(func() bool { return j.finished.Load() == j.chunks }) {
		<-j.done
	}
}

// job is one call of For shared between the caller and its helpers.
type job struct {
	fn       func(lo, hi int)
	n, grain int
	chunks   int64
	next     atomic.Int64 // next chunk to claim
	finished atomic.Int64 // chunks completed
	done     chan struct{}
	panicked atomic.Pointer[panicValue] // the first chunk's panic, raised again by For
}

// panicValue is what a chunk panicked with.
type panicValue struct{ value any }

// call runs fn on one chunk; a panic is kept for For to raise on its
// caller's goroutine (a helper's panic would otherwise end the process,
// where the caller can recover it).
func (j *job) call(lo, hi int) {
	defer func() {
		if r := recover(); r != nil {
			j.panicked.CompareAndSwap(nil, &panicValue{r})
		}
	}()
	j.fn(lo, hi)
}

// run claims and executes chunks until none are left. It reports whether
// this goroutine completed the last chunk (and so closed done).
func (j *job) run() bool {
	last := false
	for {
		c := j.next.Add(1) - 1
		if c >= j.chunks {
			return last
		}
		lo := int(c) * j.grain
		j.call(lo, min(lo+j.grain, j.n))
		if j.finished.Add(1) == j.chunks {
			close(j.done)
			last = true
		}
	}
}

// pool holds the long-lived helper goroutines; each waits on the shared
// queue for jobs. A helper that receives a job whose chunks are all claimed
// simply returns to the queue.
type pool struct {
	mu      sync.Mutex
	started int
	queue   chan *job
}

var workers = pool{queue: make(chan *job, 1024)}

// wake makes sure at least k helpers exist and offers j to k of them.
func (p *pool) wake(j *job, k int) {
	p.mu.Lock()
	for p.started < k {
		p.started++
		go p.serve()
	}
	p.mu.Unlock()
	for i := 0; i < k; i++ {
		select {
		case p.queue <- j:
		default: // queue full: the caller and the helpers already offered will finish j
			return
		}
	}
}

// serve runs jobs from the queue, polling it for spinFor after each job
// before blocking on it.
func (p *pool) serve() {
	for {
		var j *job
		spin(func() bool {
			select {
			case j = <-p.queue:
				return true
			default:
				return false
			}
		})
		if j == nil {
			j = <-p.queue
		}
		j.run()
	}
}
