package index

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	bolt "go.etcd.io/bbolt"
)

// This file records and proves the CRC-32 of every BlockSize block of the
// decompressed stream, so that a range of it (or of a member) can be
// verified without reading the whole member: the build sums blocks as
// the tar parser receives them, and a RangeReader decodes and checks
// every block a read covers before it hands out any byte of it.

// BlockSize is the length of the blocks of the decompressed stream whose
// CRC-32 the index records. The last block of the stream may be shorter.
const BlockSize = 64 << 10

// blocksPerGroup is how many block sums share one value of the blocks
// bucket (4 KiB of sums covering 64 MiB of the stream).
const blocksPerGroup = 1024

var bucketBlocks = []byte("blocks")

// blockGroup is a run of consecutive block sums starting at block first.
type blockGroup struct {
	first int64
	sums  []byte // big-endian CRC-32s
}

// blockSummer sums the decompressed stream in BlockSize blocks as it is
// written, in order, and sends full groups of sums on groups.
type blockSummer struct {
	ctx    context.Context
	groups chan blockGroup
	crc    uint32
	fill   int   // bytes of the current block summed so far
	block  int64 // number of the current block
	cur    blockGroup
}

func newBlockSummer(ctx context.Context) *blockSummer {
	return &blockSummer{ctx: ctx, groups: make(chan blockGroup, 4)}
}

