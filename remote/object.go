package remote

import (
	"bytes"
	"container/list"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Identity says which version of an object was opened.
type Identity struct {
	// Name is the location for messages: no credentials, no query.
	Name string
	// Size is the object's length in bytes; -1 if the server did not say
	// (possible only with a server that ignores ranges).
	Size int64
	// ETag is the entity tag as the server sent it, quotes included; empty
	// if it sent none.
	ETag string
	// LastModified is the server's Last-Modified (a local file's mtime);
	// zero if it sent none.
	LastModified time.Time
}

// Stats counts what an Object cost.
type Stats struct {
	// Requests is the number of requests sent, retries included.
	Requests int64
	// BytesFetched is the number of body bytes received.
	BytesFetched int64
}

// counters are the live Stats of an Object.
type counters struct {
	requests, bytes atomic.Int64
}

// getRequest is one request for a byte range, conditional on the identity.
type getRequest struct {
	id       *Identity
	off, end int64 // end < 0: to the end
	ranged   bool  // false: the server ignores ranges; skip off bytes of a full body
}

// backend is one protocol: it reads an object's identity and its bytes.
type backend interface {
	// stat returns the identity; ranged is false if the server ignores
	// ranges.
	stat(ctx context.Context) (id Identity, ranged bool, err error)
	// get returns the body of the request; it must fail with ErrChanged if
	// the reply shows another version of the object.
	get(ctx context.Context, r getRequest) (io.ReadCloser, error)
	close()
}

// Object is an opened location: an io.ReaderAt over one version of the
// object, safe for concurrent use. See the package documentation.
type Object struct {
	id     Identity
	opts   Options
	loc    Location
	be     backend  // nil for a local file
	file   *os.File // a local file
	ranged bool     // the server honours range requests
	stats  *counters
	ctx    context.Context // of the Object's lifetime: ends at Close
	cancel context.CancelFunc
	sem    chan struct{} // bounds requests in flight

	// Of OpenExpected: closed when the identity request has answered,
	// with confirmErr set; nil for an Object opened otherwise.
	confirmed  chan struct{}
	confirmErr error

	bs, last int64 // block size, index of the last block

	mu     sync.Mutex
	blocks map[int64]*block
	lru    list.List // complete blocks, most recently used first
	heads  [32]head  // recent sequential readers
	hints  [32]hint  // ranges announced by Hint
	unread int64     // blocks fetched or being fetched ahead that no read has asked for yet
	free   [][]byte  // buffers of blocks that left the cache, for new ones
	made   int       // buffers allocated (the tests bound it)
	tick   uint64
	failed error // sticky: the object changed
}

// block is one BlockSize piece of the object, being fetched until done is
// closed; then data or err is set.
//
// Its buffer goes back to Object.free for a later block once the block is
// out of the cache, its fetch has ended and no read still copies from it
// (refs), so that a whole extraction cycles through the cache's memory
// instead of allocating (and faulting in) every block of the object anew.
type block struct {
	idx     int64
	data    []byte
	skip    int  // bytes at the start not fetched (a hinted range began after them)
	used    bool // a read has asked for it (else it was fetched ahead)
	spared  bool // eviction passed it over once, unread
	fetched bool // its fetch has ended (done is closed)
	refs    int  // reads that acquired it and have not finished copying
	err     error
	done    chan struct{}
	elem    *list.Element
}

// hint is a range of blocks a reader announced it will read in order.
type hint struct {
	first, last int64
	tick        uint64
}

// head is where a sequential reader was last seen.
type head struct {
	blk    int64
	streak int
	tick   uint64
}

// Open opens the location (a local path, http://, https:// or
// s3://BUCKET/KEY) and reads its identity.
func Open(ctx context.Context, location string, opts Options) (*Object, error) {
	loc, err := ParseLocation(location)
	if err != nil {
		return nil, err
	}
	return OpenLocation(ctx, loc, opts)
}

// OpenLocation is Open on a parsed location.
func OpenLocation(ctx context.Context, loc Location, opts Options) (*Object, error) {
	o, err := openObject(ctx, loc, opts)
	if err != nil || o.file != nil {
		return o, err
	}
	if o.id, o.ranged, err = o.stat(ctx); err != nil {
		o.Close()
		return nil, err
	}
	o.setLast()
	return o, nil
}

// OpenExpected opens the location as the version of the object that a
// previous Open saw: expected is its Identity, and must carry a strong
// ETag. Over HTTP(S) it returns at once: the identity request goes out in
// the background, so that ranges announced meanwhile (Hint) are fetched in
// the same round trip instead of the one after it. Those requests are
// conditional on expected, ReadAt, ReadRange and Stream wait for the
// identity, and Confirm reports whether it matched; an Object whose
// identity did not match fails every read with ErrChanged. Other schemes
// read the identity first, as OpenLocation does, and fail with ErrChanged
// if it differs.
func OpenExpected(ctx context.Context, loc Location, opts Options, expected Identity) (*Object, error) {
	if !expected.StrongETag() || expected.Size < 0 {
		return nil, fmt.Errorf("remote: %s: an expected identity needs a strong ETag and a size", loc)
	}
	expected.Name = loc.String()
	if loc.Scheme != "http" && loc.Scheme != "https" {
		o, err := OpenLocation(ctx, loc, opts)
		if err != nil {
			return nil, err
		}
		if err := matchExpected(expected, o.id, o.Ranged()); err != nil {
			o.Close()
			return nil, err
		}
		return o, nil
	}
	o, err := openObject(ctx, loc, opts)
	if err != nil {
		return nil, err
	}
	o.id, o.ranged = expected, true
	o.setLast()
	o.confirmed = make(chan struct{})
	go func() {
		id, ranged, err := o.stat(o.ctx)
		if err == nil {
			err = matchExpected(expected, id, ranged)
		}
		if err != nil {
			o.mu.Lock()
			if o.failed == nil {
				o.failed = err
			}
			o.mu.Unlock()
		}
		o.confirmErr = err
		close(o.confirmed)
	}()
	return o, nil
}

// matchExpected checks the identity read against the one expected.
func matchExpected(expected, got Identity, ranged bool) error {
	switch {
	case got.ETag != expected.ETag:
		return fmt.Errorf("%w: %s: ETag %s, expected %s", ErrChanged, expected.Name, got.ETag, expected.ETag)
	case got.Size != expected.Size:
		return fmt.Errorf("%w: %s: size %d, expected %d", ErrChanged, expected.Name, got.Size, expected.Size)
	case !got.LastModified.IsZero() && !expected.LastModified.IsZero() && !got.LastModified.Equal(expected.LastModified):
		// Every response would fail checkValidators.
		return fmt.Errorf("%w: %s: Last-Modified %s, expected %s", ErrChanged, expected.Name,
			got.LastModified.UTC().Format(http.TimeFormat), expected.LastModified.UTC().Format(http.TimeFormat))
	case !ranged:
		return fmt.Errorf("%w: %s (random reads need range requests)", ErrNoRange, expected.Name)
	}
	return nil
}

// Confirm waits for the identity of an Object opened by OpenExpected and
// returns nil if it is the one expected: an error wrapping ErrChanged if
// not, or the error of the identity request. It returns nil at once for
// an Object opened otherwise.
func (o *Object) Confirm(ctx context.Context) error {
	if o.confirmed == nil {
		return nil
	}
	select {
	case <-o.confirmed:
		return o.confirmErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitIdentity waits, before a read hands back bytes, for the identity of
// an Object opened by OpenExpected.
func (o *Object) waitIdentity() error {
	if o.confirmed == nil {
		return nil
	}
	select {
	case <-o.confirmed:
		return o.confirmErr
	case <-o.ctx.Done():
		return fmt.Errorf("remote: %s: closed", o.id.Name)
	}
}

// openObject returns the Object of loc without reading its identity (a
// local file is opened).
func openObject(ctx context.Context, loc Location, opts Options) (*Object, error) {
	o := &Object{opts: opts, loc: loc, stats: &counters{}}
	if loc.Scheme == "file" {
		return openFile(o)
	}
	o.ctx, o.cancel = context.WithCancel(context.WithoutCancel(ctx))
	var err error
	switch loc.Scheme {
	case "http", "https":
		o.be = newHTTP(o.ctx, loc, &o.opts, o.stats)
	case "s3":
		o.be, err = newS3(ctx, loc, &o.opts, o.stats)
	default:
		err = fmt.Errorf("%w: %s: scheme %q", ErrLocation, loc, loc.Scheme)
	}
	if err != nil {
		o.cancel()
		return nil, err
	}
	o.bs = o.opts.blockSize()
	o.sem = make(chan struct{}, o.opts.maxRequests())
	o.blocks = make(map[int64]*block)
	return o, nil
}

// stat reads the identity, retrying as every request does.
func (o *Object) stat(ctx context.Context) (Identity, bool, error) {
	r := retrier{opts: &o.opts}
	for {
		sctx, cancel := context.WithTimeout(ctx, o.opts.stallTimeout())
		id, ranged, err := o.be.stat(sctx)
		timedOut := sctx.Err() == context.DeadlineExceeded && ctx.Err() == nil
		cancel()
		if err == nil {
			return id, ranged, nil
		}
		if timedOut {
			err = &retryableError{err: fmt.Errorf("%w: %s: no reply for %v", ErrStalled, o.loc, o.opts.stallTimeout())}
		}
		if err = r.wait(ctx, err); err != nil {
			return Identity{}, false, err
		}
	}
}

// setLast sets the index of the last block from the identity's size.
func (o *Object) setLast() {
	if o.id.Size > 0 {
		o.last = (o.id.Size - 1) / o.bs
	}
}

// ReadRange reads len(p) bytes at off, as ReadAt does, but with one request
// for exactly that range and without the block cache: for a small read
// nothing will read again (such as the last 64 KiB of an index's
// fingerprint), which a cached block would round up to a whole block.
func (o *Object) ReadRange(p []byte, off int64) (int, error) {
	if o.file != nil {
		return o.file.ReadAt(p, off)
	}
	if err := o.waitIdentity(); err != nil {
		return 0, err
	}
	end, err := o.readEnd(p, off)
	if err != nil {
		return 0, err
	}
	b := o.newBody(o.ctx, off, end)
	n, err := io.ReadFull(b, p[:end-off])
	b.Close()
	if err != nil {
		return n, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readEnd checks a read of p at off for ReadAt and ReadRange, and returns
// the offset where it ends in the object, or io.EOF at the end.
func (o *Object) readEnd(p []byte, off int64) (int64, error) {
	switch {
	case off < 0:
		return 0, fmt.Errorf("remote: %s: negative offset %d", o.id.Name, off)
	case !o.ranged:
		return 0, fmt.Errorf("%w: %s (random reads need range requests)", ErrNoRange, o.id.Name)
	case off >= o.id.Size:
		return 0, io.EOF
	}
	return min(off+int64(len(p)), o.id.Size), nil
}

// Identity returns the identity read when the object was opened.
func (o *Object) Identity() Identity { return o.id }

// Size returns the object's size (-1 if unknown).
func (o *Object) Size() int64 { return o.id.Size }

// Location returns the parsed location.
func (o *Object) Location() Location { return o.loc }

// File returns the open file of a local location, nil for a remote one.
func (o *Object) File() *os.File { return o.file }

// Ranged reports whether ReadAt works: the location is a local file or a
// server that honours range requests.
func (o *Object) Ranged() bool { return o.file != nil || o.ranged }

// Stats returns the requests made and bytes fetched so far.
func (o *Object) Stats() Stats {
	return Stats{Requests: o.stats.requests.Load(), BytesFetched: o.stats.bytes.Load()}
}

// Close ends requests in flight and releases the connections.
func (o *Object) Close() error {
	if o.file != nil {
		return o.file.Close()
	}
	o.cancel()
	o.be.close()
	return nil
}

func (o *Object) getRequest(off, end int64) getRequest {
	return getRequest{id: &o.id, off: off, end: end, ranged: o.ranged}
}

// Stream returns a sequential reader of the object from off to its end,
// resumed across dropped connections; it bypasses the block cache. It
// works with a server that ignores ranges too (resuming such a body
// re-reads it from the start). Cancelling ctx ends it.
func (o *Object) Stream(ctx context.Context, off int64) io.ReadCloser {
	if o.file != nil {
		return io.NopCloser(io.NewSectionReader(o.file, off, max(o.id.Size-off, 0)))
	}
	if err := o.waitIdentity(); err != nil {
		return io.NopCloser(&errReader{err})
	}
	if o.ranged && off >= 0 && off < o.id.Size {
		// Start with the cached block off lies in, if any.
		// A block is complete, and its bytes no longer written, once it is
		// in the LRU list; elem and skip are read under o.mu like every
		// other block field.
		start := off / o.bs * o.bs
		var data []byte
		o.mu.Lock()
		if b := o.blocks[off/o.bs]; b != nil && b.elem != nil && off-start >= int64(b.skip) {
			data = bytes.Clone(b.data) // the buffer goes to another block once evicted
		}
		o.mu.Unlock()
		if data != nil {
			rest := o.newBody(ctx, start+int64(len(data)), o.id.Size)
			return &prefixed{Reader: io.MultiReader(bytes.NewReader(data[off-start:]), rest), rest: rest}
		}
	}
	return o.newBody(ctx, off, o.id.Size)
}

// errReader fails every Read with err.
type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

// prefixed is a Stream that begins with cached bytes.
type prefixed struct {
	io.Reader
	rest *body
}

func (p *prefixed) Close() error { return p.rest.Close() }

// ReadAt reads len(p) bytes at off, from the cache or with range requests.
func (o *Object) ReadAt(p []byte, off int64) (int, error) {
	if o.file != nil {
		return o.file.ReadAt(p, off)
	}
	end, err := o.readEnd(p, off)
	if err != nil || len(p) == 0 {
		return 0, err
	}
	blocks, err := o.acquire(off, end)
	if err != nil {
		return 0, err
	}
	defer o.release(blocks)
	// The fetches are out; hand back bytes of the identity expected only.
	if err := o.waitIdentity(); err != nil {
		return 0, err
	}
	n := 0
	for _, b := range blocks {
		<-b.done
		if b.err != nil {
			return n, b.err
		}
		start := b.idx * o.bs
		lo := max(off, start) - start
		hi := min(end, start+int64(len(b.data))) - start
		n += copy(p[n:], b.data[lo:hi])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (o *Object) blockLen(idx int64) int64 {
	return min(o.bs, o.id.Size-idx*o.bs)
}

// acquire returns the blocks that hold the bytes [off, end), starting
// fetches for missing ones and for the read-ahead of a sequential reader.
func (o *Object) acquire(off, end int64) ([]*block, error) {
	a, b := off/o.bs, (end-1)/o.bs
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failed != nil {
		return nil, o.failed
	}
	// Read-ahead beyond half the cache would evict itself before use.
	half := int64(o.opts.cacheBlocks() / 2)
	var ra, limit int64
	h := o.hinted(a)
	if h != nil {
		// Fetch through to the end of the announced range, no further,
		// in a window twice the read-ahead: several hinted readers (the
		// workers of one extraction) share the cache.
		ra = min(h.last-b, 2*int64(o.opts.readAhead()), half)
		limit = min(b+max(ra, 0), o.last)
	} else {
		ra = min(int64(o.streak(a, b)), int64(o.opts.readAhead()), half)
		limit = min(b+ra, o.last)
	}
	// All readers together keep at most half the cache fetched ahead and
	// unread, so that the cache does not evict what is still to be read:
	// a run may add that many blocks past those asked for.
	ahead := func(from int64) int64 { return min(limit, from-1+max(half-o.unread, 0)) }
	res := make([]*block, 0, b-a+1)
	for k := a; k <= b; k++ {
		blk := o.blocks[k]
		if blk != nil && max(off-k*o.bs, 0) < int64(blk.skip) {
			// The read needs bytes a hint's fetch left out.
			o.drop(blk)
			blk = nil
		}
		if blk == nil {
			skip := 0
			if h != nil && k == a {
				skip = o.skip(k, off, h) // a hinted reader reads on from off
			}
			o.startRun(k, max(ahead(b+1), b), skip)
			blk = o.blocks[k]
		} else if blk.elem != nil {
			o.lru.MoveToFront(blk.elem)
		}
		o.use(blk)
		blk.refs++
		res = append(res, blk)
	}
	// Fetch ahead once no more than half the window is buffered, so that
	// read-ahead goes out in requests of several blocks.
	for m := b + 1; m <= limit; m++ {
		if o.blocks[m] == nil {
			if m-b-1 <= ra/2 && ahead(m) >= m {
				o.startRun(m, ahead(m), 0)
			}
			break
		}
	}
	return res, nil
}

// Hint announces that the bytes [off, end) will be read next, in order:
// their first blocks (up to a quarter of the cache, the first from off
// on) are fetched at once, reads inside the range fetch through to its
// end in few requests, and
// read-ahead stops there, so that a reader that knows its extent (such as
// one archive member) fetches little more than it needs, and a reader
// that announces its next range before it gets there (as extraction's
// workers do with their queued work) does not wait a round trip for it.
func (o *Object) Hint(off, end int64) {
	if o.file != nil || !o.ranged || off < 0 || end <= off || off >= o.id.Size {
		return
	}
	end = min(end, o.id.Size)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tick++
	slot := 0
	for i := range o.hints {
		if o.hints[i].tick < o.hints[slot].tick {
			slot = i
		}
	}
	h := hint{first: off / o.bs, last: (end - 1) / o.bs, tick: o.tick}
	o.hints[slot] = h
	if o.failed != nil {
		return
	}
	n := min(int64(o.opts.cacheBlocks()/4), int64(o.opts.cacheBlocks()/2)-o.unread)
	if n <= 0 {
		return
	}
	limit := min(h.last, h.first+n-1)
	for k := h.first; k <= limit; k++ {
		if o.blocks[k] == nil {
			skip := 0
			if k == h.first {
				skip = o.skip(k, off, &o.hints[slot])
			}
			o.startRun(k, limit, skip)
			return
		}
	}
}

// skip returns how many bytes at the start of block k a fetch for a
// reader in hinted range h, reading from off on, leaves out: those before
// off, as a reader that announced its range does not read before it,
// unless the block ends another announced range. o.mu is held.
func (o *Object) skip(k, off int64, h *hint) int {
	if off <= k*o.bs {
		return 0
	}
	for i := range o.hints {
		if g := &o.hints[i]; g != h && g.tick != 0 && g.first <= k && k <= g.last {
			return 0
		}
	}
	return int(off - k*o.bs)
}

// hinted returns the most recent hint whose range holds block k. o.mu is
// held.
func (o *Object) hinted(k int64) *hint {
	var best *hint
	for i := range o.hints {
		h := &o.hints[i]
		if h.tick != 0 && h.first <= k && k <= h.last && (best == nil || h.tick > best.tick) {
			best = h
		}
	}
	return best
}

// streak records a read of blocks a..b and returns how many blocks in a
// row its reader has read so far (0 for a read that continues no other).
func (o *Object) streak(a, b int64) int {
	o.tick++
	best, slot := -1, -1
	for i := range o.heads {
		h := &o.heads[i]
		if h.tick == 0 {
			continue
		}
		s := -1
		switch h.blk {
		case a:
			s = h.streak
		case a - 1:
			s = h.streak + 1
		}
		if s > best {
			best, slot = s, i
		}
	}
	if slot < 0 {
		best = 0
		for i := range o.heads {
			if slot < 0 || o.heads[i].tick < o.heads[slot].tick {
				slot = i
			}
		}
	}
	s := best + int(b-a)
	o.heads[slot] = head{blk: b, streak: s, tick: o.tick}
	return s
}

// startRun starts one request for the missing blocks from k on, up to
// limit or the first block present, leaving out the first skip bytes of
// block k. o.mu is held.
func (o *Object) startRun(k, limit int64, skip int) {
	var run []*block
	for i := k; i <= limit || i == k; i++ {
		if o.blocks[i] != nil {
			break
		}
		b := &block{idx: i, data: o.buffer(o.blockLen(i)), done: make(chan struct{})}
		if i == k {
			b.skip = skip
			clear(b.data[:skip]) // never read: see acquire
		}
		o.blocks[i] = b
		o.unread++
		run = append(run, b)
	}
	go o.fetch(run)
}

// fetch reads a run of consecutive blocks with one resumable request.
func (o *Object) fetch(run []*block) {
	select {
	case o.sem <- struct{}{}:
	case <-o.ctx.Done():
		o.fail(run, fmt.Errorf("remote: %s: closed", o.id.Name))
		return
	}
	defer func() { <-o.sem }()
	start := run[0].idx*o.bs + int64(run[0].skip)
	last := run[len(run)-1]
	b := o.newBody(o.ctx, start, last.idx*o.bs+int64(len(last.data)))
	defer b.Close()
	for i, blk := range run {
		if _, err := io.ReadFull(b, blk.data[blk.skip:]); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = fmt.Errorf("remote: %s: short body: %w", o.id.Name, err)
			}
			o.fail(run[i:], err)
			return
		}
		o.mu.Lock()
		o.complete(blk)
		o.mu.Unlock()
	}
}

// drop forgets blk, so that the next read of its bytes fetches them again;
// a fetch in flight completes into nothing. o.mu is held.
func (o *Object) drop(blk *block) {
	o.use(blk)
	if blk.elem != nil {
		o.lru.Remove(blk.elem)
		blk.elem = nil
	}
	if o.blocks[blk.idx] == blk {
		delete(o.blocks, blk.idx)
	}
	o.recycle(blk)
}

// use marks blk as asked for by a read. o.mu is held.
func (o *Object) use(blk *block) {
	if !blk.used {
		blk.used = true
		o.unread--
	}
}

// complete makes blk available and evicts the least recently used blocks
// beyond the cache size. A block fetched ahead and not read yet is spared
// once (moved to the front), so that read-ahead is not evicted before its
// reader gets there, but a block nobody reads does not stay for ever and
// hold the read-ahead budget. o.mu is held.
func (o *Object) complete(blk *block) {
	blk.fetched = true
	close(blk.done)
	if o.blocks[blk.idx] != blk {
		o.recycle(blk) // dropped while it was fetched
		return
	}
	blk.elem = o.lru.PushFront(blk)
	for e := o.lru.Back(); o.lru.Len() > o.opts.cacheBlocks() && e != nil; {
		old := e.Value.(*block)
		e = e.Prev()
		if !old.used && !old.spared {
			old.spared = true
			o.lru.MoveToFront(old.elem)
			continue
		}
		o.use(old) // an unread block leaves the read-ahead budget
		o.lru.Remove(old.elem)
		old.elem = nil
		if o.blocks[old.idx] == old {
			delete(o.blocks, old.idx)
		}
		o.recycle(old)
	}
}

// fail ends the blocks of a failed run with err, so that a later read
// tries again; a changed object fails every later read.
func (o *Object) fail(run []*block, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if isChanged(err) && o.failed == nil {
		o.failed = err
	}
	for _, b := range run {
		o.use(b)
		b.err = err
		b.fetched = true
		if o.blocks[b.idx] == b {
			delete(o.blocks, b.idx)
		}
		o.recycle(b) // a read of a failed block returns its error, never its data
		close(b.done)
	}
}

// buffer returns a buffer of n bytes for a new block: a recycled one if
// there is one. o.mu is held.
func (o *Object) buffer(n int64) []byte {
	if k := len(o.free); k > 0 {
		buf := o.free[k-1]
		o.free[k-1] = nil
		o.free = o.free[:k-1]
		return buf[:n]
	}
	o.made++
	return make([]byte, n, o.bs)
}

// recycle returns blk's buffer to o.free once blk is out of the cache, its
// fetch has ended and no read holds it. o.mu is held.
func (o *Object) recycle(blk *block) {
	if blk.data == nil || !blk.fetched || blk.refs > 0 || o.blocks[blk.idx] == blk {
		return
	}
	if cap(blk.data) == int(o.bs) && len(o.free) < o.opts.cacheBlocks() {
		o.free = append(o.free, blk.data)
	}
	blk.data = nil
}

// release ends the reads of blocks that acquire returned.
func (o *Object) release(blocks []*block) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, b := range blocks {
		b.refs--
		o.recycle(b)
	}
}
