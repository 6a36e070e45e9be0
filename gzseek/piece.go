package gzseek

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/tarx-dev/tarx/internal/inflate"
)

// pos is a point where decoding can start: a deflate block header at bit
// offset bit of the file, or (member set) a gzip member header at byte
// bit/8.
type pos struct {
	bit    int64
	member bool
}

// Event kinds, in the order they occur in a piece's output.
const (
	evBlock       = iota // a non-final block ended; the next starts at bit
	evMemberStart        // the header of a member at byte bit/8 was read
	evMemberEnd          // a member's trailer was read: crc and size
)

// event is something that happened at output offset out of a piece.
type event struct {
	kind      uint8
	summed    bool // sum is set
	bit       int64
	out       int
	crc, size uint32 // from a member's trailer
	// sum is the CRC-32 of the plain output from the start of the
	// decoding call that reported the event (at len(piece.marked) or at
	// the member's start) to out, taken by the worker while the bytes
	// were in its cache.
	sum uint32
}

// piece is the output of decoding from start to end, where both are points
// where decoding can start. Its output is marked (symbols with markers for
// the unknown window before start) followed by plain bytes.
type piece struct {
	start     pos
	storedEnd int64 // if > 0, start is a stored block that every bit up to storedEnd also starts
	end       pos
	points    int // resume points reached after start
	endOut    int // output offset of end
	endEvents int // events up to end
	marked    []uint16
	plain     []byte // once not empty, its first len(marked) bytes are room for the resolved marked output; the decoder that wrote it may keep a view of it until its next Reset
	events    []event
	err       error // what stopped decoding at end, if not the limit
	final     bool  // at end the gzip data ends cleanly (only when decoding with trustEnd)
	cut       bool  // decoding stopped at end because markers persisted past maxMarked symbols
}

func (p *piece) outLen() int { return max(len(p.marked), len(p.plain)) }

// reached records a resume point at output offset out, after the events
// so far: a later error truncates the piece to it.
func (p *piece) reached(at pos, out int) {
	p.end, p.endOut, p.endEvents = at, out, len(p.events)
	p.points++
}

// fail truncates p to its last resume point and records err.
func (p *piece) fail(err error) {
	p.err = err
	if p.endOut <= len(p.marked) {
		p.marked = p.marked[:p.endOut]
		p.plain = p.plain[:0]
	} else {
		p.plain = p.plain[:p.endOut]
	}
	p.events = p.events[:p.endEvents]
}

// pieceDecoder decodes pieces from src. It reuses its decoders and buffers
// between pieces; it is not safe for concurrent use.
type pieceDecoder struct {
	src io.ReaderAt
	// bufs and marks, if set, supply and take back output buffers.
	bufs  *bufPool[byte]
	marks *bufPool[uint16]
	// sizes, if set, learns how big pieces get, to size their buffers.
	sizes *pieceSizes
	// trustEnd says that src ends where the file ends, so that what
	// follows the last member (nothing, zero padding, garbage) can be
	// judged. Without it decoding stops at any member position that does
	// not hold a member header.
	trustEnd bool
	// maxMarked bounds the marked output of a piece (defaultMaxMarked
	// if zero).
	maxMarked int
	br        *bufio.Reader
	fr        inflate.Decoder
	mr        inflate.MarkerDecoder
}

func (pd *pieceDecoder) reader(off int64) *bufio.Reader {
	sr := io.NewSectionReader(pd.src, off, math.MaxInt64-off)
	if pd.br == nil {
		pd.br = bufio.NewReaderSize(sr, bufSize)
	} else {
		pd.br.Reset(sr)
	}
	return pd.br
}

