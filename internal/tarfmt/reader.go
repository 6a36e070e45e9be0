package tarfmt

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Errors of the reader. Truncation is io.ErrUnexpectedEOF.
var (
	// ErrHeader means a header is not one GNU tar reads.
	ErrHeader = errors.New("tarfmt: invalid tar header")
	// ErrSparse means a sparse member's map cannot be read as GNU tar does.
	ErrSparse = errors.New("tarfmt: invalid sparse member")
)

// maxLongName bounds GNU long names and link names.
const maxLongName = 1 << 20

// Entry is a member of a tar stream: its header as GNU tar reads it and
// where its parts lie, in bytes from the start of the reader's stream.
type Entry struct {
	// Header is the member's metadata. Typeflag is the type flag as
	// stored (an unknown one is kept: see Regular). Size is the size of
	// the contents; for hard links 0, as GNU tar reads them. Extended
	// header records are in PAXRecords, except unknown ones with long
	// values and the sparse map.
	Header tar.Header
	// HeaderOffset is the offset of the member's first header block (an
	// extended or long-name header if it has one).
	HeaderOffset int64
	// DataOffset is the offset of its stored data, after all headers
	// (for PAX sparse 1.0, after the map blocks too).
	DataOffset int64
	// DataEnd is the offset just past its stored data, before padding.
	DataEnd int64
	// Sparse is set for GNU and PAX sparse members.
	Sparse bool
}

// Options configures a Reader.
type Options struct {
	// Warn, if set, receives GNU tar's warnings (without "tar: "), such
	// as "A lone zero block at 7".
	Warn func(msg string)
}

// Lender is a stream that can lend its next bytes instead of copying them
// out. A Reader over one reads headers, skips contents and padding, and
// hands contents to WriteTo without a copy: an index build checksums a
// million small members straight out of the decompressed buffers.
type Lender interface {
	io.Reader
	// Lend returns up to n (n > 0) of the stream's next bytes, at least
	// one unless err is set, and consumes them. The slice is valid until
	// the next call on the stream.
	Lend(n int) ([]byte, error)
}

// Reader reads a tar stream entry by entry, as GNU tar 1.34 does.
type Reader struct {
	r    io.Reader
	lend Lender // r, if it lends its bytes
	e    Entry  // the current entry, reused
	warn func(string)
	pos  int64
	blk  block
	err  error // sticky: the stream cannot be read further
	// global holds the records of global extended headers ('g'), which
	// GNU tar applies to every later member before its own records.
	global []paxRecord
	// unknown holds the unknown keywords of the pending extended header,
	// which GNU tar reports when it applies the header to its member.
	unknown []string
	end     bool // the end of the archive was read

	// The current entry's contents.
	stored      int64  // stored bytes not yet read
	storedTotal int64  // stored bytes of the entry
	pad         int64  // padding after them
	size        int64  // logical size
	lpos        int64  // logical position
	spans       []span // sparse runs not yet finished; nil if not sparse
	sparse      bool
}

// NewReader returns a Reader of the tar stream r. Offsets are counted
// from r's current position. If r is a Lender, its bytes are not copied
// where the Reader only looks at them or skips them.
func NewReader(r io.Reader, opts Options) *Reader {
	l, _ := r.(Lender)
	return &Reader{r: r, lend: l, warn: opts.Warn}
}

func (r *Reader) warnf(format string, args ...any) {
	if r.warn != nil {
		r.warn(fmt.Sprintf(format, args...))
	}
}

// Read reads the contents of the current entry: the stored bytes, or for
// a sparse member the logical bytes with holes as zeros. A stream ending
// early is io.ErrUnexpectedEOF.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.lpos >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > r.size-r.lpos {
		p = p[:r.size-r.lpos]
	}
	if !r.sparse {
		n, err := r.readStored(p)
		r.lpos += int64(n)
		return n, err
	}
	for len(r.spans) > 0 && r.spans[0].Length == 0 {
		r.spans = r.spans[1:]
	}
	if len(r.spans) > 0 && r.lpos >= r.spans[0].Offset {
		s := &r.spans[0]
		if r.lpos == s.Offset {
			// A run's data starts at a block of its own (see checkSpans).
			if pad := -(r.storedTotal - r.stored) & (blockSize - 1); pad > 0 {
				k, err := io.CopyN(io.Discard, r.r, min(pad, r.stored))
				r.pos += k
				r.stored -= k
				if err != nil {
					r.err = unexpected(err)
					return 0, r.err
				}
			}
		}
		if int64(len(p)) > s.Offset+s.Length-r.lpos {
			p = p[:s.Offset+s.Length-r.lpos]
		}
		n, err := r.readStored(p)
		r.lpos += int64(n)
		if r.lpos == s.Offset+s.Length {
			r.spans = r.spans[1:]
		}
		return n, err
	}
	holeEnd := r.size
	if len(r.spans) > 0 {
		holeEnd = r.spans[0].Offset
	}
	if int64(len(p)) > holeEnd-r.lpos {
		p = p[:holeEnd-r.lpos]
	}
	clear(p)
	r.lpos += int64(len(p))
	return len(p), nil
}

