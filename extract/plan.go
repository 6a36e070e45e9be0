package extract

import (
	"archive/tar"
	"slices"
	"sync"

	"github.com/tarx-dev/tarx/index"
)

// A unit is a run of the decompressed stream read by one worker: it
// resumes at the checkpoint start and performs tasks in offset order.
// Members without data (directories, links, empty files) ride along as
// entry tasks, written in their turn without reading the stream; a unit
// of entries alone reads nothing.
type unit struct {
	start int64 // checkpoint to resume at
	end   int64 // offset just past the last task that reads the stream
	data  bool  // some task reads the stream: start and end are set
	tasks []task
	// entries counts the tasks that are entries.
	entries int
	// verified units hold pieces of shared files (see planShared), read
	// through a RangeReader from start rather than a resumed stream.
	verified bool
}

// A task is one member written whole, or one piece of a member split
// across units at checkpoints.
type task struct {
	m     *index.Member
	off   int64  // stream offset where the task's bytes begin
	end   int64  // stream offset just past them
	split *split // nil for a whole member
	piece int    // index of the piece in split
	entry bool   // a member without data: nothing to read
}

// split is a big member written in pieces by several workers.
type split struct {
	m         *index.Member
	f         *File
	shared    *SharedFile // instead of f, for a member several shards write
	mu        sync.Mutex
	crcs      []uint32 // CRC-32 of each piece, once done
	lens      []int64
	left      int // pieces not yet done
	failed    bool
	discarded bool
}

// A planner lays out an extraction as a stream: members arrive in
// archive order and leave as units of work over the checkpoints cps
// (sorted decompressed offsets), so that nothing is held per member
// beyond the unit being filled. Members whose data is one contiguous run
// and crosses checkpoints are split there, so that several workers write
// them at once.
type planner struct {
	cps  []int64
	cur  *unit
	emit func(*unit) error // receives each unit once it is complete
}

// add plans the data of member m (which hasData), returning the split
// it was cut into, if any, for the caller to create its file before the
// split's units are emitted.
func (p *planner) add(m *index.Member) (*split, error) {
	if !m.Contiguous() {
		// Sparse: read through archive/tar from the header on.
		return nil, p.task(task{m: m, off: m.HeaderOffset, end: m.DataEnd})
	}
	// Checkpoints strictly inside the data cut it into pieces.
	i, _ := slices.BinarySearch(p.cps, m.DataOffset+1)
	j, _ := slices.BinarySearch(p.cps, m.DataEnd)
	if i >= j {
		return nil, p.task(task{m: m, off: m.DataOffset, end: m.DataEnd})
	}
	cuts := append(append([]int64{m.DataOffset}, p.cps[i:j]...), m.DataEnd)
	s := &split{m: m, crcs: make([]uint32, len(cuts)-1), lens: make([]int64, len(cuts)-1), left: len(cuts) - 1}
	for k := 0; k+1 < len(cuts); k++ {
		s.lens[k] = cuts[k+1] - cuts[k]
	}
	return s, nil
}

// pieces plans the pieces of split s; call it after its file exists.
func (p *planner) pieces(s *split) error {
	off := s.m.DataOffset
	for k, n := range s.lens {
		if err := p.task(task{m: s.m, off: off, end: off + n, split: s, piece: k}); err != nil {
			return err
		}
		off += n
	}
	return nil
}

// entry plans member m, which has no data (!hasData), in its turn: it
// joins the current unit, which then writes it between the tasks before
// and after it. A unit holds at most maxEntries, so that a long run of
// directories is not held at once.
func (p *planner) entry(m *index.Member) error {
	if p.cur != nil && p.cur.entries >= maxEntries {
		if err := p.flush(); err != nil {
			return err
		}
	}
	if p.cur == nil {
		p.cur = &unit{}
	}
	p.cur.tasks = append(p.cur.tasks, task{m: m, off: m.HeaderOffset, end: m.HeaderOffset, entry: true})
	p.cur.entries++
	return nil
}

// maxEntries bounds the entry tasks of a unit.
const maxEntries = 1024

// task adds t to the current unit, or starts a new unit at t's checkpoint
// unless the current one's reading already runs past it.
func (p *planner) task(t task) error {
	cp := checkpointBefore(p.cps, t.off)
	if p.cur != nil && p.cur.data && cp > p.cur.start && cp >= p.cur.end {
		if err := p.flush(); err != nil {
			return err
		}
	}
	if p.cur == nil {
		p.cur = &unit{}
	}
	if !p.cur.data {
		p.cur.start, p.cur.data = cp, true
	}
	p.cur.tasks = append(p.cur.tasks, t)
	p.cur.end = max(p.cur.end, t.end)
	return nil
}

// flush emits the current unit.
func (p *planner) flush() error {
	if p.cur == nil {
		return nil
	}
	u := p.cur
	p.cur = nil
	return p.emit(u)
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
