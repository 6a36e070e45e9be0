package gzseek

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"sync"
	"time"

	"github.com/tarx-dev/tarx/internal/crc"
	"github.com/tarx-dev/tarx/internal/inflate"
)

// DefaultChunkSize is the compressed size of the chunks a parallel scan
// hands to its workers.
const DefaultChunkSize = 4 << 20

// chunkTail is how many bytes of the next chunk a chunk's buffer carries
// after its end, so that the search for a block start near the end of a
// chunk can read a whole header.
const chunkTail = 4 << 10

// minLookahead is how much input past its chunk a worker gets at least.
const minLookahead = 512 << 10

// gapOut bounds the output of one piece that the resolver decodes itself,
// so that it is read back while still in cache.
const gapOut = 1 << 20

// maxCandidates bounds the false block starts a worker tries in a chunk.
const maxCandidates = 16

// confirmPoints is how many block boundaries a decode from a candidate
// start must reach, when it fails later, for the worker to keep it.
const confirmPoints = 3

// gzipMagic starts every gzip member header (with the method, deflate).
var gzipMagic = []byte{0x1f, 0x8b, 8}

// job is one chunk's speculative decoding, in flight.
type job struct {
	chunk int
	done  chan *piece // receives the piece, or nil if no start was found
}

// wait returns the job's piece once the worker is done.
func (jb *job) wait() *piece {
	p := <-jb.done
	jb.done <- p // for the next call
	return p
}

// parallel is the parallel first pass behind a Scanner with Jobs > 1.
//
// The compressed input is read in chunks. A worker decodes each chunk
// from a block start it finds by trial (or, for the first chunk, from the
// file's start) to the first block boundary at or past the next chunk's
// start, with markers for the unknown window before it. The resolver, which
// runs inside Read, takes the pieces in order: a piece is used only if it
// starts exactly at the resolver's true position, the end of the previous
// piece; its markers are then replaced by the known window. Otherwise the
// resolver decodes sequentially from its true position up to the next
// piece's start, so a false start only costs time. Checkpoints, CRC-32 and
// ISIZE checks all happen in the resolver, on the true bytes.
type parallel struct {
	s     *Scanner
	r     io.Reader
	chunk int64
	jobs  int

	// Input, read by the resolver only: chunks[i] is chunk first+i.
	chunks [][]byte
	first  int
	eof    bool
	rerr   error

	next    int // next chunk to hand to a worker
	pending []job
	running chan struct{} // a token per worker decoding
	pool    sync.Pool     // of *pieceDecoder for the workers
	gap     pieceDecoder
	finder  sync.Pool // of *inflate.BlockFinder
	skipTo  int       // after false starts, no worker starts before this chunk
	streak  int       // false starts in a row

	// The resolver's state: everything before p is decoded and checked.
	p         pos
	member    int64  // members completed
	crc       uint32 // of the current member's output
	memberOut int64  // output of the current member
	out       int64  // output resolved
	returned  int64  // output returned by Read
	hist      history
	buf       []byte // resolved output not yet returned
	bufBase   []byte // the buffer buf is part of, to reuse once drained
	bufs      bufPool[byte]
	marks     bufPool[uint16]
	chunkBufs bufPool[byte]
	sizes     pieceSizes
	err       error // returned once buf is drained
	done      bool

	// pace decides whether speculation pays (pace.go); unpaced
	// speculates regardless (tests).
	pace    pace
	unpaced bool
	// heldSince is when the pace began to hold speculation back (zero
	// while it speculates).
	heldSince time.Time

	maxMarked            int // see defaultMaxMarked
	speculated, rejected int
	cut                  int   // pieces cut short by persistent markers
	reread               int64 // plain output the resolver read for want of a worker's sum
}

func newParallel(s *Scanner, r io.Reader, opts ScanOptions) *parallel {
	ps := &parallel{s: s, r: r, chunk: opts.chunkSize, jobs: opts.Jobs, p: pos{member: true},
		maxMarked: opts.maxMarked, unpaced: opts.unpaced, pace: newPace()}
	if ps.chunk <= 0 {
		ps.chunk = DefaultChunkSize
	}
	if ps.maxMarked <= 0 {
		ps.maxMarked = defaultMaxMarked
	}
	ps.running = make(chan struct{}, ps.jobs)
	// Pieces in flight take buffers as drained ones come back: a short
	// free list bridges the two.
	ps.bufs.max = ps.jobs + 2
	ps.marks.max = ps.jobs + 1
	ps.chunkBufs.max = 2*ps.jobs + 3
	ps.gap = pieceDecoder{src: ps, trustEnd: true, bufs: &ps.bufs, sizes: &ps.sizes, maxMarked: ps.maxMarked}
	return ps
}

