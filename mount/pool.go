package mount

import (
	"context"
	"sync"

	"github.com/tarx-dev/tarx/index"
)

// pool holds a fixed number of RangeReaders (decoders) for the reads of
// sparse members, which archive/tar rebuilds from their headers, so that
// a reader keeps its place in a member by logical offset (the store
// serves every other read). A read takes the idle decoder whose last read
// of the member ended at or a little before its offset (a sequential
// reader's), waits for a busy one that will end there (the kernel sends
// a file's read-ahead requests concurrently, and a second decoder would
// start again from the header), or else takes a new or the least
// recently used decoder. Memory stays bounded whatever the number of
// open files.
type pool struct {
	a     *index.Archive
	max   int
	ahead int64 // how far past a decoder's place a read may start and take it
	mu    sync.Mutex
	cond  *sync.Cond
	slots []*slot
	tick  int64 // use counter, for least recently used
}

// slot is one decoder and what it is doing.
type slot struct {
	rr   *index.RangeReader
	busy bool
	used int64 // tick of its last use
	seq  int64 // the sparse member it reads or last read, -1 if none
	mend int64 // the logical offset where that read ends or ended
}

// span is a read of [off, end) of the logical contents of the sparse
// member seq.
type span struct {
	seq      int64
	off, end int64
}

func newPool(a *index.Archive, n int) *pool {
	// Reading forward up to ReadAhead costs at most what opening the
	// stream again costs (a resume, for gzip).
	p := &pool{a: a, max: n, ahead: a.ReadAhead()}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// follows reports whether the read r continues what s reads or read.
func (p *pool) follows(r span, s *slot) bool {
	return s.seq == r.seq && r.off >= s.mend && r.off-s.mend <= p.ahead
}

// get returns a decoder for the read r, waiting while all are in use.
// Give it back with put.
func (p *pool) get(ctx context.Context, r span) (*slot, error) {
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	defer stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var idle, lru *slot
		wait := false
		for _, s := range p.slots {
			switch {
			case !s.busy && p.follows(r, s):
				idle = s
			case s.busy && p.follows(r, s):
				wait = true
			case !s.busy && (lru == nil || s.used < lru.used):
				lru = s
			}
		}
		switch {
		case idle != nil:
			return p.take(idle, r), nil
		case wait:
		case len(p.slots) < p.max:
			s := &slot{rr: p.a.NewRangeReader(), seq: -1}
			p.slots = append(p.slots, s)
			return p.take(s, r), nil
		case lru != nil:
			return p.take(lru, r), nil
		}
		p.cond.Wait()
	}
}

func (p *pool) take(s *slot, r span) *slot {
	p.tick++
	s.busy, s.used = true, p.tick
	s.seq, s.mend = r.seq, r.end
	return s
}

// put gives back a decoder taken with get.
func (p *pool) put(s *slot) {
	p.mu.Lock()
	s.busy = false
	p.cond.Broadcast()
	p.mu.Unlock()
}

// close releases the streams of every idle decoder.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.slots {
		if !s.busy {
			s.rr.Close()
		}
	}
}
