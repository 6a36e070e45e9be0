package main

import (
	"os"
	"runtime/debug"

	"github.com/tarx-dev/tarx/gzseek"
)

// extractGC is the garbage collector's setting for commands that write
// members to disk. Their live heap is small (the queued units, the
// Writer's directories: 15-25 MiB on a million members) but they allocate
// fast, so at the default GOGC of 100 the collector ran about every 30 MB
// of allocation: with 400, extracting 1M small members took 10% less wall
// time and 14% less user CPU (docs/BENCH-SCALE.md). The soft limit keeps
// the heap bounded whatever the archive; it grows by what a parallel
// first pass on scanJobs goroutines may hold (gzseek.ScanMemory), which
// under 128 MiB alone kept the collector running without pause and made
// a cold extraction twice as slow. GOGC or GOMEMLIMIT in the environment
// wins.
func extractGC(scanJobs int) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(128<<20 + gzseek.ScanMemory(scanJobs))
}