// decode decodes from start until the first resume point at or past bit
// limit, or the first once maxOut symbols are out, or an error, or the end
// of the gzip data. window is the output before start (of its member) when
// known; with markers set it is unknown and the output is marked until the
// last 32 KiB hold no markers. The caller owns the piece's buffers.
func (pd *pieceDecoder) decode(start pos, window []byte, markers bool, limit int64, maxOut int) *piece {
	p := &piece{start: start, end: start}
	cur := start
	for {
		var err error
		switch {
		case cur.member:
			var ok bool
			var deflate int64
			if ok, deflate, err = pd.header(p, cur); err == nil && !ok {
				return p
			}
			if err == nil {
				cur, err = pd.bytes(p, deflate*8, nil, limit, maxOut)
			}
		case markers:
			markers = false
			cur, window, err = pd.marked(p, cur.bit, limit, maxOut)
		default:
			cur, err = pd.bytes(p, cur.bit, window, limit, maxOut)
		}
		if err != nil {
			p.fail(err)
			return p
		}
		if cur.bit >= limit || p.outLen() >= maxOut || p.cut {
			return p
		}
	}
}

// defaultMaxMarked bounds the marked output of a piece. In highly
// repetitive data (a million small tar members) back-references keep
// carrying markers forward, so the window never becomes known: a symbol
// with markers costs about 1.4 times a byte to decode (BenchmarkMarker on
// such an archive) and again as much to replace, and twice the memory.
// Past this bound the piece ends and the resolver, which knows the
// window, goes on. It lies above the 6.2 Mi symbols that markers last at
// most in a tar of the Go tree, whose pieces should not be cut.
const defaultMaxMarked = 8 << 20

// header reads the member header at cur. It reports false if decoding
// stops there: at the clean end of the gzip data (p.final), or, without
// trustEnd, at anything that is not a member header. It returns the
// offset of the member's deflate data.
func (pd *pieceDecoder) header(p *piece, cur pos) (ok bool, deflate int64, err error) {
	off := cur.bit / 8
	br := pd.reader(off)
	b, _ := br.Peek(4)
	isHeader := len(b) == 4 && b[0] == 0x1f && b[1] == 0x8b
	if !isHeader && off > 0 {
		if !pd.trustEnd {
			return false, 0, nil
		}
		if len(b) > 0 && b[0] == 0 {
			if err := zeroPadding(br, off); err != nil {
				return false, 0, err
			}
		} else if len(b) > 0 {
			return false, 0, fmt.Errorf("%w at compressed offset %d", ErrTrailingData, off)
		}
		p.final = true
		return false, 0, nil
	}
	_, n, err := readHeader(br)
	if err != nil {
		if !pd.trustEnd {
			return false, 0, nil
		}
		if err == io.EOF {
			err = fmt.Errorf("%w: empty input", ErrHeader)
		}
		return false, 0, fmt.Errorf("member at compressed offset %d: %w", off, err)
	}
	p.events = append(p.events, event{kind: evMemberStart, bit: cur.bit, out: p.outLen()})
	return true, off + n, nil
}