// readStored reads stored bytes of the current entry.
func (r *Reader) readStored(p []byte) (int, error) {
	if int64(len(p)) > r.stored {
		p = p[:r.stored]
	}
	if len(p) == 0 {
		return 0, io.ErrUnexpectedEOF // the map needs more than is stored
	}
	n, err := r.r.Read(p)
	r.pos += int64(n)
	r.stored -= int64(n)
	if err == io.EOF && r.stored > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		r.err = err
	}
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// WriteTo writes the rest of the current entry's contents to w, as Read
// would return them. The stored bytes of a member that is not sparse,
// from a Lender, go to w without a copy.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	if r.lend == nil || r.sparse {
		return io.Copy(w, struct{ io.Reader }{r}) // Read, not WriteTo
	}
	var total int64
	for r.lpos < r.size {
		if r.err != nil {
			return total, r.err
		}
		b, err := r.lend.Lend(int(min(r.size-r.lpos, 1<<30)))
		n := int64(len(b))
		r.pos += n
		r.stored -= n
		r.lpos += n
		if n > 0 {
			if _, werr := w.Write(b); werr != nil {
				return total, werr
			}
			total += n
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			r.err = err
			return total, err
		}
	}
	return total, nil
}

// skip discards n bytes of the stream.
func (r *Reader) skip(n int64) error {
	if n <= 0 {
		return nil
	}
	if r.lend != nil {
		for n > 0 {
			b, err := r.lend.Lend(int(min(n, 1<<30)))
			r.pos += int64(len(b))
			n -= int64(len(b))
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	k, err := io.CopyN(io.Discard, r.r, n)
	r.pos += k
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// readBlock reads the next block. At the end of the stream it returns
// io.EOF if no byte was read, io.ErrUnexpectedEOF if some were.
func (r *Reader) readBlock() error {
	if r.lend == nil {
		n, err := io.ReadFull(r.r, r.blk[:])
		r.pos += int64(n)
		return err
	}
	for n := 0; n < blockSize; {
		b, err := r.lend.Lend(blockSize - n)
		n += copy(r.blk[n:], b)
		r.pos += int64(len(b))
		if err == io.EOF && n > 0 && n < blockSize {
			return io.ErrUnexpectedEOF
		}
		if err != nil && n < blockSize {
			return err
		}
	}
	return nil
}

func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

// Next advances to the next entry, skipping what is left of the current
// one. At the end of the archive it returns io.EOF: after two zero
// blocks, at the end of the stream, or after a lone zero block followed by
// something else (with GNU tar's warning "A lone zero block at N": see
// afterZeroBlock). Extended headers ('x', 'X'), GNU long names and links
// ('L', 'K') and global headers ('g') are read as part of the entry they
// precede. The Entry is valid until the next call of Next.
func (r *Reader) Next() (*Entry, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := r.skip(r.stored + r.pad); err != nil {
		return nil, r.fail(err)
	}
	r.stored, r.storedTotal, r.pad, r.size, r.lpos, r.spans, r.sparse = 0, 0, 0, 0, 0, nil, false
	if r.end {
		return nil, io.EOF
	}
	e := &r.e
	*e = Entry{HeaderOffset: r.pos}
	r.unknown = nil
	var (
		pax                []paxRecord
		havePAX            bool
		longName, longLink *string
	)
	for {
		off := r.pos
		if err := r.readBlock(); err != nil {
			if err == io.EOF && off == e.HeaderOffset {
				r.end = true
				return nil, io.EOF
			}
			return nil, r.fail(unexpected(err))
		}
		if r.blk.isZero() {
			r.end = true
			return nil, r.afterZeroBlock()
		}
		if err := r.blk.checksum(); err != nil {
			return nil, r.fail(fmt.Errorf("%w at offset %d", err, off))
		}
		typ := r.blk[offType]
		size, err := r.blk.number(offSize, 12, "size")
		if err == nil && size < 0 {
			err = fmt.Errorf("%w: negative size", ErrHeader)
		}
		if err != nil {
			return nil, r.fail(fmt.Errorf("%w at offset %d", err, off))
		}
		if typ == tar.TypeLink {
			size = 0
		}
		switch typ {
		case tar.TypeXHeader, TypeSolarisXHeader, tar.TypeXGlobalHeader:
			recs, err := r.readPAX(size, typ == tar.TypeXGlobalHeader)
			if err != nil {
				return nil, r.fail(fmt.Errorf("%w (header at offset %d)", err, off))
			}
			if typ == tar.TypeXGlobalHeader {
				for _, rec := range recs {
					if rec.key == "size" || rec.key == "path" || strings.HasPrefix(rec.key, "GNU.sparse.") {
						return nil, r.fail(fmt.Errorf("%w: global extended header sets %s for every member (header at offset %d)", ErrHeader, rec.key, off))
					}
				}
				r.global = append(r.global, recs...)
				if !havePAX && longName == nil && longLink == nil {
					e.HeaderOffset = r.pos
				}
			} else {
				pax, havePAX = recs, true
			}
			continue
		case tar.TypeGNULongName, tar.TypeGNULongLink:
			s, err := r.readLong(size)
			if err != nil {
				return nil, r.fail(fmt.Errorf("%w (header at offset %d)", err, off))
			}
			if typ == tar.TypeGNULongName {
				longName = &s
			} else {
				longLink = &s
			}
			continue
		}
		h := &e.Header
		if err := r.blk.decode(h); err != nil {
			return nil, r.fail(fmt.Errorf("%w at offset %d", err, off))
		}
		if typ == tar.TypeLink {
			h.Size = 0
		} else {
			h.Size = size
		}
		if longName != nil {
			h.Name = *longName
		}
		if longLink != nil {
			h.Linkname = *longLink
		}
		for _, k := range r.unknown {
			r.warnf("Ignoring unknown extended header keyword '%s'", k)
		}
		r.unknown = nil
		sp, err := r.apply(h, append(slices.Clip(r.global), pax...), havePAX)
		if err == nil && typ == tar.TypeGNUSparse && h.Format == tar.FormatGNU {
			sp, err = r.oldGNUSparse(h)
		}
		if err != nil {
			return nil, r.fail(fmt.Errorf("%w (header at offset %d)", err, off))
		}
		if h.Typeflag == tar.TypeRegA {
			// As archive/tar does, and as GNU tar extracts it.
			h.Typeflag = tar.TypeReg
			if strings.HasSuffix(h.Name, "/") {
				h.Typeflag = tar.TypeDir
			}
		}
		stored := h.Size
		if !hasStoredData(typ) {
			stored = 0
		}
		if sp.major > 0 {
			n, err := r.readSparse1(&sp, stored)
			if err != nil {
				return nil, r.fail(fmt.Errorf("%s: %w", h.Name, err))
			}
			stored -= n
		}
		e.DataOffset = r.pos
		e.DataEnd = r.pos + stored
		r.stored, r.storedTotal, r.pad = stored, stored, -stored&(blockSize-1)
		r.size = stored
		if !hasStoredData(typ) {
			r.size = 0
		}
		if sp.sparse {
			if err := checkSpans(sp.spans, sp.realSize, stored); err != nil {
				return nil, r.fail(fmt.Errorf("%s: %w", h.Name, err))
			}
			e.Sparse, r.sparse, r.spans = true, true, sp.spans
			h.Size, r.size = sp.realSize, sp.realSize
		}
		return e, nil
	}
}

// afterZeroBlock ends the archive after a zero block, as GNU tar does: it
// reads the next header (with the extension headers before it); if that
// is a zero block too, the archive ends quietly, otherwise with the
// warning "A lone zero block at N", N the number of the block where that
// reading stopped. It returns io.EOF, or an error of the stream.
func (r *Reader) afterZeroBlock() error {
	for {
		at := r.pos / blockSize
		err := r.readBlock()
		switch {
		case err == nil && r.blk.isZero():
			return io.EOF
		case err == io.EOF || err == io.ErrUnexpectedEOF:
		case err != nil:
			return r.fail(err)
		case r.blk.checksum() == nil && r.blk[offType] != tar.TypeLink:
			// GNU tar decodes the size of the header it reads, and
			// fails on a bad one.
			size, err := r.blk.number(offSize, 12, "size")
			if err != nil {
				return r.fail(fmt.Errorf("%w at offset %d", err, at*blockSize))
			}
			switch r.blk[offType] {
			case tar.TypeXGlobalHeader:
				// GNU tar parses global headers as it reads them (others
				// when it applies them to their member).
				if _, err := r.readPAX(size, true); err != nil {
					return r.fail(fmt.Errorf("%w (header at offset %d)", err, at*blockSize))
				}
				r.unknown = nil // never applied to a member
				continue
			case tar.TypeXHeader, TypeSolarisXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
				// A stream ending inside them is an error to GNU tar.
				if err := r.skip(size + (-size & (blockSize - 1))); err != nil {
					return r.fail(err)
				}
				continue
			}
		}
		r.warnf("A lone zero block at %d", at)
		return io.EOF
	}
}

// readPAX reads an extended header's records and its padding.
func (r *Reader) readPAX(size int64, global bool) ([]paxRecord, error) {
	cr := &countReader{r: r.r, n: &r.pos}
	lr := &io.LimitedReader{R: cr, N: size}
	recs, unknown, err := parsePAX(lr, size)
	if err != nil {
		return nil, err
	}
	if !global { // GNU tar keeps unknown global keywords without a word
		r.unknown = unknown
	}
	if err := r.skip(lr.N + (-size & (blockSize - 1))); err != nil {
		return nil, err
	}
	return recs, nil
}

// readLong reads a GNU long name or link name (up to its first NUL).
func (r *Reader) readLong(size int64) (string, error) {
	if size > maxLongName {
		return "", fmt.Errorf("%w: long name of %d bytes", ErrHeader, size)
	}
	b := make([]byte, size)
	n, err := io.ReadFull(r.r, b)
	r.pos += int64(n)
	if err != nil {
		return "", unexpected(err)
	}
	if err := r.skip(-size & (blockSize - 1)); err != nil {
		return "", err
	}
	return parseString(b), nil
}

// sparseInfo is what the headers say about a sparse member.
type sparseInfo struct {
	sparse   bool
	major    int64 // PAX sparse format major version; 1 keeps the map in the data
	realSize int64
	spans    []span
}

// apply sets the header fields given by extended header records, as GNU
// tar's xheader_decode does, and returns the PAX sparse information.
func (r *Reader) apply(h *tar.Header, recs []paxRecord, havePAX bool) (sparseInfo, error) {
	var sp sparseInfo
	if len(recs) == 0 {
		return sp, nil
	}
	if havePAX && h.Format == tar.FormatUSTAR {
		h.Format = tar.FormatPAX
	}
	sp.realSize = -1
	var sparseName *string
	for _, rec := range recs {
		k, v := rec.key, rec.value
		var err error
		switch k {
		case "path":
			h.Name = cString(v)
		case "linkpath":
			h.Linkname = cString(v)
		case "uname":
			h.Uname = cString(v)
		case "gname":
			h.Gname = cString(v)
		case "uid", "gid":
			var n int64
			if n, err = paxUint(k, v, 1<<53); err == nil {
				if k == "uid" {
					h.Uid = int(n)
				} else {
					h.Gid = int(n)
				}
			}
		case "size":
			h.Size, err = paxUint(k, v, 1<<62)
		case "mtime":
			h.ModTime, err = paxTime(k, v)
		case "atime":
			h.AccessTime, err = paxTime(k, v)
		case "ctime":
			h.ChangeTime, err = paxTime(k, v)
		case "SCHILY.devmajor":
			h.Devmajor, err = paxUint(k, v, 1<<53)
		case "SCHILY.devminor":
			h.Devminor, err = paxUint(k, v, 1<<53)
		case "GNU.sparse.name":
			s := cString(v)
			sparseName = &s
		case "GNU.sparse.size", "GNU.sparse.realsize":
			sp.realSize, err = paxUint(k, v, 1<<62)
		case "GNU.sparse.major":
			sp.major, err = paxUint(k, v, 1<<20)
		case "GNU.sparse.offset":
			var n int64
			if n, err = paxUint(k, v, 1<<62); err == nil {
				if len(sp.spans) >= maxSpans {
					err = fmt.Errorf("%w: too many sparse entries", ErrSparse)
				}
				sp.spans = append(sp.spans, span{Offset: n, Length: 0})
			}
		case "GNU.sparse.numbytes":
			if len(sp.spans) == 0 {
				err = fmt.Errorf("%w: malformed extended header: GNU.sparse.numbytes before GNU.sparse.offset", ErrHeader)
			} else {
				sp.spans[len(sp.spans)-1].Length, err = paxUint(k, v, 1<<62)
			}
		case "GNU.sparse.map":
			sp.spans, err = parseSparseMap01(v)
		}
		if err != nil {
			return sp, err
		}
		if keepRecord(k) {
			if h.PAXRecords == nil {
				h.PAXRecords = map[string]string{}
			}
			h.PAXRecords[k] = v
		}
	}
	if sparseName != nil {
		h.Name = *sparseName
	}
	sp.sparse = len(sp.spans) > 0 || sp.major > 0
	if sp.sparse {
		// GNU tar reads PAX sparse maps only in POSIX archives; others
		// it would read differently: refuse rather than guess.
		if h.Format != tar.FormatPAX {
			return sp, fmt.Errorf("%w: PAX sparse records in a %v header", ErrSparse, h.Format)
		}
		if sp.realSize < 0 {
			sp.realSize = h.Size
		}
	}
	return sp, nil
}

// keepRecord reports whether a record goes into Header.PAXRecords.
func keepRecord(k string) bool {
	return k != "GNU.sparse.offset" && k != "GNU.sparse.numbytes" && k != "GNU.sparse.map"
}

// oldGNUSparse reads the map of an old GNU sparse member from its header
// and extension blocks. GNU tar reads extension blocks only while the map
// has not ended.
func (r *Reader) oldGNUSparse(h *tar.Header) (sparseInfo, error) {
	sp := sparseInfo{sparse: true}
	var err error
	if sp.realSize, err = r.blk.number(offGNUReal, 12, "realsize"); err != nil {
		return sp, err
	}
	sp.realSize = max(sp.realSize, 0)
	var more bool
	sp.spans, more, err = gnuSparseEntries(nil, r.blk[offGNUSparse:], 4)
	for ext := r.blk[offGNUIsExt] != 0; err == nil && more && ext; ext = r.blk[504] != 0 {
		if err := r.readBlock(); err != nil {
			return sp, unexpected(err)
		}
		sp.spans, more, err = gnuSparseEntries(sp.spans, r.blk[:], 21)
	}
	if err != nil {
		return sp, err
	}
	return sp, nil
}

// readSparse1 reads the map of a PAX 1.0 sparse member from the start of
// its data: decimal numbers ending in newlines (the count, then offset
// and size pairs), padded to a block. It returns the bytes consumed.
func (r *Reader) readSparse1(sp *sparseInfo, stored int64) (int64, error) {
	start := r.pos
	var buf []byte
	number := func() (int64, error) {
		for {
			for i, c := range buf {
				if c == '\n' {
					s := string(buf[:i])
					buf = buf[i+1:]
					if !allDigits(s) {
						return 0, fmt.Errorf("%w: malformed sparse map number %q", ErrSparse, s)
					}
					n, err := strconv.ParseInt(s, 10, 64)
					if err != nil {
						return 0, fmt.Errorf("%w: sparse map number %q out of range", ErrSparse, s)
					}
					return n, nil
				}
			}
			if len(buf) > 64 {
				return 0, fmt.Errorf("%w: malformed sparse map", ErrSparse)
			}
			if r.pos-start+blockSize > stored {
				return 0, fmt.Errorf("%w: sparse map longer than the member", ErrSparse)
			}
			if err := r.readBlock(); err != nil {
				return 0, unexpected(err)
			}
			buf = append(buf, r.blk[:]...)
		}
	}
	count, err := number()
	if err != nil {
		return 0, err
	}
	if count > maxSpans {
		return 0, fmt.Errorf("%w: %d sparse entries", ErrSparse, count)
	}
	sp.spans = sp.spans[:0]
	for range count {
		off, err := number()
		if err != nil {
			return 0, err
		}
		n, err := number()
		if err != nil {
			return 0, err
		}
		sp.spans = append(sp.spans, span{off, n})
	}
	return r.pos - start, nil
}

// countReader counts the bytes read into *n.
type countReader struct {
	r io.Reader
	n *int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}