// ScanMemory returns about the most memory that a parallel scan with
// ScanOptions.Jobs = jobs holds beyond a sequential one (zero for jobs
// below two): the chunks of input in flight and pooled, and the pieces of
// output and of marked symbols, in use and pooled (see newParallel), at
// their largest. Callers that bound their heap (debug.SetMemoryLimit) add
// it, or the collector runs without pause while the scan speculates.
func ScanMemory(jobs int) int64 {
	if jobs < 2 {
		return 0
	}
	n := int64(jobs)
	plain := int64(pieceCap(8 * DefaultChunkSize))
	marked := 2 * int64(pieceCap(defaultMaxMarked))
	chunk := int64(DefaultChunkSize + chunkTail)
	return 2*(n+2)*plain + 2*(n+1)*marked + (3*n+3)*chunk
}

// small reports, before the scan starts, whether the input is shorter
// than two chunks.
func (ps *parallel) small() bool {
	if ps.out > 0 || ps.err != nil || ps.done {
		return false
	}
	return !ps.loaded(1) && ps.rerr == nil
}

// rest returns a reader of the input from its start, for a sequential scan.
func (ps *parallel) rest() io.Reader {
	rs := make([]io.Reader, 0, len(ps.chunks)+1)
	for _, c := range ps.chunks {
		rs = append(rs, bytes.NewReader(c))
	}
	return io.MultiReader(append(rs, ps.r)...)
}

// maxOut bounds the output of one piece, and so the memory of a worker.
func (ps *parallel) maxOut() int { return int(max(1<<20, 8*ps.chunk)) }

// readChunk reads the next chunk of input.
func (ps *parallel) readChunk() {
	buf := ps.chunkBufs.get(int(ps.chunk) + chunkTail)[:ps.chunk]
	n, err := io.ReadFull(ps.r, buf)
	buf = buf[:n]
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		ps.eof = true
	default:
		ps.eof, ps.rerr = true, err
	}
	if n == 0 {
		return
	}
	if k := len(ps.chunks); k > 0 {
		prev := ps.chunks[k-1]
		_ = append(prev[len(prev):len(prev)], buf[:min(n, chunkTail)]...)
	}
	ps.chunks = append(ps.chunks, buf)
}

// loaded reports whether chunk i is in memory, reading up to it if needed.
func (ps *parallel) loaded(i int) bool {
	for i >= ps.first+len(ps.chunks) && !ps.eof {
		ps.readChunk()
	}
	return i >= ps.first && i < ps.first+len(ps.chunks)
}

// ReadAt reads the input for the resolver's sequential decoding, reading
// more chunks as needed. Offsets before the first chunk kept are an error.
func (ps *parallel) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) {
		o := off + int64(n)
		i := int(o / ps.chunk)
		if !ps.loaded(i) {
			if ps.rerr != nil {
				return n, ps.rerr
			}
			if i < ps.first {
				return n, fmt.Errorf("gzseek: internal error: offset %d already released", o)
			}
			return n, io.EOF
		}
		c := ps.chunks[i-ps.first]
		k := o - int64(i)*ps.chunk
		if k >= int64(len(c)) {
			return n, io.EOF
		}
		n += copy(b[n:], c[k:])
	}
	return n, nil
}

// release drops the chunks before the one holding the resolver's position.
func (ps *parallel) release() {
	i := int(ps.p.bit / 8 / ps.chunk)
	for ps.first < i && len(ps.chunks) > 0 {
		if len(ps.pending) == 0 || ps.pending[0].chunk > ps.first {
			// No worker still reads it: every job that got this
			// chunk started at or before it and has been collected.
			ps.chunkBufs.put(ps.chunks[0])
		}
		ps.chunks[0] = nil
		ps.chunks = ps.chunks[1:]
		ps.first++
	}
	ps.next = max(ps.next, i)
}