// zeroPadding checks that the rest of the input, from offset off, is zeros.
func zeroPadding(br *bufio.Reader, off int64) error {
	for {
		b, err := br.Peek(max(1, br.Buffered()))
		for i, c := range b {
			if c != 0 {
				return fmt.Errorf("%w at compressed offset %d", ErrTrailingData, off+int64(i))
			}
		}
		br.Discard(len(b))
		off += int64(len(b))
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// trailer reads the trailer of a member whose final block ended at bit
// and returns the position after it.
func (pd *pieceDecoder) trailer(p *piece, bit int64) (pos, error) {
	off := (bit + 7) / 8
	var tr [8]byte
	if n, err := pd.src.ReadAt(tr[:], off); n < len(tr) {
		if err == nil || err == io.EOF {
			err = fmt.Errorf("%w: trailer cut short at compressed offset %d", ErrTruncated, off)
		}
		return pos{}, err
	}
	p.events = append(p.events, event{kind: evMemberEnd, out: p.outLen(),
		crc: binary.LittleEndian.Uint32(tr[:]), size: binary.LittleEndian.Uint32(tr[4:])})
	at := pos{bit: (off + 8) * 8, member: true}
	p.reached(at, p.outLen())
	return at, nil
}

// inflateError turns an inflater error at compressed offset off into one
// of the package's.
func inflateError(err error, off int64) error {
	switch {
	case errors.Is(err, inflate.ErrCorrupt):
		return fmt.Errorf("%w near compressed offset %d: %v", ErrCorrupt, off, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: cut short at compressed offset %d", ErrTruncated, off)
	}
	return err
}

// bytes decodes from the block at bit with a known window (of the current
// member) into p.plain, to the first resume point at or past limit (or
// after maxOut), or to the end of the member. The decoder writes straight
// into p.plain (Decoder.Append), and the events of the call get the
// CRC-32 of its output up to them, taken after each Append while the
// bytes are still in cache.
func (pd *pieceDecoder) bytes(p *piece, bit int64, window []byte, limit int64, maxOut int) (pos, error) {
	base := bit / 8 * 8
	out0 := p.outLen()
	var stop, final bool
	var stopAt pos
	var stopOut int
	var finalBit int64
	pd.fr.Reset(pd.reader(bit/8), inflate.Options{StartBit: uint8(bit % 8), Window: window,
		OnBlockEnd: func(b, out int64, fin bool) {
			if stop {
				return
			}
			if fin {
				final, finalBit = true, base+b
				return
			}
			at := out0 + int(out)
			p.events = append(p.events, event{kind: evBlock, bit: base + b, out: at})
			p.reached(pos{bit: base + b}, at)
			if base+b >= limit || at >= maxOut {
				stop, stopAt, stopOut = true, pos{bit: base + b}, at
			}
		}})
	if len(p.plain) == 0 {
		// Room for the marked output, resolved later, and for a whole
		// piece as big as the biggest so far, so that it seldom grows
		// by copying.
		p.plain = pd.bufs.get(pieceCap(len(p.marked) + pd.sizes.out(maxOut)))[:len(p.marked)]
	}
	sum, summed, next := uint32(0), out0, len(p.events)
	addSums := func() {
		for ; next < len(p.events) && p.events[next].out <= len(p.plain); next++ {
			ev := &p.events[next]
			sum = crc32.Update(sum, crc32.IEEETable, p.plain[summed:ev.out])
			summed, ev.sum, ev.summed = ev.out, sum, true
		}
	}
	for {
		if cap(p.plain)-len(p.plain) < inflate.AppendRoom {
			grown := pd.bufs.get(pieceCap(max(1<<20, 2*cap(p.plain))))[:len(p.plain)]
			copy(grown, p.plain)
			pd.bufs.put(p.plain)
			p.plain = grown
		}
		var err error
		p.plain, err = pd.fr.Append(p.plain)
		if stop && p.outLen() >= stopOut {
			// Output past the stop (the decoder runs ahead) is dropped.
			p.plain = p.plain[:stopOut]
			addSums()
			return stopAt, nil
		}
		addSums()
		switch {
		case err == nil:
		case err == io.EOF && final:
			sum = crc32.Update(sum, crc32.IEEETable, p.plain[summed:])
			at, err := pd.trailer(p, finalBit)
			if err == nil {
				ev := &p.events[len(p.events)-1]
				ev.sum, ev.summed = sum, true
			}
			return at, err
		case err == io.EOF:
			err = io.ErrUnexpectedEOF
			fallthrough
		case err != nil:
			return pos{}, inflateError(err, base/8+pd.fr.InputBits()/8)
		}
	}
}

// marked decodes from the block at bit with an unknown window into
// p.marked, block by block, until a resume point at or past limit (or
// after maxOut), the end of the member, or the last 32 KiB of output hold
// no markers, when it goes on with bytes.
func (pd *pieceDecoder) marked(p *piece, bit int64, limit int64, maxOut int) (at pos, window []byte, err error) {
	base := bit / 8 * 8
	pd.mr.Reuse(pd.marks.get(pieceCap(pd.sizes.marked(maxOut))))
	pd.mr.Reset(pd.reader(bit/8), uint8(bit%8))
	lastMarker := -1 // index in the output of the last marker seen
	scanned := 0
	for {
		final, err := pd.mr.Block()
		end := base + pd.mr.InputBits()
		if err != nil {
			p.marked = pd.mr.Detach()
			return pos{}, nil, inflateError(err, end/8)
		}
		sym := pd.mr.Output()
		if final {
			p.marked = pd.mr.Detach()
			at, err := pd.trailer(p, end)
			return at, nil, err
		}
		at := pos{bit: end}
		p.events = append(p.events, event{kind: evBlock, bit: end, out: len(sym)})
		p.reached(at, len(sym))
		for i, v := range sym[scanned:] {
			if v >= inflate.MarkerBase {
				lastMarker = scanned + i
			}
		}
		scanned = len(sym)
		if end >= limit || len(sym) >= maxOut {
			p.marked = pd.mr.Detach()
			return at, nil, nil
		}
		if len(sym) >= cmp.Or(pd.maxMarked, defaultMaxMarked) && len(sym)-(lastMarker+1) < WindowSize {
			p.marked, p.cut = pd.mr.Detach(), true
			return at, nil, nil
		}
		if len(sym)-(lastMarker+1) >= WindowSize {
			// The window is known from here on: go on in bytes.
			p.marked = pd.mr.Detach()
			w := make([]byte, WindowSize)
			for i, v := range sym[len(sym)-WindowSize:] {
				w[i] = byte(v)
			}
			return at, w, nil
		}
	}
}

// pieceSizes tracks the biggest output and marked output of a piece so
// far. A nil *pieceSizes guesses.
type pieceSizes struct {
	maxOut, maxMarked atomic.Int64
}

// out returns the buffer size for a piece's byte output.
func (ps *pieceSizes) out(limit int) int {
	if ps == nil || ps.maxOut.Load() == 0 {
		return limit/2 + 1<<20
	}
	return min(limit, int(ps.maxOut.Load())) + 1<<20
}

// marked returns the buffer size for a piece's marked output.
func (ps *pieceSizes) marked(limit int) int {
	if ps == nil || ps.maxMarked.Load() == 0 {
		// Room for as many as a piece may hold: growing by doubling
		// would write each symbol again and touch twice the memory,
		// while pages never written cost nothing.
		return min(limit, defaultMaxMarked) + 64<<10
	}
	return min(limit, int(ps.maxMarked.Load())) + 64<<10
}

// add records the sizes of p.
func (ps *pieceSizes) add(p *piece) {
	if ps == nil {
		return
	}
	for _, v := range []struct {
		max *atomic.Int64
		n   int
	}{{&ps.maxOut, p.outLen() - len(p.marked)}, {&ps.maxMarked, len(p.marked)}} {
		for {
			old := v.max.Load()
			if int64(v.n) <= old || v.max.CompareAndSwap(old, int64(v.n)) {
				break
			}
		}
	}
}

// bufPool keeps output buffers for reuse: clearing fresh memory costs as
// much as a copy. A nil *bufPool allocates.
type bufPool[T byte | uint16] struct {
	mu   sync.Mutex
	free [][]T
	max  int // buffers kept
}

// get returns an empty buffer with at least n elements of capacity.
func (bp *bufPool[T]) get(n int) []T {
	if bp != nil {
		bp.mu.Lock()
		defer bp.mu.Unlock()
		for i, b := range bp.free {
			if cap(b) >= n {
				bp.free[i] = bp.free[len(bp.free)-1]
				bp.free = bp.free[:len(bp.free)-1]
				return b[:0]
			}
		}
	}
	return make([]T, 0, n)
}

// pieceCap rounds a piece's buffer size n up to a power of two, so that
// buffers asked for as pieces grow (by the sizes seen so far) fit each
// other's requests and are reused. The pages past what a piece writes are
// never touched: a fresh allocation costs address space, not memory.
func pieceCap(n int) int {
	if n < 1<<20 {
		return n
	}
	return 1 << bits.Len(uint(n-1))
}

// trim drops the buffers kept that hold more than n elements, for the
// garbage collector to free.
func (bp *bufPool[T]) trim(n int) {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	kept := bp.free[:0]
	for _, b := range bp.free {
		if cap(b) <= n {
			kept = append(kept, b)
		}
	}
	clear(bp.free[len(kept):])
	bp.free = kept
}

// put gives b back for reuse; the caller must not use it any more.
func (bp *bufPool[T]) put(b []T) {
	if bp == nil || cap(b) < 1<<20 {
		return
	}
	bp.mu.Lock()
	defer bp.mu.Unlock()
	if len(bp.free) < bp.max {
		bp.free = append(bp.free, b[:0])
		return
	}
	// Keep the biggest buffers.
	for i, f := range bp.free {
		if cap(f) < cap(b) {
			bp.free[i] = b[:0]
			return
		}
	}
}
