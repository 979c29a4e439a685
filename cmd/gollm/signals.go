package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// stopSignals stop a long command between units of work: Ctrl-C (SIGINT)
// and SIGTERM, what kill, timeout and service managers send.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// stoppedBy holds the last stop signal received (an os.Signal), which
// picks the exit status of a command that ends with errInterrupted.
var stoppedBy atomic.Value

// notifyStop returns a channel that receives each stop signal, recording
// it for stopStatus, and a function that stops the notifications.
func notifyStop() (<-chan os.Signal, func()) {
	raw := make(chan os.Signal, 1)
	out := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(raw, stopSignals...)
	go func() {
		for {
			select {
			case s := <-raw:
				stoppedBy.Store(s)
				select {
				case out <- s:
				default: // one is already waiting to be read
				}
			case <-done:
				return
			}
		}
	}()
	stopped := false
	return out, func() {
		if !stopped {
			stopped = true
			signal.Stop(raw)
			close(done)
		}
	}
}

// stopContext returns a context cancelled by the first stop signal. After
// that signal the handler is removed, so a second one ends the process at
// once, as without gollm's handling. Call the returned function when the
// work is over.
func stopContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	sigs, stop := notifyStop()
	over := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		case <-over:
		}
		stop()
	}()
	var once atomic.Bool
	return ctx, func() {
		if once.CompareAndSwap(false, true) {
			close(over)
		}
		cancel()
	}
}

// stopStatus is the exit status and word for a command that ended with
// errInterrupted: 128 + the signal's number (130 for SIGINT, 143 for
// SIGTERM), as shells report a process the signal killed.
func stopStatus() (int, string) {
	s, _ := stoppedBy.Load().(os.Signal)
	if s == syscall.SIGTERM {
		return 128 + int(syscall.SIGTERM), "terminated"
	}
	return 130, "interrupted"
}

// partialResult sorts out the error of a command's work loop (cmd names
// the command) that finished done of total units (0: not known). A stop signal's
// cancellation after some units is no error: it says on stderr that the
// result is partial and returns true, and the caller prints what it has,
// marked so, before returning errInterrupted. The same before any unit is
// errInterrupted; other errors come back prefixed with cmd.
func partialResult(cmd string, err error, done, total int, units string) (bool, error) {
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, context.Canceled) && !errors.Is(err, errInterrupted):
		return false, fmt.Errorf("%s: %w", cmd, err)
	}
	_, word := stopStatus()
	if done == 0 {
		fmt.Fprintf(os.Stderr, "%s: %s before the first of %d %s finished: nothing to report\n", cmd, word, total, units)
		return false, errInterrupted
	}
	if total > 0 {
		fmt.Fprintf(os.Stderr, "%s: %s: partial result over the %d of %d %s finished\n", cmd, word, done, total, units)
	} else {
		fmt.Fprintf(os.Stderr, "%s: %s: partial result: the %d %s\n", cmd, word, done, units)
	}
	return true, nil
}
