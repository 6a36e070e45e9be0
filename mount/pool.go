package mount

import (
	"context"
	"sync"

	"github.com/tarx-dev/tarx/index"
)

// pool holds a fixed number of RangeReaders. A read takes the one whose
// stream stops nearest before its offset (a sequential reader's), or else
// the least recently used, so memory stays bounded whatever the number of
// open files.
type pool struct {
	a    *index.Archive
	sem  chan struct{} // one token per decoder that may be in use
	mu   sync.Mutex
	idle []*index.RangeReader // least recently used first
}

// nearAhead is how far ahead of a decoder's stream a read may start and
// still take that decoder: reading forward is cheaper than a resume.
const nearAhead = 1 << 20

func newPool(a *index.Archive, n int) *pool {
	return &pool{a: a, sem: make(chan struct{}, n)}
}

// get returns a decoder for a read at offset off of the decompressed
// stream, waiting while all are in use.
func (p *pool) get(ctx context.Context, off int64) (*index.RangeReader, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	best := -1
	for i, rr := range p.idle {
		// A decoder's last block may hold the read's start.
		if o := rr.Offset(); o >= 0 && off >= o-index.BlockSize && off-o <= nearAhead {
			best = i
		}
	}
	if best < 0 && len(p.idle) > 0 && len(p.idle)+len(p.sem) > cap(p.sem) {
		best = 0 // all decoders exist: reuse the least recently used
	}
	if best < 0 {
		return p.a.NewRangeReader(), nil
	}
	rr := p.idle[best]
	p.idle = append(p.idle[:best], p.idle[best+1:]...)
	return rr, nil
}

// put returns a decoder taken with get.
func (p *pool) put(rr *index.RangeReader) {
	p.mu.Lock()
	p.idle = append(p.idle, rr)
	p.mu.Unlock()
	<-p.sem
}

// close releases every idle decoder.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rr := range p.idle {
		rr.Close()
	}
	p.idle = nil
}
