package gzseek

import (
	"bufio"
	"io"

	"github.com/tarx-dev/tarx/internal/inflate"
)

// DefaultSpan is the default distance in output bytes between windowed
// checkpoints. A resume costs a window load plus inflating on average half
// a span, while every checkpoint adds about 9 KiB of compressed window to
// an index; see the benchmarks in docs/BENCHMARKS.md.
const DefaultSpan = 4 << 20

// ScanOptions configures a Scanner.
type ScanOptions struct {
	// Span is the output distance between windowed checkpoints
	// (DefaultSpan if zero). Member starts are reported as checkpoints
	// whenever at least Span/16 bytes of output have passed since the
	// last one, since they cost no window.
	Span int64
	// Jobs is how many chunks of the input are decoded at once. With
	// more than one, the Scanner decodes ahead on Jobs goroutines, each
	// starting inside the compressed stream at a deflate block it finds
	// by trial; its output and checkpoints are those of a sequential
	// scan. Zero or one scans sequentially; callers that want all cores
	// pass runtime.NumCPU(). Inputs shorter than two chunks are scanned
	// sequentially.
	Jobs int

	// chunkSize overrides DefaultChunkSize (tests force tiny chunks).
	chunkSize int64
	// maxMarked overrides defaultMaxMarked (tests force cut pieces).
	maxMarked int
	// unpaced makes a parallel scan speculate even when its reader is
	// slower than sequential decoding (tests of the speculation).
	unpaced bool
}

// A Scanner decompresses a gzip stream and reports checkpoints on the way.
// Its Read returns the decompressed bytes of all members in order, and
// io.EOF once the last member's trailer has been verified.
type Scanner struct {
	par     *parallel // nil when scanning sequentially
	d       decoder
	span    int64
	emit    func(Checkpoint) error
	lastCP  int64 // Out of the last checkpoint reported, -1 if none
	emitErr error
	deflIn  int64 // compressed offset of the current member's deflate data
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
	if opts.Jobs > 1 {
		s.par = newParallel(s, r, opts)
		return s
	}
	s.sequential(r)
	return s
}

// sequential sets s up to scan r on the calling goroutine.
func (s *Scanner) sequential(r io.Reader) {
	s.d.src = &countingReader{r: r}
	s.d.br = bufio.NewReaderSize(s.d.src, bufSize)
	s.d.atMember = s.atMember
	s.d.atInflate = func(in int64) { s.deflIn = in }
	s.d.onBlockEnd = s.blockEnd
}

// Read reads decompressed data.
func (s *Scanner) Read(p []byte) (int, error) {
	if s.par != nil {
		if s.par.small() {
			// Too little input to share: scan it here.
			s.sequential(s.par.rest())
			s.par = nil
		} else {
			return s.par.read(p)
		}
	}
	n, err := s.d.Read(p)
	if s.emitErr != nil {
		s.d.err = s.emitErr
		return n, s.emitErr
	}
	return n, err
}

// AppendRoom is the spare capacity Append needs in its dst.
const AppendRoom = inflate.AppendRoom

// Append is Read without the copy: it decompresses into the spare
// capacity of dst and returns dst extended by the new output, and io.EOF
// once the last member's trailer has been verified. dst must have at
// least AppendRoom bytes of spare capacity and end with the last
// WindowSize bytes Append has returned (all of them, if fewer): a
// sequential scan inflates straight into dst and takes its back-references
// from there. The bytes of dst past the returned length are scratch space.
// Append and Read must not both be used on one Scanner.
func (s *Scanner) Append(dst []byte) ([]byte, error) {
	if cap(dst)-len(dst) < AppendRoom {
		return dst, io.ErrShortBuffer
	}
	if s.par != nil {
		if s.par.small() {
			s.sequential(s.par.rest())
			s.par = nil
		} else {
			n, err := s.par.read(dst[len(dst):cap(dst)])
			return dst[:len(dst)+n], err
		}
	}
	dst, err := s.d.Append(dst)
	if s.emitErr != nil {
		s.d.err = s.emitErr
		return dst, s.emitErr
	}
	return dst, err
}

// Members returns the number of gzip members read completely so far.
func (s *Scanner) Members() int64 {
	if s.par != nil {
		return s.par.member
	}
	return s.d.member
}

// InputOffset returns how many compressed bytes have been consumed.
func (s *Scanner) InputOffset() int64 {
	if s.par != nil {
		return s.par.p.bit / 8
	}
	return s.d.pos()
}

// OutputOffset returns how many decompressed bytes have been returned.
func (s *Scanner) OutputOffset() int64 {
	if s.par != nil {
		return s.par.returned
	}
	return s.d.out
}

func (s *Scanner) atMember(in int64) error {
	if s.lastCP >= 0 && s.d.out-s.lastCP < s.span/16 {
		return nil
	}
	s.lastCP = s.d.out
	return s.emit(Checkpoint{Out: s.d.out, In: in, Member: s.d.member, MemberStart: true})
}

// blockEnd is called by the inflater at the end of every deflate block,
// with the exact bit offset from the start of the member's deflate data.
func (s *Scanner) blockEnd(bit, out int64, final bool) {
	if final || s.emitErr != nil {
		return
	}
	at := s.d.memOut + out
	if s.lastCP >= 0 && at-s.lastCP < s.span {
		return
	}
	s.lastCP = at
	w := s.d.fr.Window()
	s.emitErr = s.emit(Checkpoint{
		Out:    at,
		In:     s.deflIn + bit/8,
		Bit:    uint8(bit % 8),
		Member: s.d.member,
		Window: append(make([]byte, 0, len(w)), w...),
	})
}
