// Package sysmem reports how much memory the machine can still give, so
// commands can refuse a request with an estimate instead of being killed by
// the kernel's out-of-memory handler.
package sysmem

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Available returns MemAvailable from /proc/meminfo in bytes, and false
// where that is unknown (not Linux, unreadable).
func Available() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}

// Check returns an error when need bytes exceed the available memory. what
// names the request and hint says how to ask for less.
func Check(need int64, what, hint string) error {
	avail, ok := Available()
	if !ok || need <= avail {
		return nil
	}
	return fmt.Errorf("%s needs about %s but only %s of memory is available (%s)", what, Format(need), Format(avail), hint)
}

// Format writes a byte count with a binary unit (KiB, MiB, GiB).
func Format(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	v, u := float64(b), -1
	for v >= unit && u < 3 {
		v /= unit
		u++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"KiB", "MiB", "GiB", "TiB"}[u])
}
