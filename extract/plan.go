package extract

import (
	"archive/tar"
	"slices"
	"sync"

	"github.com/tarx-dev/tarx/index"
)

// A plan is the work of one extraction: members that need no data
// (directories, links, fifos, devices), written first by one goroutine,
// and units of stream work for the workers.
type plan struct {
	meta  []*index.Member
	units []*unit
	bytes int64 // member bytes to write
}

// A unit is a run of the decompressed stream read by one worker: it
// resumes at the checkpoint start and performs tasks in offset order.
type unit struct {
	start int64 // checkpoint to resume at
	end   int64 // offset just past the last task
	tasks []task
}

// A task is one member written whole, or one piece of a member split
// across units at checkpoints.
type task struct {
	m     *index.Member
	off   int64  // stream offset where the task's bytes begin
	end   int64  // stream offset just past them
	split *split // nil for a whole member
	piece int    // index of the piece in split
}

// split is a big member written in pieces by several workers.
type split struct {
	m         *index.Member
	f         *File
	mu        sync.Mutex
	crcs      []uint32 // CRC-32 of each piece, once done
	lens      []int64
	left      int // pieces not yet done
	failed    bool
	discarded bool
}

// makePlan lays out the extraction of members (already selected, in
// archive order, earlier duplicates removed) over the checkpoints cps
// (sorted decompressed offsets). Members whose data is one contiguous run
// and crosses checkpoints are split there so that several workers write
// them at once.
func makePlan(members []*index.Member, cps []int64) *plan {
	p := &plan{}
	var tasks []task
	for _, m := range members {
		if !hasData(m) {
			p.meta = append(p.meta, m)
			continue
		}
		p.bytes += m.Header.Size
		if !m.Contiguous() {
			// Sparse: read through archive/tar from the header on.
			tasks = append(tasks, task{m: m, off: m.HeaderOffset, end: m.DataEnd})
			continue
		}
		// Checkpoints strictly inside the data cut it into pieces.
		i, _ := slices.BinarySearch(cps, m.DataOffset+1)
		j, _ := slices.BinarySearch(cps, m.DataEnd)
		if i >= j {
			tasks = append(tasks, task{m: m, off: m.DataOffset, end: m.DataEnd})
			continue
		}
		cuts := append(append([]int64{m.DataOffset}, cps[i:j]...), m.DataEnd)
		s := &split{m: m, crcs: make([]uint32, len(cuts)-1), lens: make([]int64, len(cuts)-1), left: len(cuts) - 1}
		for k := 0; k+1 < len(cuts); k++ {
			s.lens[k] = cuts[k+1] - cuts[k]
			tasks = append(tasks, task{m: m, off: cuts[k], end: cuts[k+1], split: s, piece: k})
		}
	}

	// Group tasks into units: a new unit starts at each new checkpoint,
	// unless the current unit's reading already runs past it.
	var cur *unit
	for _, t := range tasks {
		cp := checkpointBefore(cps, t.off)
		if cur == nil || (cp > cur.start && cp >= cur.end) {
			cur = &unit{start: cp}
			p.units = append(p.units, cur)
		}
		cur.tasks = append(cur.tasks, t)
		cur.end = max(cur.end, t.end)
	}
	return p
}

// hasData reports whether writing m needs its contents from the stream.
// Like GNU tar (and the Writer), unknown types are regular files.
func hasData(m *index.Member) bool {
	switch m.Header.Typeflag {
	case tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeFifo, tar.TypeChar, tar.TypeBlock:
		return false
	}
	return m.Header.Size > 0
}

// checkpointBefore returns the last checkpoint at or before off (cps[0]
// is always 0: the start of the first gzip member).
func checkpointBefore(cps []int64, off int64) int64 {
	i, found := slices.BinarySearch(cps, off)
	if found {
		return cps[i]
	}
	if i == 0 {
		return 0
	}
	return cps[i-1]
}

// splits returns the distinct split members of the plan, in order.
func (p *plan) splits() []*split {
	var out []*split
	for _, u := range p.units {
		for _, t := range u.tasks {
			if t.split != nil && t.piece == 0 {
				out = append(out, t.split)
			}
		}
	}
	return out
}
