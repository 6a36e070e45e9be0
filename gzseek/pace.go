package gzseek

import (
	"runtime"
	"time"
)

// paceDecay is how much time the pace remembers: past it, the totals
// halve, so that a change in the archive (or in the reader's work) shows
// within a few seconds.
const paceDecay = 2 * time.Second

// paceMin is how long the pace must have timed before it is trusted.
const paceMin = 20 * time.Millisecond

// pace tells a parallel scan whether speculation pays. Decoding a chunk
// from a guessed start costs more CPU than decoding it in order (markers
// to decode and replace, false starts, buffers), which pays only where
// cores would otherwise idle. When the process already keeps every core
// busy while the resolver decodes in order (building the index of a
// million small members on two cores: its reader does more work than the
// decoding), speculating takes CPU from the reader and the scan gets
// slower: the resolver then goes on decoding in order, and speculation
// resumes once cores idle again.
//
// The pace is the process's CPU time (cpuTime) over wall time, measured
// only over stretches when no worker runs, so that speculation does not
// count itself. Where the CPU time is not known (cpuTime reports false),
// the scan always speculates.
type pace struct {
	cores       float64
	wall, busy  time.Duration // timed so far (decayed)
	since       time.Time     // start of the stretch being timed, if timed
	sinceCPU    time.Duration
	timed       bool // no worker has run since since
	unsupported bool
}

func newPace() pace { return pace{cores: float64(runtime.GOMAXPROCS(0))} }

// sample ends the current stretch, adding it if no worker ran in it, and
// starts the next.
func (pc *pace) sample(idle bool) {
	if pc.unsupported {
		return
	}
	cpu, ok := cpuTime()
	if !ok {
		pc.unsupported = true
		return
	}
	now := time.Now()
	if pc.timed && idle && !pc.since.IsZero() {
		pc.wall += now.Sub(pc.since)
		pc.busy += cpu - pc.sinceCPU
		if pc.wall > paceDecay {
			pc.wall, pc.busy = pc.wall/2, pc.busy/2
		}
	}
	pc.since, pc.sinceCPU, pc.timed = now, cpu, true
}

// working records that a worker was started: the current stretch does not
// count.
func (pc *pace) working() { pc.timed = false }

// saturated reports whether the cores were all busy while the resolver
// decoded in order, so that speculating would not make the scan faster.
func (pc *pace) saturated() bool {
	if pc.unsupported || pc.wall < paceMin {
		return false
	}
	return float64(pc.busy) > (pc.cores-0.5)*float64(pc.wall)
}
