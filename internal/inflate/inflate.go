package inflate

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrCorrupt is returned (wrapped, with the bit position) for data that is
// not a valid deflate stream.
var ErrCorrupt = errors.New("inflate: corrupt deflate data")

// ErrStartBit is returned when Options.StartBit is more than 7.
var ErrStartBit = errors.New("inflate: StartBit out of range")

const (
	histSize  = 32 << 10  // deflate window
	roomSize  = 256 << 10 // output decoded between slides
	maxMatch  = 258       // longest back-reference
	outSlack  = 40        // overrun room for the fast loop's 8-byte copies
	bufferEnd = histSize + roomSize
)

const (
	stateStart = iota // StartBit bits still to be skipped
	stateHeader
	stateHuffman
	stateStored
	stateDone
)

// Options configures a Decoder.
type Options struct {
	// StartBit is the number of bits (0-7) of the first input byte already
	// used by the previous block, when resuming.
	StartBit uint8
	// Window is up to 32 KiB of output preceding the start, when resuming;
	// back-references may reach into it. Only its last 32 KiB are used,
	// and they are copied: the caller may reuse Window afterwards.
	Window []byte
	// OnBlockEnd, if set, is called after every block, including the final
	// one, with the bit offset of the block's end from the start of the
	// input (the StartBit bits count as consumed), the number of bytes
	// output by this decoder so far (not counting Window), and whether the
	// block was final. It is called from within Read, possibly before
	// the block's output has been returned. During the call InputBits
	// returns bit and Window returns the last 32 KiB of output: less while
	// fewer bytes have been output, counting Options.Window.
	OnBlockEnd func(bit int64, out int64, final bool)
}

// Decoder decompresses one raw deflate stream read from a *bufio.Reader.
// It reads input through Peek and Discard and never consumes a byte past the
// last byte of the final block, so the caller can read what follows (such
// as a gzip trailer) from the reader afterwards. The reader must not be used
// by anyone else until Read has returned io.EOF or an error.
type Decoder struct {
	br       *bufio.Reader
	in       []byte // buffered input, from br.Peek
	ip       int    // next byte of in to load into bits
	consumed int64  // bytes discarded from br
	inErr    error  // error from br; in has all the input there will be
	bits     uint64 // bit buffer, next bit lowest. Bits above nb are 0 or the true input bits.
	nb       uint   // number of valid bits in bits

	own     []byte // the decoder's own output buffer; len bufferEnd+outSlack
	out     []byte // history and new output: own, or a view of Append's dst; len bufferEnd+outSlack
	wp      int    // end of output in out
	rp      int    // end of what Read or Append has returned
	outBase int64  // output count at out[0] (negative with a preset window)
	known   int64  // length of Options.Window used
	inPlace bool   // out is a view of the caller's buffer (see Append)
	handed  int64  // output Append has returned since Reset

	state      int
	final      bool // the current block is the last
	storedLeft int  // bytes left in the current stored block
	blockStart int64
	lit        *[litTableSize]uint32
	dist       *[distTableSize]uint32
	err        error

	startBit   uint8
	onBlockEnd func(bit int64, out int64, final bool)

	dynLit  [litTableSize]uint32
	dynDist [distTableSize]uint32
	clTable [1 << clBits]uint32
	lens    [286 + 30]uint8
}

var _ io.Reader = (*Decoder)(nil)

// NewDecoder returns a Decoder reading a raw deflate stream from br.
// It does not read from br until the first Read.
func NewDecoder(br *bufio.Reader, opts Options) *Decoder {
	d := new(Decoder)
	d.Reset(br, opts)
	return d
}

// Reset makes d decode a new stream from br, reusing its buffers. A zero
// Decoder is ready for use after Reset.
func (d *Decoder) Reset(br *bufio.Reader, opts Options) {
	if d.own == nil {
		d.own = make([]byte, bufferEnd+outSlack)
	}
	d.out, d.inPlace, d.handed = d.own, false, 0
	d.resetInput(br, opts.StartBit)
	w := opts.Window
	if len(w) > histSize {
		w = w[len(w)-histSize:]
	}
	d.wp = copy(d.out, w)
	d.rp = d.wp
	d.outBase = -int64(d.wp)
	d.known = int64(d.wp)
	d.onBlockEnd = opts.OnBlockEnd
}

