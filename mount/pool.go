package mount

import (
	"context"
	"sync"

	"github.com/tarx-dev/tarx/index"
)

// pool holds a fixed number of RangeReaders (decoders). A read takes the
// idle decoder whose stream stops at or just before its offset (a
// sequential reader's), waits for a busy one that will stop there (the
// kernel sends a file's read-ahead requests concurrently, and a second
// decoder would resume and decode the same stretch again), or else takes
// a new or the least recently used decoder. Memory stays bounded whatever
// the number of open files.
type pool struct {
	a     *index.Archive
	max   int
	ahead int64 // how far ahead of a decoder's stream a read may start and take it
	mu    sync.Mutex
	cond  *sync.Cond
	slots []*slot
	tick  int64 // use counter, for least recently used
}

// slot is one decoder and what it is doing.
type slot struct {
	rr   *index.RangeReader
	busy bool
	end  int64 // where its stream stops: after the read it serves, if busy
	used int64 // tick of its last use
	// A sparse member is read through archive/tar from its header, so
	// its reads continue by logical offset within the member instead.
	seq  int64 // the sparse member it last read, -1 if none
	mend int64 // the logical offset where that read ended
}

// span is a read: [off, end) of the decompressed stream, or for a sparse
// member (seq >= 0) of its logical contents.
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

// follows reports whether the read r continues what s reads or read: it
// starts in the last block of s's stream or at most p.ahead after it
// (for a sparse member: at or after where s's last read of it ended).
func (p *pool) follows(r span, s *slot) bool {
	if r.seq >= 0 {
		return s.seq == r.seq && r.off >= s.mend && r.off-s.mend <= p.ahead
	}
	return s.end >= 0 && r.off >= s.end-index.BlockSize && r.off-s.end <= p.ahead
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
	if r.seq >= 0 {
		s.seq, s.mend = r.seq, r.end
	} else {
		s.seq, s.end = -1, r.end
	}
	return s
}

// put gives back a decoder taken with get.
func (p *pool) put(s *slot) {
	p.mu.Lock()
	s.busy, s.end = false, s.rr.Offset()
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
