package mount

import (
	"container/list"
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/tarx-dev/tarx/index"
)

// store serves reads of the decompressed stream from a bounded cache of
// verified index.BlockSize blocks, shared by every open file, filled by a
// fixed number of decoders (index.RangeReaders).
//
// A read takes each block it covers from the cache, or waits for the
// decoder that is producing it, or else sets a decoder to produce it: an
// idle one whose stream stops at most a span before the block (it reads
// forward), or else a new or the least recently used one, which resumes
// at the checkpoint before the block. A decoder puts every block it
// decodes into the cache, also those it reads through to get to a block
// (the neighbours a directory's next file needs). Each decoder runs in
// its own goroutine, so reads of different places proceed on all cores.
//
// A read that continues a decoder's stream (a sequential reader's)
// also has readAhead blocks past it decoded in the background, span by
// span, by that decoder and by others resumed at the spans' checkpoints
// while fewer run than there are cores: the next reads find their blocks
// decoded while the previous ones travel to the kernel, and one reader's
// file is decoded on all cores.
//
// Memory is bounded: at most maxBlocks blocks are kept (those being
// copied out and those not yet decoded aside), the least recently used
// evicted first, and their buffers reused.
type store struct {
	a    *index.Archive
	ctx  context.Context // cancelled when unmounting
	size int64           // of the decompressed stream
	// ahead is how far (in blocks) past an idle decoder's stream a block
	// may lie for that decoder to read forward to it: reading a span
	// costs what a resume costs.
	ahead int64
	// starts are the first whole blocks after each checkpoint, in order:
	// where a resumed decoder starts, to cache all it decodes.
	starts []int64

	mu        sync.Mutex
	idle      *sync.Cond // a decoder stopped
	blocks    map[int64]*block
	lru       list.List // decoded blocks no read holds, most recent first
	decoded   int       // decoded blocks in blocks
	maxBlocks int
	free      [][]byte // buffers of evicted blocks
	decs      []*decoder
	maxDecs   int
	cores     int // decoders a sequential reader's read-ahead may run at once
	tick      int64
	closed    bool
}

// readAhead is how many blocks (4 MiB) a decoder continuing a
// sequential read decodes past it.
const readAhead = 64

// spareBuffers is how many buffers of evicted blocks are kept for reuse
// even when the cache is full.
const spareBuffers = readAhead

// block is one block of the stream in the cache: being decoded until
// ready is closed, then holding data or err.
type block struct {
	k     int64
	ready chan struct{}
	data  []byte
	err   error
	by    *decoder      // while not ready: the decoder producing it
	refs  int           // reads holding it
	elem  *list.Element // in lru when decoded and not held
}

// errRetry marks a block whose decoder stopped before producing it
// (it failed on an earlier block): the read asks again.
var errRetry = errors.New("mount: block not decoded, retry")

// decoder is one decompression stream and what it is set to do.
type decoder struct {
	rr      *index.RangeReader
	next    int64 // block its stream returns next, -1 if it has none
	until   int64 // it decodes blocks [next, until)
	running bool
	used    int64 // tick of its last scheduling, for least recently used
}

func newStore(ctx context.Context, a *index.Archive, decoders int, cacheBytes int64) (*store, error) {
	cps, err := a.Checkpoints()
	if err != nil {
		return nil, err
	}
	s := &store{
		a:         a,
		ctx:       ctx,
		size:      a.Info().UncompressedSize,
		ahead:     max(1, a.Info().Span/index.BlockSize),
		blocks:    map[int64]*block{},
		maxBlocks: int(max(1, cacheBytes/index.BlockSize)),
		maxDecs:   max(1, decoders),
		cores:     runtime.GOMAXPROCS(0),
	}
	for _, off := range cps {
		k := (off + index.BlockSize - 1) / index.BlockSize
		if n := len(s.starts); n == 0 || s.starts[n-1] < k {
			s.starts = append(s.starts, k)
		}
	}
	s.idle = sync.NewCond(&s.mu)
	context.AfterFunc(ctx, func() { // wake the reads waiting for a decoder
		s.mu.Lock()
		s.idle.Broadcast()
		s.mu.Unlock()
	})
	return s, nil
}

