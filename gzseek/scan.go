package gzseek

import (
	"bufio"
	"fmt"
	"io"

	"github.com/klauspost/compress/flate"
)

// DefaultSpan is the default distance in output bytes between windowed
// checkpoints. See the package benchmarks: a resume costs a window load
// plus inflating on average half a span, while every checkpoint adds
// about 10 KiB of compressed window to an index.
const DefaultSpan = 4 << 20

// ScanOptions configures a Scanner.
type ScanOptions struct {
	// Span is the output distance between windowed checkpoints
	// (DefaultSpan if zero). Member starts are reported as checkpoints
	// whenever at least Span/16 bytes of output have passed since the
	// last one, since they cost no window.
	Span int64
}

// A Scanner decompresses a gzip stream and reports checkpoints on the way.
// Its Read returns the decompressed bytes of all members in order, and
// io.EOF once the last member's trailer has been verified.
type Scanner struct {
	d    decoder
	span int64
	emit func(Checkpoint) error

	lastCP    int64 // Out of the last checkpoint reported, -1 if none
	emitErr   error
	deflIn    int64 // compressed offset of the current member's deflate data
	blockBit  int64 // true bit offset, from deflIn, of the block being decoded
	stored    bool  // the block being decoded is a stored block
	storedEnd int64 // its end in bits from deflIn, if stored
	storedLen int64 // its LEN field, if stored
	blind     bool  // a block header could not be read: report no more checkpoints in this member
	prevRep   int64 // the inflater's reported bit offset at the last block end
	prevUnc   int64 // the inflater's output count at the last block end
}

// NewScanner returns a Scanner reading the gzip stream r. emit is called
// for every checkpoint, in order, from within Read; it owns the
// checkpoint's Window. An error from emit stops the scan and is returned
// by Read.
func NewScanner(r io.Reader, opts ScanOptions, emit func(Checkpoint) error) *Scanner {
	s := &Scanner{span: opts.Span, emit: emit, lastCP: -1}
	if s.span <= 0 {
		s.span = DefaultSpan
	}
	s.d.src = &countingReader{r: r, ring: make([]byte, ringSize)}
	s.d.br = bufio.NewReaderSize(s.d.src, bufSize)
	s.d.newInflater = s.newInflater
	s.d.atMember = s.atMember
	return s
}

// Read reads decompressed data.
func (s *Scanner) Read(p []byte) (int, error) {
	n, err := s.d.Read(p)
	if s.emitErr != nil {
		s.d.err = s.emitErr
		return n, s.emitErr
	}
	return n, err
}

// Members returns the number of gzip members read completely so far.
func (s *Scanner) Members() int64 { return s.d.member }

// InputOffset returns how many compressed bytes have been consumed.
func (s *Scanner) InputOffset() int64 { return s.d.pos() }

// OutputOffset returns how many decompressed bytes have been returned.
func (s *Scanner) OutputOffset() int64 { return s.d.out }

func (s *Scanner) atMember(in int64) error {
	if s.lastCP >= 0 && s.d.out-s.lastCP < s.span/16 {
		return nil
	}
	s.lastCP = s.d.out
	return s.emit(Checkpoint{Out: s.d.out, In: in, Member: s.d.member, MemberStart: true})
}

func (s *Scanner) newInflater(in int64) io.ReadCloser {
	s.deflIn = in
	s.blockBit = 0
	s.prevRep = 0
	s.prevUnc = 0
	s.blind = false
	s.peekBlock()
	return flate.NewReaderOpts(s.d.br, flate.WithEobCallback(s.blockEnd))
}

// blockEnd is called by the inflater at the end of every deflate block.
func (s *Scanner) blockEnd(cp flate.InflateCheckpoint) {
	if s.emitErr != nil || s.blind {
		return
	}
	rep := cp.CompressedOffset*8 + int64(cp.BitOffset)
	var end int64
	if s.stored {
		// The inflater's offset is unreliable after stored blocks; the
		// block's own LEN field is not.
		if cp.UncompressedOffset-s.prevUnc != s.storedLen {
			s.emitErr = fmt.Errorf("%w: stored block of %d bytes produced %d", ErrCorrupt, s.storedLen, cp.UncompressedOffset-s.prevUnc)
			return
		}
		end = s.storedEnd
	} else {
		end = s.blockBit + (rep - s.prevRep)
	}
	s.blockBit, s.prevRep, s.prevUnc = end, rep, cp.UncompressedOffset
	if cp.Final {
		return
	}
	s.peekBlock()
	out := s.d.memOut + cp.UncompressedOffset
	if s.blind || (s.lastCP >= 0 && out-s.lastCP < s.span) {
		return
	}
	s.lastCP = out
	s.emitErr = s.emit(Checkpoint{
		Out:    out,
		In:     s.deflIn + end/8,
		Bit:    uint8(end % 8),
		Member: s.d.member,
		Window: append(make([]byte, 0, len(cp.Window)), cp.Window...),
	})
}

// peekBlock reads the header of the block starting at s.blockBit and, for
// a stored block, its length.
func (s *Scanner) peekBlock() {
	s.stored = false
	hdr, ok := s.bits(s.blockBit, 3)
	if !ok {
		s.blind = true
		return
	}
	if hdr>>1 != 0 { // BTYPE is not 00: a Huffman (or invalid) block
		return
	}
	s.stored = true
	lenAt := (s.blockBit + 3 + 7) / 8 // LEN starts at the next byte boundary
	lo, ok1 := s.byteAt(s.deflIn + lenAt)
	hi, ok2 := s.byteAt(s.deflIn + lenAt + 1)
	if !ok1 || !ok2 {
		s.blind = true
		return
	}
	s.storedLen = int64(lo) | int64(hi)<<8
	s.storedEnd = (lenAt + 4 + s.storedLen) * 8
}

// bits returns n (<= 8) bits starting at bit offset bit from the current
// member's deflate data, least significant first, as deflate packs them.
func (s *Scanner) bits(bit int64, n uint) (uint32, bool) {
	b0, ok := s.byteAt(s.deflIn + bit/8)
	if !ok {
		return 0, false
	}
	v := uint32(b0)
	if bit%8+int64(n) > 8 {
		b1, ok := s.byteAt(s.deflIn + bit/8 + 1)
		if !ok {
			return 0, false
		}
		v |= uint32(b1) << 8
	}
	return (v >> (bit % 8)) & (1<<n - 1), true
}

// byteAt returns the compressed byte at absolute offset off, which must
// lie in the recent past of the input or in the read buffer ahead.
func (s *Scanner) byteAt(off int64) (byte, bool) {
	src := s.d.src
	consumed := s.d.pos()
	if off >= consumed {
		b, _ := s.d.br.Peek(int(off-consumed) + 1)
		if int64(len(b)) <= off-consumed {
			return 0, false
		}
		return b[off-consumed], true
	}
	if off < src.n-ringSize || off < 0 {
		return 0, false
	}
	return src.ring[off%ringSize], true
}
