package index

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
)

// treeSorter sorts the scratch records of a tree build (a key and a value
// each) by key in bounded memory: records collect in an arena until it
// holds sortRunBytes, are sorted there and written to a scratch file as
// sorted runs, and the runs are merged when the build ends. Equal keys
// come out next to each other, in no particular order.
//
// Records that come in key order (the members of an archive written in
// sorted order, as reproducible builds and dataset tools write them) are
// kept apart and need no sort: sorting them anyway was a twentieth of the
// build of a million members.
//
// It replaced a scratch bbolt file, whose B+tree inserts (and page
// spills, and remaps as the file grew) cost a third of the build's time on
// archives of small members; no Go library of the kind is kept well enough
// to depend on, and the whole of it is a sort, a file and a heap.
type treeSorter struct {
	f        *os.File
	path     string
	runBytes int // sortRunBytes, but for tests
	arena    []byte
	asc      []sortRec // records that came in ascending key order
	recs     []sortRec // the others
	runs     []sortRun
	off      int64 // end of the runs in f
	w        *bufio.Writer
}

// sortRunBytes is how many bytes of records a run holds before it is
// sorted and written out (a record is some 20 to 100 bytes).
const sortRunBytes = 8 << 20

// sortRec locates a record in the arena.
type sortRec struct {
	off        uint32
	klen, vlen uint32
}

// sortRun is a sorted run in the scratch file.
type sortRun struct{ off, n int64 }

func newTreeSorter(path string) (*treeSorter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &treeSorter{f: f, path: path, runBytes: sortRunBytes}, nil
}

// add adds a record; k and v are copied.
func (s *treeSorter) add(k, v []byte) error {
	r := sortRec{off: uint32(len(s.arena)), klen: uint32(len(k)), vlen: uint32(len(v))}
	if n := len(s.asc); n == 0 || bytes.Compare(s.key(s.asc[n-1]), k) <= 0 {
		s.asc = append(s.asc, r)
	} else {
		s.recs = append(s.recs, r)
	}
	s.arena = append(append(s.arena, k...), v...)
	if len(s.arena) >= s.runBytes {
		return s.spill()
	}
	return nil
}

func (s *treeSorter) key(r sortRec) []byte { return s.arena[r.off : r.off+r.klen] }

func (s *treeSorter) sort() {
	slices.SortFunc(s.recs, func(a, b sortRec) int { return bytes.Compare(s.key(a), s.key(b)) })
}

// spill writes the records in memory to the scratch file as sorted runs.
func (s *treeSorter) spill() error {
	s.sort()
	if s.w == nil {
		s.w = bufio.NewWriterSize(s.f, 1<<20)
	}
	for _, recs := range [][]sortRec{s.asc, s.recs} {
		if err := s.writeRun(recs); err != nil {
			return err
		}
	}
	s.asc, s.recs, s.arena = s.asc[:0], s.recs[:0], s.arena[:0]
	return nil
}

// writeRun writes sorted records to the scratch file as one run.
func (s *treeSorter) writeRun(recs []sortRec) error {
	if len(recs) == 0 {
		return nil
	}
	var n int64
	var hdr [2 * binary.MaxVarintLen32]byte
	for _, r := range recs {
		h := binary.AppendUvarint(hdr[:0], uint64(r.klen))
		h = binary.AppendUvarint(h, uint64(r.vlen))
		s.w.Write(h)
		s.w.Write(s.arena[r.off : r.off+r.klen+r.vlen])
		n += int64(len(h)) + int64(r.klen+r.vlen)
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("tree scratch: %w", err)
	}
	s.runs = append(s.runs, sortRun{off: s.off, n: n})
	s.off += n
	return nil
}

// each calls fn with every record in key order. The slices are valid
// during the call only. No record may be added after.
func (s *treeSorter) each(fn func(k, v []byte) error) error {
	if len(s.runs) == 0 {
		// Everything fits in memory: no file to read.
		s.recs, s.asc = append(s.recs, s.asc...), nil
		s.sort()
		for _, r := range s.recs {
			if err := fn(s.key(r), s.arena[r.off+r.klen:r.off+r.klen+r.vlen]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.spill(); err != nil {
		return err
	}
	s.asc, s.recs, s.arena = nil, nil, nil
	var h runHeap
	for _, r := range s.runs {
		rr := &runReader{r: bufio.NewReaderSize(io.NewSectionReader(s.f, r.off, r.n), 64<<10)}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, rr)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		rr := h[0]
		if err := fn(rr.k, rr.v); err != nil {
			return err
		}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// close removes the scratch file.
func (s *treeSorter) close() {
	s.f.Close()
	os.Remove(s.path)
}

// runReader reads the records of one run.
type runReader struct {
	r    *bufio.Reader
	buf  []byte
	k, v []byte
}

// next reads the next record, reporting false at the end of the run.
func (rr *runReader) next() (bool, error) {
	kl, err := binary.ReadUvarint(rr.r)
	if err == io.EOF {
		return false, nil
	}
	vl, err2 := binary.ReadUvarint(rr.r)
	if err != nil || err2 != nil || kl > sortRunBytes || vl > sortRunBytes {
		return false, fmt.Errorf("%w: tree scratch run", ErrFormat)
	}
	rr.buf = slices.Grow(rr.buf[:0], int(kl+vl))[:kl+vl]
	if _, err := io.ReadFull(rr.r, rr.buf); err != nil {
		return false, fmt.Errorf("tree scratch: %w", err)
	}
	rr.k, rr.v = rr.buf[:kl], rr.buf[kl:]
	return true, nil
}

// runHeap orders run readers by their current key.
type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return bytes.Compare(h[i].k, h[j].k) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
