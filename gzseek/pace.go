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

// paceStart is how long a parallel scan decodes in order before it first
// speculates: long enough for a caller that buffers what it reads (index
// builds hand 1 MiB buffers to the tar parser, a few of them ahead) to
// show whether it keeps up.
const paceStart = 50 * time.Millisecond

// paceTrim is how long the pace holds speculation back before the
// buffers of pieces are let go.
const paceTrim = 100 * time.Millisecond

// paceOutside is the share of its time the scan's caller may spend
// outside Read while the scan still speculates (see readerBound).
const paceOutside = 0.2

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

	// The caller's side: time spent inside Read and between Reads
	// (decayed), and when the last Read began and ended.
	inside, outside time.Duration
	entered, left   time.Time
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

// enter records that the scan's caller called Read.
func (pc *pace) enter() {
	now := time.Now()
	if !pc.left.IsZero() {
		pc.outside += now.Sub(pc.left)
	}
	pc.entered = now
}

// leave records that a Read returned.
func (pc *pace) leave() {
	now := time.Now()
	pc.inside += now.Sub(pc.entered)
	pc.left = now
	if pc.inside+pc.outside > paceDecay {
		pc.inside, pc.outside = pc.inside/2, pc.outside/2
	}
}

// readerBound reports whether the scan's caller spends more than
// paceOutside of its time outside Read: in its own work on the bytes, or
// waiting for whoever it hands them to. Decoding is then not what limits
// the pass, and speculating would only take CPU from the rest of the
// process (extracting without an index on two cores: the file writes
// take longer than the inflating).
func (pc *pace) readerBound() bool {
	t := pc.inside + pc.outside
	return t >= paceMin && float64(pc.outside) > paceOutside*float64(t)
}

// hold reports whether speculation should wait: until the caller's
// Reads have been timed for paceStart, and then while either the cores are
// saturated or the caller is reader-bound.
func (pc *pace) hold() bool {
	if pc.inside+pc.outside < paceStart {
		return true
	}
	return pc.saturated() || pc.readerBound()
}

// saturated reports whether the cores were all busy while the resolver
// decoded in order, so that speculating would not make the scan faster.
func (pc *pace) saturated() bool {
	if pc.unsupported || pc.wall < paceMin {
		return false
	}
	return float64(pc.busy) > (pc.cores-0.5)*float64(pc.wall)
}