// fill queues chunks for the workers: one more than there are workers, so
// that they keep decoding while the reader works through a resolved piece.
func (ps *parallel) fill() {
	if !ps.unpaced && ps.pace.hold() {
		switch {
		case ps.heldSince.IsZero():
			ps.heldSince = time.Now()
		case len(ps.pending) == 0 && time.Since(ps.heldSince) > paceTrim:
			// Speculation may not resume for long: let the buffers of
			// pieces go, but those the resolver's own decoding takes
			// (the one being read comes back after this).
			ps.bufs.trim(pieceCap(2 * gapOut))
			ps.marks.trim(0)
		}
		return
	}
	ps.heldSince = time.Time{}
	for len(ps.pending) <= ps.jobs && ps.next >= ps.skipTo {
		j := ps.next
		if !ps.loaded(j) {
			return
		}
		// The worker gets the chunk and enough of what follows to
		// finish the block that crosses into the next chunk.
		in := [][]byte{ps.chunks[j-ps.first]}
		for k, n := j+1, int64(0); n < max(ps.chunk, minLookahead) && ps.loaded(k); k++ {
			in = append(in, ps.chunks[k-ps.first])
			n += int64(len(in[len(in)-1]))
		}
		ps.next++
		ps.pace.working()
		jb := job{chunk: j, done: make(chan *piece, 1)}
		ps.pending = append(ps.pending, jb)
		go func() {
			ps.running <- struct{}{}
			p := ps.work(j, in)
			<-ps.running
			if p != nil {
				ps.sizes.add(p)
			}
			jb.done <- p
		}()
	}
}

// work decodes chunk j speculatively. in holds the chunk (with the start
// of the next one in its spare capacity) and the chunks after it.
func (ps *parallel) work(j int, in [][]byte) *piece {
	pd, _ := ps.pool.Get().(*pieceDecoder)
	if pd == nil {
		pd = new(pieceDecoder)
	}
	defer ps.pool.Put(pd)
	base := int64(j) * ps.chunk
	pd.src = &chunkRun{base: base, chunk: ps.chunk, bufs: in}
	pd.bufs, pd.marks, pd.sizes, pd.maxMarked = &ps.bufs, &ps.marks, &ps.sizes, ps.maxMarked
	pd.trustEnd = false
	limit := (base + ps.chunk) * 8
	if j == 0 {
		p := pd.decode(pos{member: true}, nil, false, limit, ps.maxOut())
		if p.points == 0 {
			return nil
		}
		p.err = nil // the resolver decodes past p.end itself
		return p
	}
	f, _ := ps.finder.Get().(*inflate.BlockFinder)
	if f == nil {
		f = new(inflate.BlockFinder)
	}
	defer ps.finder.Put(f)
	c0 := in[0]
	data := c0
	if len(in) > 1 {
		data = c0[:len(c0)+min(chunkTail, len(in[1]))]
	}
	from, to := int64(0), int64(len(c0))*8
	for range maxCandidates {
		bit, stored, ok := f.Find(data, from, to)
		if !ok {
			bit = to
		}
		start := pos{bit: base*8 + bit}
		// A gzip member header before the block start wins.
		fb := (from + 7) / 8
		if k := bytes.Index(data[fb:min(int64(len(data)), (bit+7)/8+3)], gzipMagic); k >= 0 && fb+int64(k) < int64(len(c0)) {
			bit, stored, ok = (fb+int64(k))*8, false, true
			start = pos{bit: base*8 + bit, member: true}
		}
		if !ok {
			return nil
		}
		p := pd.decode(start, nil, !start.member, limit, ps.maxOut())
		if stored {
			p.storedEnd = base*8 + inflate.StoredEnd(bit)
		}
		if p.points > 0 && (p.err == nil || p.points >= confirmPoints) {
			p.err = nil // the resolver decodes past p.end itself
			return p
		}
		from = bit + 1
	}
	return nil
}

// chunkRun is a worker's input: consecutive chunks of the file, the
// first at offset base.
type chunkRun struct {
	base, chunk int64
	bufs        [][]byte
}

func (c *chunkRun) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) {
		o := off + int64(n) - c.base
		i := o / c.chunk
		if o < 0 || i >= int64(len(c.bufs)) || o-i*c.chunk >= int64(len(c.bufs[i])) {
			return n, io.EOF
		}
		n += copy(b[n:], c.bufs[i][o-i*c.chunk:])
	}
	return n, nil
}

// matches reports whether the piece p starts at the resolver's position.
func (ps *parallel) matches(p *piece) bool {
	switch {
	case p.start.member || ps.p.member:
		return p.start == ps.p
	case p.storedEnd > 0:
		return p.start.bit <= ps.p.bit && ps.p.bit <= p.storedEnd
	}
	return p.start.bit == ps.p.bit
}

