//go:build !linux

package parallel

import "runtime"

// osYield gives the processor to another goroutine (no portable thread
// yield outside Linux).
func osYield() { runtime.Gosched() }