// startOf returns the block a resumed decoder starts at to produce block
// k: the first whole block after the checkpoint before k, or k itself.
func (s *store) startOf(k int64) int64 {
	lo, hi := 0, len(s.starts) // the first start > k is at hi
	for lo < hi {
		mid := (lo + hi) / 2
		if s.starts[mid] <= k {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return k
	}
	return s.starts[lo-1]
}

// blockCount returns the number of blocks of the stream.
func (s *store) blockCount() int64 {
	return (s.size + index.BlockSize - 1) / index.BlockSize
}

// newDecoder adds a decoder with no stream yet. Called with s.mu held.
func (s *store) newDecoder() *decoder {
	d := &decoder{rr: s.a.NewRangeReader()}
	s.decs = append(s.decs, d)
	return d
}

// blockLen returns the length of block k.
func (s *store) blockLen(k int64) int {
	return int(min(index.BlockSize, s.size-k*index.BlockSize))
}

// read returns the stream's bytes [off, off+n), all inside the stream,
// as slices of the cached blocks that hold them, every block verified.
// The blocks are held (not evicted nor reused) until passed to release.
func (s *store) read(off int64, n int) (held []*block, vecs [][]byte, err error) {
	if n <= 0 {
		return nil, nil, nil
	}
	end := off + int64(n)
	last := (end - 1) / index.BlockSize
	s.mu.Lock()
	s.keepAhead(last)
	s.mu.Unlock()
	for k := off / index.BlockSize; k <= last; k++ {
		b, err := s.acquire(k, last)
		if err != nil {
			s.release(held...)
			return nil, nil, err
		}
		held = append(held, b)
		start := k * index.BlockSize
		from, to := max(off, start), min(end, start+int64(len(b.data)))
		if to < min(end, start+index.BlockSize) {
			s.release(held...)
			return nil, nil, io.ErrUnexpectedEOF // the stream ended early
		}
		vecs = append(vecs, b.data[from-start:to-start])
	}
	return held, vecs, nil
}

// readAt reads the stream's bytes [off, off+len(p)) into p, as read.
func (s *store) readAt(p []byte, off int64) error {
	held, vecs, err := s.read(off, len(p))
	if err != nil {
		return err
	}
	defer s.release(held...)
	for _, v := range vecs {
		p = p[copy(p, v):]
	}
	return nil
}

// acquire returns block k, decoded and verified, held until release.
// last is the last block of the read, which a decoder set to produce k
// goes on to.
func (s *store) acquire(k, last int64) (*block, error) {
	for {
		b, err := s.wait(k, last)
		if err == errRetry {
			continue
		}
		return b, err
	}
}

func (s *store) wait(k, last int64) (*block, error) {
	s.mu.Lock()
	for {
		if s.closed || s.ctx.Err() != nil {
			s.mu.Unlock()
			return nil, context.Canceled
		}
		if b := s.blocks[k]; b != nil {
			b.refs++
			if b.elem != nil {
				s.lru.Remove(b.elem)
				b.elem = nil
			}
			s.mu.Unlock()
			select {
			case <-b.ready:
			case <-s.ctx.Done():
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			select {
			case <-b.ready:
			default: // unmounting
				b.refs--
				return nil, context.Canceled
			}
			if b.err != nil {
				b.refs--
				return nil, b.err
			}
			return b, nil
		}
		if s.schedule(k, last) {
			continue
		}
		s.idle.Wait() // every decoder is busy elsewhere
	}
}

// schedule sets a decoder to produce blocks k..last, and readAhead
// blocks further when k continues what the decoder decodes or decoded.
// It reports false if every decoder is busy elsewhere. Called with s.mu
// held; block k is not in the cache.
func (s *store) schedule(k, last int64) bool {
	var forward, lru *decoder
	for _, d := range s.decs {
		// d.until is where d's stream will stop (d.next when idle).
		if d.next >= 0 && d.next <= k && k <= d.until+s.ahead {
			if forward == nil || d.until > forward.until {
				forward = d
			}
		} else if !d.running && (lru == nil || d.used < lru.used) {
			lru = d
		}
	}
	switch {
	case forward != nil:
		sequential := k <= forward.until
		s.extend(forward, last+1)
		if sequential {
			s.readAhead(forward, last+1+readAhead)
		}
		return true
	case len(s.decs) < s.maxDecs:
		lru = s.newDecoder()
	case lru == nil:
		return false
	}
	lru.next = s.startOf(k)
	lru.until = lru.next
	s.extend(lru, last+1)
	return true
}

// readAhead sets decoders to produce the blocks after d's up to block to
// (exclusive) that no decoder produces and the cache does not hold, span
// by span: a span goes to an idle decoder resumed at its start while
// fewer decoders run than there are cores (so that a sequential reader
// is served by all of them), else to the decoder whose stream reaches it.
// Called with s.mu held.
func (s *store) readAhead(d *decoder, to int64) {
	to = min(to, s.blockCount())
	f := s.firstMissing(d.until, to)
	for f < to {
		end := min(s.nextStart(f), to)
		e := s.reaching(f)
		if e == nil || e.running {
			if h := s.helper(f); h != nil {
				h.next, h.until = f, f
				e = h
			}
		}
		if e == nil {
			e = d // resumes nowhere new: d decodes on through what is cached
		}
		s.extend(e, end)
		f = s.firstMissing(end, to)
	}
}

// keepAhead keeps the read-ahead of a sequential reader going: a read
// whose blocks are decoded or being decoded (so that it schedules
// nothing) with less than half a read-ahead produced past it sets the
// decoder whose stream stops there to go on. Called with s.mu held.
func (s *store) keepAhead(last int64) {
	if s.blocks[last] == nil {
		return // a miss: schedule reads ahead
	}
	to := last + 1 + readAhead
	f := s.firstMissing(last+1, to)
	if f >= to || f-last-1 > readAhead/2 {
		return
	}
	if d := s.reaching(f); d != nil {
		s.readAhead(d, to)
	}
}

// firstMissing returns the first block from f on, at most to, that the cache
// does not hold and no decoder produces. Called with s.mu held.
func (s *store) firstMissing(f, to int64) int64 {
	for f < to && s.blocks[f] != nil {
		f++
	}
	return f
}

// nextStart returns the first whole block after the first checkpoint past
// block k, or the end of the stream.
func (s *store) nextStart(k int64) int64 {
	i, _ := slices.BinarySearch(s.starts, k+1)
	if i == len(s.starts) {
		return s.blockCount()
	}
	return s.starts[i]
}

// reaching returns a decoder whose stream stops at block k (it would
// produce k next without a resume), or nil. Called with s.mu held.
func (s *store) reaching(k int64) *decoder {
	for _, d := range s.decs {
		if d.next >= 0 && d.next <= k && d.until == k {
			return d
		}
	}
	return nil
}

// helper returns a decoder to resume at block k, a checkpoint's first
// whole block, for read-ahead: an idle one or a new one, if fewer
// decoders run than there are cores; else nil. Called with s.mu held.
func (s *store) helper(k int64) *decoder {
	if s.startOf(k) != k {
		return nil
	}
	running := 0
	var idle *decoder
	for _, d := range s.decs {
		if d.running {
			running++
		} else if idle == nil || d.used < idle.used {
			idle = d
		}
	}
	if running >= s.cores {
		return nil
	}
	if idle == nil && len(s.decs) < s.maxDecs {
		idle = s.newDecoder()
	}
	return idle
}

// extend sets d to decode up to block until (exclusive, at most the end
// of the stream), marking the blocks it will produce that the cache does
// not hold, and starts it.
func (s *store) extend(d *decoder, until int64) {
	until = min(until, s.blockCount())
	d.until = max(d.until, until)
	for j := d.next; j < d.until; j++ {
		if s.blocks[j] == nil {
			s.blocks[j] = &block{k: j, ready: make(chan struct{}), by: d}
		}
	}
	s.tick++
	d.used = s.tick
	if !d.running {
		d.running = true
		go s.run(d)
	}
}

// run decodes blocks with d until it reaches d.until, the mount ends, or
// a block fails.
func (s *store) run(d *decoder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.closed || s.ctx.Err() != nil || d.next >= d.until {
			s.stop(d, context.Canceled)
			return
		}
		k := d.next
		var buf []byte
		if n := len(s.free); n > 0 {
			buf, s.free = s.free[n-1], s.free[:n-1]
		} else {
			buf = make([]byte, index.BlockSize)
		}
		buf = buf[:s.blockLen(k)]
		s.mu.Unlock()
		n, err := d.rr.ReadAt(buf, k*index.BlockSize)
		s.mu.Lock()
		if err == io.EOF && n == len(buf) {
			err = nil
		}
		if err != nil {
			d.next = -1
			if b := s.blocks[k]; b != nil && b.by == d {
				s.finish(b, nil, err)
			}
			s.free = append(s.free, buf[:cap(buf)])
			s.stop(d, errRetry)
			return
		}
		d.next = k + 1
		if b := s.blocks[k]; b != nil && b.by == d {
			s.finish(b, buf, nil)
		} else {
			s.free = append(s.free, buf[:cap(buf)]) // cached already
		}
		s.evict()
	}
}

// finish makes b ready with data or err. Called with s.mu held.
func (s *store) finish(b *block, data []byte, err error) {
	b.data, b.err, b.by = data, err, nil
	close(b.ready)
	if err != nil {
		delete(s.blocks, b.k) // a later read tries again
		return
	}
	s.decoded++
	if b.refs == 0 {
		b.elem = s.lru.PushFront(b)
	}
}

// stop ends d's run: the blocks it was still to produce fail with err
// (errRetry: their reads ask another decoder). Called with s.mu held.
func (s *store) stop(d *decoder, err error) {
	for j := max(d.next, 0); j < d.until; j++ {
		if b := s.blocks[j]; b != nil && b.by == d {
			s.finish(b, nil, err)
		}
	}
	if d.next < 0 {
		d.until = -1
	}
	d.running = false
	if s.closed {
		d.rr.Close()
	}
	s.idle.Broadcast()
}

// release gives back blocks taken with acquire.
func (s *store) release(held ...*block) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range held {
		// A held block is never evicted: it is still in s.blocks.
		if b.refs--; b.refs == 0 {
			b.elem = s.lru.PushFront(b)
		}
	}
	s.evict()
}

// evict drops the least recently used blocks beyond maxBlocks. Called
// with s.mu held.
func (s *store) evict() {
	for s.decoded > s.maxBlocks {
		e := s.lru.Back()
		if e == nil {
			return // every block is held by a read
		}
		b := s.lru.Remove(e).(*block)
		b.elem = nil
		delete(s.blocks, b.k)
		s.decoded--
		s.free = append(s.free, b.data[:cap(b.data)])
		b.data = nil
	}
	// Keep no more spare buffers than the cache could use, but always
	// a read-ahead's worth: in a full cache, every block decoded evicts
	// one, whose buffer the next block reuses (dropping them made a
	// sequential reader allocate, zero and collect its whole file).
	if extra := len(s.free) - max(s.maxBlocks-s.decoded, spareBuffers); extra > 0 {
		clear(s.free[len(s.free)-extra:])
		s.free = s.free[:len(s.free)-extra]
	}
}

// close stops the decoders and releases their streams.
func (s *store) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, d := range s.decs {
		if !d.running {
			d.rr.Close()
		}
	}
	s.idle.Broadcast()
}