// resetInput makes d read a new stream from br, starting startBit bits
// into its first byte, at a block header.
func (d *Decoder) resetInput(br *bufio.Reader, startBit uint8) {
	d.br = br
	d.in, d.ip, d.consumed, d.inErr = nil, 0, 0, nil
	d.bits, d.nb = 0, 0
	d.state, d.final, d.storedLeft, d.blockStart = stateStart, false, 0, 0
	d.lit, d.dist, d.err = nil, nil, nil
	d.startBit = startBit
	d.onBlockEnd = nil
}

// Read reads decompressed data into p. It returns io.EOF once all output
// of the final block has been returned. It must not be called after
// Append since the last Reset.
func (d *Decoder) Read(p []byte) (int, error) {
	if d.inPlace || d.handed > 0 {
		return 0, errMixed
	}
	for {
		if d.rp < d.wp {
			n := copy(p, d.out[d.rp:d.wp])
			d.rp += n
			return n, nil
		}
		if d.err != nil || len(p) == 0 {
			return 0, d.err
		}
		d.step()
	}
}

// AppendRoom is the spare capacity Append needs in its dst.
const AppendRoom = bufferEnd + outSlack

// errMixed is returned by Read after Append, which keeps the window in the
// caller's buffer.
var errMixed = errors.New("inflate: Read after Append")

// Append decompresses into the spare capacity of dst and returns dst
// extended by the new output, as far as the capacity allows; it returns
// io.EOF once all output of the final block has been returned. dst must
// have at least AppendRoom bytes of spare capacity (else Append returns
// io.ErrShortBuffer) and must end with all the output Append has returned
// since Reset (the caller may move it to a bigger buffer between calls).
//
// Once it has handed out a whole window, Append decodes straight into dst,
// using its end as the window, instead of into the decoder's own buffer:
// the output is written once, not copied. From then on the decoder keeps
// a view of dst until the next Reset, the bytes after len(dst) are
// scratch space, and Read must not be called. Window and OnBlockEnd
// behave as with Read.
func (d *Decoder) Append(dst []byte) ([]byte, error) {
	if cap(dst)-len(dst) < AppendRoom {
		return dst, io.ErrShortBuffer
	}
	h := int(min(histSize, d.known+d.outBase+int64(d.wp))) // window bytes
	if !d.inPlace && d.rp == d.wp && d.handed >= int64(h) {
		d.inPlace = true
	}
	if !d.inPlace {
		// The window is in d.own: hand out output by copying until dst
		// holds a whole window.
		for d.rp == d.wp && d.err == nil {
			d.step()
		}
		n := copy(dst[len(dst):cap(dst)], d.out[d.rp:d.wp])
		d.rp += n
		d.handed += int64(n)
		if n == 0 {
			return dst, d.err
		}
		return dst[:len(dst)+n], nil
	}
	if len(dst) < h {
		return dst, fmt.Errorf("inflate: Append: dst of %d bytes lost the %d-byte window", len(dst), h)
	}
	// The view starts at the window's first byte, so that a distance past
	// it is caught as in Read.
	base := len(dst) - h
	total := d.outBase + int64(d.wp)
	d.out = dst[base : base+bufferEnd+outSlack]
	d.wp, d.rp = h, h
	d.outBase = total - int64(h)
	d.decode()
	n := d.wp - h
	d.rp = d.wp
	d.handed += int64(n)
	if n == 0 {
		return dst, d.err
	}
	return dst[:len(dst)+n], nil
}

// Window returns the last 32 KiB of output, or all of it (counting
// Options.Window) if there is less. It aliases the decoder's buffer and is
// valid only until the next call to Read; within OnBlockEnd it ends exactly
// at the block boundary.
func (d *Decoder) Window() []byte {
	return d.out[max(0, d.wp-histSize):d.wp]
}

