//go:build unix

package gzseek

import (
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() (time.Duration, bool) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