// read is Scanner.Read in parallel mode.
func (ps *parallel) read(b []byte) (int, error) {
	ps.pace.enter()
	defer ps.pace.leave()
	for len(ps.buf) == 0 {
		if ps.bufBase != nil {
			ps.bufs.put(ps.bufBase)
			ps.bufBase = nil
		}
		switch {
		case ps.err != nil:
			return 0, ps.err
		case ps.done:
			return 0, io.EOF
		}
		ps.advance()
	}
	n := copy(b, ps.buf)
	ps.buf = ps.buf[n:]
	ps.returned += int64(n)
	ps.fill() // workers that finished get the next chunks
	return n, nil
}

// pop drops the first pending job. Its slot is cleared: the job's
// channel holds its piece, whose buffers are reused or let go.
func (ps *parallel) pop() {
	ps.pending[0] = job{}
	ps.pending = ps.pending[1:]
}

// advance resolves the next piece, or decodes sequentially up to it.
func (ps *parallel) advance() {
	ps.pace.sample(len(ps.pending) == 0)
	ps.release()
	ps.fill()
	limit := int64(math.MaxInt64)
	if len(ps.pending) > 0 {
		p := ps.pending[0].wait()
		switch {
		case p == nil:
			ps.pop()
			return
		case ps.matches(p):
			ps.pop()
			if out, ok := ps.resolve(p); ok {
				switch {
				case p.cut:
					// Markers persisted: the worker's decoding was slow,
					// so back off as after a false start.
					ps.cut++
					ps.backoff()
				case p.start.bit > 0:
					ps.streak = 0
				}
				if p.start.bit > 0 {
					ps.speculated++
				}
				ps.apply(p, out)
				return
			}
			ps.bufs.put(p.plain)
			ps.reject()
			return
		case p.start.bit <= ps.p.bit:
			ps.pop()
			ps.bufs.put(p.plain)
			ps.reject()
			return
		default:
			limit = p.start.bit
		}
	}
	var window []byte
	if !ps.p.member {
		window = ps.hist.buf
	}
	p := ps.gap.decode(ps.p, window, false, limit, gapOut)
	ps.apply(p, p.plain)
}

// reject counts a false start. After a few in a row (as inside a run of
// stored blocks holding gzip data, whose deflate blocks look real), or of
// pieces cut short because their markers persisted, the workers skip a
// growing number of chunks, which the resolver decodes sequentially,
// before they try again.
func (ps *parallel) reject() {
	ps.rejected++
	ps.backoff()
}

// backoff counts one more speculation in a row that did not pay, and skips
// chunks after a few.
func (ps *parallel) backoff() {
	ps.streak++
	if ps.streak >= 3 {
		ps.skipTo = ps.next + ps.jobs<<min(ps.streak-3, 6)
	}
}

// resolve returns the output of p with its markers replaced from the
// window before the resolver's position. It reports false if a marker
// reaches before the start of the member.
func (ps *parallel) resolve(p *piece) ([]byte, bool) {
	if len(p.marked) == 0 {
		return p.plain, true
	}
	w := ps.hist.buf
	skip := WindowSize - len(w)
	out := p.plain // with room for the marked output at its start
	if len(out) < len(p.marked) {
		out = ps.bufs.get(len(p.marked))[:len(p.marked)]
	}
	defer ps.marks.put(p.marked)
	for i, v := range p.marked {
		if v < inflate.MarkerBase {
			out[i] = byte(v)
			continue
		}
		k := int(v-inflate.MarkerBase) - skip
		if k < 0 {
			return nil, false
		}
		out[i] = w[k]
	}
	return out, true
}

// apply takes the true output of p (which starts at the resolver's
// position): it checks members, reports checkpoints, and queues the output
// for Read. It reads the plain output only for the windows of checkpoints
// and, where a worker left no sum, for the CRC-32: the sums the worker
// took are joined instead.
func (ps *parallel) apply(p *piece, out []byte) {
	a := applier{ps: ps, out: out, marked: len(p.marked), seg: len(p.marked), memberAt: -1}
	for _, ev := range p.events {
		a.move(ev.out)
		if err := a.event(ev); err != nil {
			ps.err = err
			ps.buf, ps.bufBase = out[:ev.out], out
			return
		}
	}
	a.move(len(out))
	a.sum(len(out), &a.last)
	if a.memberAt >= 0 {
		ps.hist.buf = ps.hist.buf[:0]
		ps.hist.push(out[a.memberAt:])
	} else {
		ps.hist.push(out)
	}
	ps.buf, ps.bufBase = out, out
	ps.p = p.end
	switch {
	case p.err != nil:
		ps.err = p.err
	case p.final:
		ps.done = true
	}
}