// InputBits returns the number of input bits consumed so far, counting from
// the start of the first input byte (StartBit bits included).
func (d *Decoder) InputBits() int64 {
	return (d.consumed+int64(d.ip))*8 - int64(d.nb)
}

// step decodes until the output room is full, the stream ends, or an error.
// It is called only when Read has returned all output.
func (d *Decoder) step() {
	if d.wp > bufferEnd-maxMatch {
		n := d.wp - histSize
		copy(d.out, d.out[n:d.wp])
		d.outBase += int64(n)
		d.wp = histSize
		d.rp = histSize
	}
	d.decode()
}

// decode runs the block state machine until the output room is full, the
// stream ends, or an error.
func (d *Decoder) decode() {
	for d.err == nil && d.wp <= bufferEnd-maxMatch {
		switch d.state {
		case stateStart:
			if d.startBit > 7 {
				d.err = ErrStartBit
				break
			}
			if d.err = d.need(uint(d.startBit)); d.err == nil {
				d.drop(uint(d.startBit))
				d.state = stateHeader
			}
		case stateHeader:
			d.err = d.header()
		case stateHuffman:
			d.err = d.huffman()
		case stateStored:
			d.err = d.stored()
		case stateDone:
			d.err = io.EOF
		}
	}
}

// header reads a block header and prepares to decode the block.
func (d *Decoder) header() error {
	d.blockStart = d.InputBits()
	if err := d.need(3); err != nil {
		return err
	}
	d.final = d.bits&1 != 0
	typ := d.bits >> 1 & 3
	d.drop(3)
	switch typ {
	case 0:
		d.drop(d.nb & 7) // to a byte boundary
		if err := d.need(32); err != nil {
			return err
		}
		n, nn := d.bits&0xffff, d.bits>>16&0xffff
		if n != nn^0xffff {
			return fmt.Errorf("%w at bit %d: stored block length %#04x, complement %#04x", ErrCorrupt, d.blockStart, n, nn)
		}
		d.drop(32)
		d.storedLeft = int(n)
		d.state = stateStored
	case 1:
		d.lit, d.dist = &fixedLit, &fixedDist
		d.state = stateHuffman
	case 2:
		if err := d.dynamic(); err != nil {
			return err
		}
		d.lit, d.dist = &d.dynLit, &d.dynDist
		d.state = stateHuffman
	default:
		return fmt.Errorf("%w at bit %d: invalid block type 3", ErrCorrupt, d.blockStart)
	}
	return nil
}

// dynamic reads the code lengths of a dynamic Huffman block and builds its
// tables.
func (d *Decoder) dynamic() error {
	if err := d.need(14); err != nil {
		return err
	}
	nlit := int(d.bits&31) + 257
	ndist := int(d.bits>>5&31) + 1
	nclen := int(d.bits>>10&15) + 4
	d.drop(14)
	if nlit > 286 || ndist > 30 {
		return d.headerError("too many length or distance codes")
	}
	var cl [19]uint8
	for _, sym := range clOrder[:nclen] {
		if err := d.need(3); err != nil {
			return err
		}
		cl[sym] = uint8(d.bits & 7)
		d.drop(3)
	}
	if !build(d.clTable[:], clBits, cl[:], clPayload[:]) {
		return d.headerError("bad code length code")
	}
	lens := d.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		// A code length code and its extra bits take at most 14 bits;
		// the code needs no subtable.
		var e uint32
		if d.nb >= 14 || d.refill() {
			e = d.clTable[d.bits&(1<<clBits-1)]
		} else {
			var err error
			if e, err = d.slowLookup(d.clTable[:], clBits); err != nil {
				return err
			}
		}
		if e&flagExc != 0 {
			return d.headerError("invalid code length code")
		}
		d.drop(uint(e & 31))
		sym := uint8(e >> 16)
		if sym < 16 {
			lens[i] = sym
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return d.headerError("repeat with no previous length")
			}
			val = lens[i-1]
			if err := d.need(2); err != nil {
				return err
			}
			rep = 3 + int(d.bits&3)
			d.drop(2)
		case 17:
			if err := d.need(3); err != nil {
				return err
			}
			rep = 3 + int(d.bits&7)
			d.drop(3)
		default:
			if err := d.need(7); err != nil {
				return err
			}
			rep = 11 + int(d.bits&127)
			d.drop(7)
		}
		if rep > len(lens)-i {
			return d.headerError("code lengths overflow")
		}
		for ; rep > 0; rep-- {
			lens[i] = val
			i++
		}
	}
	if lens[256] == 0 {
		return d.headerError("no end-of-block code")
	}
	if !build(d.dynLit[:], litBits, lens[:nlit], litPayload[:]) {
		return d.headerError("bad literal/length code")
	}
	if !build(d.dynDist[:], distBits, lens[nlit:], distPayload[:]) {
		return d.headerError("bad distance code")
	}
	return nil
}

