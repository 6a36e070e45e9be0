//go:build !unix

package gzseek

import "time"

// cpuTime reports that the process's CPU time is not known here.
func cpuTime() (time.Duration, bool) { return 0, false }