// write sums p, the next bytes of the stream.
func (s *blockSummer) write(p []byte) error {
	for len(p) > 0 {
		k := min(len(p), BlockSize-s.fill)
		s.crc = crc32.Update(s.crc, crc32.IEEETable, p[:k])
		s.fill += k
		p = p[k:]
		if s.fill == BlockSize {
			if err := s.endBlock(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *blockSummer) endBlock() error {
	if len(s.cur.sums) == 0 {
		s.cur.first = s.block
	}
	s.cur.sums = binary.BigEndian.AppendUint32(s.cur.sums, s.crc)
	s.crc, s.fill = 0, 0
	s.block++
	if len(s.cur.sums) == 4*blocksPerGroup {
		return s.send()
	}
	return nil
}

func (s *blockSummer) send() error {
	select {
	case s.groups <- s.cur:
		s.cur = blockGroup{}
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

// finish sums the last, partial block and sends what is left. Call it
// once the whole stream was written.
func (s *blockSummer) finish() error {
	if s.fill > 0 {
		if err := s.endBlock(); err != nil {
			return err
		}
	}
	if len(s.cur.sums) > 0 || s.block == 0 {
		// An empty stream still sends one, empty, group: the bucket exists.
		return s.send()
	}
	return nil
}

// close closes groups: the stream ended, or the pass failed.
func (s *blockSummer) close() { close(s.groups) }

// putBlocks stores a group of sums in tx.
func putBlocks(tx *bolt.Tx, g blockGroup) error {
	b, err := tx.CreateBucketIfNotExists(bucketBlocks)
	if err != nil {
		return err
	}
	b.FillPercent = 1.0
	return b.Put(u64(g.first), g.sums)
}

// blockSum returns the recorded CRC-32 of block k, reading its group into
// *group (a cache the caller keeps) when it is not there already.
func (a *Archive) blockSum(k int64, group *blockGroup) (uint32, error) {
	first := k / blocksPerGroup * blocksPerGroup
	if group.sums == nil || group.first != first {
		err := view(a.db, func(tx *bolt.Tx) error {
			v := tx.Bucket(bucketBlocks).Get(u64(first))
			if len(v)%4 != 0 {
				return fmt.Errorf("%w: block sums at block %d", ErrFormat, first)
			}
			group.first, group.sums = first, append(group.sums[:0], v...)
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	i := (k - first) * 4
	if i+4 > int64(len(group.sums)) {
		return 0, fmt.Errorf("%w: no sum for block %d", ErrFormat, k)
	}
	return binary.BigEndian.Uint32(group.sums[i:]), nil
}

// A RangeReader reads byte ranges of the decompressed stream, or of a
// member's contents, proven against the index: every BlockSize block a
// read covers is decoded whole and its CRC-32 compared with the one
// recorded at build time before any byte of the read is returned. A
// corrupt block fails the read with an error wrapping ErrChecksum.
//
// It keeps one stream: a read just after the previous one continues it, a
// read at most Archive.ReadAhead ahead reads forward, and any other
// opens the stream again (resumed at the nearest checkpoint, or at the
// offset of a plain tar), so a read costs at most one resume plus the
// bytes up to its offset within that span. A RangeReader
// is not safe for concurrent use; Close releases its stream.
type RangeReader struct {
	a     *Archive
	r     io.ReadCloser // nil when closed
	pos   int64         // offset of the next byte r returns, block-aligned
	group blockGroup    // cached block sums
	buf   []byte        // the last verified block
	bufAt int64         // its offset, -1 if none

	sparse *sparseCursor // position inside a sparse member
}

// NewRangeReader returns a RangeReader of a.
func (a *Archive) NewRangeReader() *RangeReader {
	return &RangeReader{a: a, bufAt: -1}
}

// Offset returns the offset in the decompressed stream at which a read
// continues the reader's stream without any seeking, or -1 if it has
// none. Callers pooling readers use it to hand a sequential read the
// reader that served the previous one.
func (rr *RangeReader) Offset() int64 {
	if rr.r == nil {
		return -1
	}
	return rr.pos
}

// ReadAt reads len(p) bytes of the decompressed stream from offset off.
// It follows io.ReaderAt: fewer bytes come with an error, io.EOF at the
// end of the stream. A read that covers a corrupt block returns 0 bytes.
func (rr *RangeReader) ReadAt(p []byte, off int64) (int, error) {
	size := rr.a.info.UncompressedSize
	if off < 0 {
		return 0, fmt.Errorf("index: read at negative offset %d", off)
	}
	if off >= size {
		return 0, io.EOF
	}
	want := len(p)
	if int64(want) > size-off {
		p = p[:size-off]
	}
	if k := off / BlockSize; off%BlockSize == 0 && int64(len(p)) == min(BlockSize, size-off) && rr.bufAt != off {
		// One whole block: decoded and checked in p, not copied.
		if err := rr.blockInto(k, p); err != nil {
			return 0, err
		}
		if len(p) < want {
			return len(p), io.EOF
		}
		return len(p), nil
	}
	for done := 0; done < len(p); {
		at := off + int64(done)
		if err := rr.block(at / BlockSize); err != nil {
			return 0, err
		}
		done += copy(p[done:], rr.buf[at-rr.bufAt:])
	}
	if len(p) < want {
		return len(p), io.EOF
	}
	return len(p), nil
}

// block makes rr.buf hold block k, verified.
func (rr *RangeReader) block(k int64) error {
	start := k * BlockSize
	if rr.bufAt == start {
		return nil
	}
	if rr.buf == nil {
		rr.buf = make([]byte, BlockSize)
	}
	rr.bufAt = -1
	b := rr.buf[:min(int64(BlockSize), rr.a.info.UncompressedSize-start)]
	if err := rr.blockInto(k, b); err != nil {
		return err
	}
	rr.buf = b
	rr.bufAt = start
	return nil
}

// blockInto decodes block k into b, which has its length, and verifies
// it. b holds no verified bytes if it fails.
func (rr *RangeReader) blockInto(k int64, b []byte) error {
	start := k * BlockSize
	a := rr.a
	if rr.r == nil || start < rr.pos || start-rr.pos > a.ReadAhead() {
		rr.closeStream()
		r, err := a.OpenAt(start)
		if err != nil {
			return err
		}
		rr.r, rr.pos = r, start
	}
	if skip := start - rr.pos; skip > 0 {
		n, err := io.CopyN(io.Discard, rr.r, skip)
		rr.pos += n
		if err != nil {
			rr.closeStream()
			return fmt.Errorf("index: %s: read at %d: %w", a.info.Archive, start, err)
		}
	}
	got, err := io.ReadFull(rr.r, b)
	rr.pos += int64(got)
	if err != nil {
		rr.closeStream()
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: %s: stream ends inside block %d", ErrChecksum, a.info.Archive, k)
		}
		return fmt.Errorf("index: %s: read at %d: %w", a.info.Archive, start, err)
	}
	wantSum, err := a.blockSum(k, &rr.group)
	if err != nil {
		return err
	}
	if sum := crc32.ChecksumIEEE(b); sum != wantSum {
		rr.closeStream()
		return fmt.Errorf("%w: %s: block at offset %d: CRC-32 %08x, index has %08x",
			ErrChecksum, a.info.Archive, start, sum, wantSum)
	}
	return nil
}

// ReadMemberAt reads len(p) bytes of m's contents from offset off, as
// ReadAt does for the stream; at the end of the member it returns io.EOF.
// A contiguous member is a range of the stream. A sparse member is
// rebuilt by archive/tar from its header, reading verified blocks: a read
// continues from the previous one of the same member when it is ahead of
// it, and otherwise starts again at the member's header.
func (rr *RangeReader) ReadMemberAt(m *Member, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("index: read at negative offset %d", off)
	}
	if off >= m.Header.Size {
		return 0, io.EOF
	}
	want := len(p)
	if rest := m.Header.Size - off; int64(want) > rest {
		p = p[:rest]
	}
	var n int
	var err error
	if m.Contiguous() {
		n, err = rr.ReadAt(p, m.DataOffset+off)
	} else {
		n, err = rr.readSparse(m, p, off)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = shortErr(m, off+int64(n))
		}
		return n, withMember(m, err)
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}

// withMember names m in an error that does not name it yet.
func withMember(m *Member, err error) error {
	var re *ReadError
	if errors.Is(err, ErrChecksum) || errors.As(err, &re) {
		return fmt.Errorf("index: %s: %w", m.Header.Name, err)
	}
	return &ReadError{Member: m.Header.Name, Err: err}
}

// sparseCursor is a position in the logical contents of a sparse member.
type sparseCursor struct {
	seq int64
	tr  *tar.Reader
	off int64 // logical offset of the next byte tr returns
}

func (rr *RangeReader) readSparse(m *Member, p []byte, off int64) (int, error) {
	c := rr.sparse
	if c == nil || c.seq != m.Seq || off < c.off {
		rr.sparse = nil
		s := &streamReader{rr: rr, off: m.HeaderOffset}
		tr := tar.NewReader(s)
		hdr, err := tr.Next()
		if err != nil {
			return 0, err
		}
		if hdr.Name != m.Header.Name || hdr.Size != m.Header.Size {
			return 0, fmt.Errorf("%w: header at offset %d is %q", ErrChecksum, m.HeaderOffset, hdr.Name)
		}
		c = &sparseCursor{seq: m.Seq, tr: tr}
		rr.sparse = c
	}
	if skip := off - c.off; skip > 0 {
		n, err := io.CopyN(io.Discard, c.tr, skip)
		c.off += n
		if err != nil {
			rr.sparse = nil
			return 0, err
		}
	}
	n, err := io.ReadFull(c.tr, p)
	c.off += int64(n)
	if err != nil {
		rr.sparse = nil
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
	}
	return n, err
}

// streamReader reads the verified stream sequentially from off.
type streamReader struct {
	rr  *RangeReader
	off int64
}

func (s *streamReader) Read(p []byte) (int, error) {
	// Whole blocks at a time, so a read never straddles more than needed.
	if len(p) > BlockSize {
		p = p[:BlockSize]
	}
	n, err := s.rr.ReadAt(p, s.off)
	s.off += int64(n)
	if n > 0 && err == io.EOF {
		err = nil
	}
	return n, err
}

func (rr *RangeReader) closeStream() {
	if rr.r != nil {
		rr.r.Close()
		rr.r = nil
	}
}

// Close releases the reader's stream. The reader may be used again.
func (rr *RangeReader) Close() error {
	rr.closeStream()
	rr.sparse = nil
	rr.bufAt = -1
	return nil
}

// blockComparer checks block sums from a fresh pass against the index.
type blockComparer struct {
	b   *bolt.Bucket
	add func(string, ...any)
}

func (c *blockComparer) compare(g blockGroup) {
	stored := c.b.Get(u64(g.first))
	if bytes.Equal(stored, g.sums) {
		return
	}
	for i := 0; i+4 <= len(g.sums); i += 4 {
		if i+4 > len(stored) || !bytes.Equal(stored[i:i+4], g.sums[i:i+4]) {
			c.add("block at offset %d differs from the index", (g.first+int64(i/4))*BlockSize)
			return
		}
	}
	c.add("the index has %d block sums at block %d, the archive %d", len(stored)/4, g.first, len(g.sums)/4)
}