func (d *Decoder) headerError(what string) error {
	return fmt.Errorf("%w at bit %d: %s", ErrCorrupt, d.blockStart, what)
}

func (d *Decoder) dataError() error {
	return fmt.Errorf("%w at bit %d", ErrCorrupt, d.InputBits())
}

// stored copies the rest of a stored block, as far as there is room.
func (d *Decoder) stored() error {
	d.sync()
	d.bits = 0 // the bits above nb (now 0) are copied below, not decoded
	for d.storedLeft > 0 {
		if d.ip == len(d.in) {
			if d.inErr == nil {
				d.moreInput()
			}
			if d.ip == len(d.in) {
				return d.inputError()
			}
		}
		room := bufferEnd - d.wp
		if room == 0 {
			return nil
		}
		n := copy(d.out[d.wp:d.wp+min(room, d.storedLeft)], d.in[d.ip:])
		d.ip += n
		d.wp += n
		d.storedLeft -= n
	}
	return d.blockEnd()
}

// huffman decodes a Huffman block until its end or until the output room
// is full.
func (d *Decoder) huffman() error {
	for d.wp <= bufferEnd-maxMatch {
		if len(d.in)-d.ip < 8 && d.inErr == nil {
			d.moreInput()
		}
		if len(d.in)-d.ip >= 8 {
			switch d.fast() {
			case fastEOB:
				return d.blockEnd()
			case fastCorrupt:
				return d.dataError()
			}
			continue
		}
		eob, err := d.slowSymbol()
		if err != nil {
			return err
		}
		if eob {
			return d.blockEnd()
		}
	}
	return nil
}

// blockEnd finishes a block and reports it.
func (d *Decoder) blockEnd() error {
	if d.final {
		d.sync()
		d.br.Discard(d.ip)
		d.consumed += int64(d.ip)
		d.in, d.ip = nil, 0
		d.state = stateDone
	} else {
		d.state = stateHeader
	}
	if d.onBlockEnd != nil {
		d.onBlockEnd(d.InputBits(), d.outBase+int64(d.wp), d.final)
	}
	return nil
}

// slowSymbol decodes one literal, end of block or length/distance pair,
// loading input a byte at a time as needed. It needs maxMatch bytes of room.
func (d *Decoder) slowSymbol() (eob bool, err error) {
	lit, length, dist, err := d.slowCode()
	switch {
	case err != nil:
		return false, err
	case lit >= 0:
		d.out[d.wp] = byte(lit)
		d.wp++
		return false, nil
	case length == 0:
		return true, nil
	case dist > d.wp:
		return false, d.dataError()
	}
	out := d.out[d.wp-dist : d.wp+length]
	for i := range length {
		out[dist+i] = out[i]
	}
	d.wp += length
	return false, nil
}