// applier is the resolver's walk through the output of one piece.
type applier struct {
	ps       *parallel
	out      []byte
	at       int   // ps.out and ps.memberOut count the output up to out[at]
	marked   int   // out[:marked] was marked output; the rest is plain
	crcAt    int   // ps.crc covers the member's output up to out[crcAt]
	seg      int   // where the plain output that the events' sums cover starts (they run from there)
	memberAt int   // where the current member starts in out, or -1 if before it
	last     event // the last block end with a sum since seg
}

// move accounts for the output up to out[i].
func (a *applier) move(i int) {
	n := int64(i - a.at)
	a.ps.out += n
	a.ps.memberOut += n
	a.at = i
}

// sum brings ps.crc up to out[i]: the marked output, resolved just now and
// still in cache, is summed here; plain output by joining the sum of ev if
// it covers exactly that, else by reading it.
func (a *applier) sum(i int, ev *event) {
	ps := a.ps
	if a.crcAt < a.marked {
		k := min(i, a.marked)
		ps.crc = crc32.Update(ps.crc, crc32.IEEETable, a.out[a.crcAt:k])
		a.crcAt = k
	}
	if a.crcAt >= i {
		return
	}
	if ev != nil && ev.summed && a.crcAt == a.seg && ev.out == i {
		ps.crc = crc.Combine(ps.crc, ev.sum, int64(i-a.seg))
	} else {
		ps.crc = crc32.Update(ps.crc, crc32.IEEETable, a.out[a.crcAt:i])
		ps.reread += int64(i - a.crcAt)
	}
	a.crcAt = i
}

// window returns a copy of the member's last WindowSize bytes of output
// before out[i].
func (a *applier) window(i int) []byte {
	lo := max(0, i-WindowSize)
	if a.memberAt >= 0 {
		lo = max(lo, a.memberAt)
	}
	w := make([]byte, 0, WindowSize)
	if a.memberAt < 0 && i < WindowSize {
		h := a.ps.hist.buf
		w = append(w, h[max(0, len(h)-(WindowSize-i)):]...)
	}
	return append(w, a.out[lo:i]...)
}

// event handles one event of the piece, at a.at.
func (a *applier) event(ev event) error {
	ps, s := a.ps, a.ps.s
	switch ev.kind {
	case evBlock:
		if ev.summed {
			a.last = ev
		}
		if ps.out-s.lastCP < s.span {
			return nil
		}
		s.lastCP = ps.out
		return s.emit(Checkpoint{
			Out:    ps.out,
			In:     ev.bit / 8,
			Bit:    uint8(ev.bit % 8),
			Member: ps.member,
			Window: a.window(ev.out),
		})
	case evMemberEnd:
		a.sum(ev.out, &ev)
		switch {
		case ev.crc != ps.crc:
			return fmt.Errorf("%w: member %d: CRC-32 %08x, data has %08x", ErrChecksum, ps.member, ev.crc, ps.crc)
		case ev.size != uint32(ps.memberOut):
			return fmt.Errorf("%w: member %d: ISIZE %d, data has %d", ErrChecksum, ps.member, ev.size, uint32(ps.memberOut))
		}
		ps.member++
	case evMemberStart:
		ps.crc, ps.memberOut = 0, 0
		a.crcAt, a.seg, a.memberAt = ev.out, ev.out, ev.out
		a.last = event{}
		if s.lastCP >= 0 && ps.out-s.lastCP < s.span/16 {
			return nil
		}
		s.lastCP = ps.out
		return s.emit(Checkpoint{Out: ps.out, In: ev.bit / 8, Member: ps.member, MemberStart: true})
	}
	return nil
}

// history keeps the last WindowSize bytes of a member's output.
type history struct{ buf []byte }

func (h *history) push(b []byte) {
	if len(b) >= WindowSize {
		h.buf = append(h.buf[:0], b[len(b)-WindowSize:]...)
		return
	}
	if over := len(h.buf) + len(b) - WindowSize; over > 0 {
		h.buf = h.buf[:copy(h.buf, h.buf[over:])]
	}
	h.buf = append(h.buf, b...)
}
