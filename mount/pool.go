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
}

func newPool(a *index.Archive, n int) *pool {
	// Reading forward up to a span costs at most what a resume costs.
	p := &pool{a: a, max: n, ahead: a.Info().Span}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// follows reports whether a read at stream offset off continues a stream
// that stops at end: it starts in end's last block or at most p.ahead after.
func (p *pool) follows(off, end int64) bool {
	return end >= 0 && off >= end-index.BlockSize && off-end <= p.ahead
}

// get returns a decoder for a read of [off, end) of the decompressed
// stream, waiting while all are in use. Give it back with put.
func (p *pool) get(ctx context.Context, off, end int64) (*slot, error) {
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
			case !s.busy && p.follows(off, s.end):
				idle = s
			case s.busy && p.follows(off, s.end):
				wait = true
			case !s.busy && (lru == nil || s.used < lru.used):
				lru = s
			}
		}
		switch {
		case idle != nil:
			return p.take(idle, end), nil
		case wait:
		case len(p.slots) < p.max:
			s := &slot{rr: p.a.NewRangeReader()}
			p.slots = append(p.slots, s)
			return p.take(s, end), nil
		case lru != nil:
			return p.take(lru, end), nil
		}
		p.cond.Wait()
	}
}

func (p *pool) take(s *slot, end int64) *slot {
	p.tick++
	s.busy, s.end, s.used = true, end, p.tick
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