// slowCode decodes one literal (lit >= 0), end of block (lit < 0, length
// 0) or length/distance pair (lit < 0), loading input a byte at a time as
// needed. The caller checks the distance against its output.
func (d *Decoder) slowCode() (lit, length, dist int, err error) {
	e, err := d.slowLookup(d.lit[:], litBits)
	if err != nil {
		return 0, 0, 0, err
	}
	n := uint(e & 31)
	switch {
	case e&flagLit != 0:
		d.drop(n)
		return int(byte(e >> 16)), 0, 0, nil
	case e&flagExc != 0:
		if e>>16 != 0 {
			return 0, 0, 0, d.dataError()
		}
		d.drop(n)
		return -1, 0, 0, nil
	}
	length = int(e>>16) + int(d.bits&(1<<n-1)>>(e>>8&15))
	d.drop(n)
	if e, err = d.slowLookup(d.dist[:], distBits); err != nil {
		return 0, 0, 0, err
	}
	if e&flagExc != 0 {
		return 0, 0, 0, d.dataError()
	}
	n = uint(e & 31)
	dist = int(e>>16) + int(d.bits&(1<<n-1)>>(e>>8&15))
	d.drop(n)
	return -1, length, dist, nil
}

// slowLookup returns the table entry for the next code, loading input a
// byte at a time until the code and its extra bits are all in d.bits. If
// the code is long it drops the primary bits and returns the subtable entry.
func (d *Decoder) slowLookup(table []uint32, root uint) (uint32, error) {
	for {
		e := table[d.bits&(1<<root-1)]
		if e&flagSub == 0 {
			if uint(e&31) <= d.nb {
				return e, nil
			}
		} else if d.nb >= root {
			s := table[e>>16+uint32(d.bits>>root)&(1<<(e>>8&15)-1)]
			if root+uint(s&31) <= d.nb {
				d.drop(root)
				return s, nil
			}
		}
		if err := d.pull(); err != nil {
			return 0, err
		}
	}
}

// need makes sure d.bits holds at least n <= 32 bits.
func (d *Decoder) need(n uint) error {
	for d.nb < n {
		if err := d.pull(); err != nil {
			return err
		}
	}
	return nil
}

// drop consumes n bits.
func (d *Decoder) drop(n uint) {
	d.bits >>= n
	d.nb -= n
}

// pull loads one more input byte into d.bits, which must have room for it.
func (d *Decoder) pull() error {
	if d.ip >= len(d.in) {
		if d.inErr == nil {
			d.moreInput()
		}
		if d.ip >= len(d.in) {
			return d.inputError()
		}
	}
	d.bits |= uint64(d.in[d.ip]) << d.nb
	d.ip++
	d.nb += 8
	return nil
}

// refill loads eight input bytes at once, as the fast loops do, so that
// d.bits holds at least 56 bits, if eight are buffered; it reports
// whether it could.
func (d *Decoder) refill() bool {
	if d.ip > len(d.in)-8 {
		return false
	}
	d.bits |= binary.LittleEndian.Uint64(d.in[d.ip:]) << (d.nb & 63)
	d.ip += int((63 - d.nb) >> 3)
	d.nb |= 56
	return true
}

// sync gives whole unused bytes in d.bits back to the input.
func (d *Decoder) sync() {
	k := d.nb >> 3
	d.ip -= int(k)
	d.nb -= k << 3
}

// moreInput discards the consumed input and waits for at least one more
// byte from br, or an error, which it keeps in d.inErr.
func (d *Decoder) moreInput() {
	d.sync()
	if d.ip > 0 {
		d.br.Discard(d.ip)
		d.consumed += int64(d.ip)
		d.ip = 0
	}
	if n := d.br.Buffered(); n < d.br.Size() {
		if _, err := d.br.Peek(n + 1); err != nil {
			d.inErr = err
		}
	}
	d.in, _ = d.br.Peek(d.br.Buffered())
}

// inputError is the error for running out of input.
func (d *Decoder) inputError() error {
	switch d.inErr {
	case nil:
		return io.ErrNoProgress
	case io.EOF:
		return io.ErrUnexpectedEOF
	}
	return d.inErr
}
