package index

import (
	"archive/tar"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/s2"
	"github.com/tarx-dev/tarx/gzseek"
	"github.com/tarx-dev/tarx/internal/tarfmt"
	bolt "go.etcd.io/bbolt"
)

// decodeChunk decodes a chunk of member records, calling fn for each.
// The members live in one slice: fn may retain them.
func decodeChunk(v []byte, fn func(*Member) error) error {
	ms, err := appendChunk(nil, v, -1)
	if err != nil {
		return err
	}
	for i := range ms {
		if err := fn(&ms[i]); err != nil {
			return err
		}
	}
	return nil
}

// appendChunk decodes a chunk of member records, appending them to ms,
// numbered from 0 within the chunk. Records are delta-coded, so they are
// read in order; upto >= 0 stops after the record numbered upto (a
// fresh-process get wants one of 512).
func appendChunk(ms []Member, v []byte, upto int64) ([]Member, error) {
	raw, err := unpack(v)
	if err != nil {
		return ms, fmt.Errorf("%w: member chunk: %w", ErrFormat, err)
	}
	r := recordReader{b: raw}
	var prevEnd int64
	for seq := int64(0); len(r.b) > 0 && (upto < 0 || seq <= upto); seq++ {
		ms = append(ms, Member{})
		m := &ms[len(ms)-1]
		if err := r.member(m, prevEnd); err != nil {
			return ms[:len(ms)-1], err
		}
		prevEnd = m.DataEnd
		m.Seq = seq
	}
	return ms, nil
}

// unpack decompresses a chunk made by packer.
func unpack(v []byte) ([]byte, error) {
	if len(v) < 1 || v[0] != chunkS2 {
		return nil, errors.New("unknown encoding")
	}
	if n, err := s2.DecodedLen(v[1:]); err != nil || n > maxChunkRaw {
		return nil, fmt.Errorf("bad length (%d): %v", n, err)
	}
	return s2.Decode(nil, v[1:])
}

// Members calls fn for every member in archive order, with Superseded
// set. The Member passed to fn may be retained.
func (a *Archive) Members(fn func(*Member) error) error {
	return view(a.db, func(tx *bolt.Tx) error {
		it := &memberIter{c: tx.Bucket(bucketMembers).Cursor()}
		sup := supersededReader{b: tx.Bucket(bucketSuperseded)}
		for {
			m, err := it.next()
			if m == nil || err != nil {
				return err
			}
			m.Superseded = sup.superseded(m.Seq)
			if err := fn(m); err != nil {
				return err
			}
		}
	})
}

// Member returns the member with sequence number seq (an Entry's Seq).
// The last few chunks of member records it decoded are kept, so looking
// up a directory's members one by one costs little more than listing it.
func (a *Archive) Member(seq int64) (*Member, error) { return a.cachedMember(seq) }

// member returns the member with sequence number seq.
func (a *Archive) member(seq int64) (*Member, error) {
	var found *Member
	err := view(a.db, func(tx *bolt.Tx) error {
		var err error
		found, err = memberAt(tx, seq)
		return err
	})
	return found, err
}

func memberAt(tx *bolt.Tx, seq int64) (*Member, error) {
	if seq < 0 {
		return nil, fmt.Errorf("%w: member %d", ErrNotFound, seq)
	}
	var found *Member
	err := membersBySeq(tx, []int64{seq}, func(m *Member) error {
		found = m
		return nil
	})
	return found, err
}

// Lookup returns the member that extracting the archive leaves at name
// (cleaned by internal/tarname's rules, as extraction cleans it): the
// last member with that path. It fails with ErrNotFound if there is none,
// or if the path is a directory implied by other members.
func (a *Archive) Lookup(name string) (*Member, error) {
	e, err := a.Stat(name)
	if err != nil {
		return nil, err
	}
	if e.Seq < 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	return a.member(e.Seq)
}

// membersBySeq calls fn for the members with the sequence numbers seqs
// (sorted, without repeats), decoding each member chunk once.
func membersBySeq(tx *bolt.Tx, seqs []int64, fn func(*Member) error) error {
	b := tx.Bucket(bucketMembers)
	sup := supersededReader{b: tx.Bucket(bucketSuperseded)}
	var chunk []*Member
	first := int64(-1)
	for k, seq := range seqs {
		if f := seq / membersPerChunk * membersPerChunk; f != first {
			first, chunk = f, chunk[:0]
			v := b.Get(u64(f))
			if v == nil {
				return fmt.Errorf("%w: member %d", ErrNotFound, seq)
			}
			// Decode only up to the last member wanted from this chunk.
			last := seq
			for _, s := range seqs[k+1:] {
				if s/membersPerChunk*membersPerChunk != f {
					break
				}
				last = max(last, s)
			}
			ms, err := appendChunk(nil, v, last-f)
			if err != nil {
				return err
			}
			for i := range ms {
				ms[i].Seq += f
				chunk = append(chunk, &ms[i])
			}
		}
		if i := seq - first; i < 0 || i >= int64(len(chunk)) {
			return fmt.Errorf("%w: member %d", ErrFormat, seq)
		} else {
			m := chunk[i]
			m.Superseded = sup.superseded(seq)
			if err := fn(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkpointAt returns the last checkpoint at or before the decompressed
// offset off, without its window.
func (a *Archive) checkpointAt(off int64) (gzseek.Checkpoint, error) {
	var cp gzseek.Checkpoint
	err := view(a.db, func(tx *bolt.Tx) error {
		var err error
		cp, err = checkpointBefore(tx, off, nil)
		return err
	})
	return cp, err
}

// CompressedRange returns the bytes [from, to) of the archive file that
// reading the tar stream from lo to hi touches: for gzip, from the
// checkpoint at or before lo to the first checkpoint at or past hi, plus
// what the inflater reads ahead; for a plain tar, the range itself padded
// to tar blocks and a read buffer. It never runs past the archive's end.
func (a *Archive) CompressedRange(lo, hi int64) (from, to int64, err error) {
	from, to, err = a.st.extent(lo, hi)
	return from, min(to, a.info.ArchiveSize), err
}

// Checkpoints returns, in order, the offsets of the tar stream at which
// OpenAt starts without reading ahead: the gzip checkpoints, or for a plain
// tar the start of every span of Info.Span bytes. The first is 0.
// Extraction gives each worker its own run from one of them.
func (a *Archive) Checkpoints() ([]int64, error) { return a.st.restarts() }

func checkpointBefore(tx *bolt.Tx, off int64, codec *gzseek.WindowCodec) (gzseek.Checkpoint, error) {
	c := tx.Bucket(bucketCheckpoints).Cursor()
	k, v := c.Seek(u64(off))
	switch {
	case k == nil:
		k, v = c.Last()
	case int64(binary.BigEndian.Uint64(k)) > off:
		k, v = c.Prev()
	}
	if k == nil {
		return gzseek.Checkpoint{}, fmt.Errorf("%w: no checkpoint before offset %d", ErrFormat, off)
	}
	return readCheckpoint(k, v, codec)
}

// ReadAhead returns how far ahead of a stream's position reading on
// costs less than opening the stream again at the offset: a span for
// gzip (a resume inflates up to one), a buffer's worth for a plain tar.
// MemberReader, RangeReader and the FS decide by it; pools of readers may
// too.
func (a *Archive) ReadAhead() int64 { return a.st.ahead() }

// OpenAt returns a reader of the tar stream from offset off: resumed at
// the nearest checkpoint before it for gzip, read at off itself for a
// plain tar.
func (a *Archive) OpenAt(off int64) (io.ReadCloser, error) {
	if off < 0 || off > a.info.UncompressedSize {
		return nil, fmt.Errorf("index: offset %d outside the archive's %d bytes", off, a.info.UncompressedSize)
	}
	return a.st.openAt(off)
}

// OpenMember returns the header of m as read from the archive and a
// reader of its contents that fails with ErrChecksum, instead of
// returning io.EOF, if the contents differ from what was indexed.
func (a *Archive) OpenMember(m *Member) (*tar.Header, io.ReadCloser, error) {
	mr := a.NewMemberReader()
	hdr, r, err := mr.Open(m)
	if err != nil {
		mr.Close()
		return nil, nil, err
	}
	return hdr, &closer{Reader: r, close: mr.Close}, nil
}

type closer struct {
	io.Reader
	close func() error
}

func (c *closer) Close() error { return c.close() }

// MemberReader reads members in archive order with one stream, opening
// it again (at a checkpoint, or at the offset of a plain tar) only when
// the next member is behind the stream or too far ahead of it.
type MemberReader struct {
	a   *Archive
	r   io.ReadCloser
	pos int64 // offset of the next byte r returns
}

// NewMemberReader returns a MemberReader. Close it when done.
func (a *Archive) NewMemberReader() *MemberReader { return &MemberReader{a: a} }

// Open positions the stream at m and returns its header and a checked
// reader of its contents, valid until the next call of Open or Close.
func (mr *MemberReader) Open(m *Member) (*tar.Header, io.Reader, error) {
	a := mr.a
	a.hint(m)
	if mr.r == nil || m.HeaderOffset < mr.pos || m.HeaderOffset-mr.pos > a.ReadAhead() {
		mr.Close()
		r, err := a.OpenAt(m.HeaderOffset)
		if err != nil {
			return nil, nil, err
		}
		mr.r, mr.pos = r, m.HeaderOffset
	}
	cr := &countReader{r: mr.r, n: &mr.pos}
	if _, err := io.CopyN(io.Discard, cr, m.HeaderOffset-mr.pos); err != nil {
		mr.Close()
		return nil, nil, fmt.Errorf("index: %s: %s: %w", a.info.Archive, m.Header.Name, err)
	}
	tr := tarfmt.NewReader(cr, tarfmt.Options{})
	e, err := tr.Next()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		mr.Close()
		return nil, nil, fmt.Errorf("index: %s: %s: %w", a.info.Archive, m.Header.Name, err)
	}
	hdr := &e.Header
	if hdr.Name != m.Header.Name || hdr.Size != m.Header.Size || hdr.Typeflag != m.Header.Typeflag {
		mr.Close()
		return nil, nil, fmt.Errorf("%w: %s: header at offset %d is %q", ErrChecksum, m.Header.Name, m.HeaderOffset, hdr.Name)
	}
	return hdr, m.Check(tr), nil
}

// Close releases the stream.
func (mr *MemberReader) Close() error {
	if mr.r != nil {
		mr.r.Close()
		mr.r = nil
	}
	return nil
}

// countReader counts bytes read into *n.
type countReader struct {
	r io.Reader
	n *int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}
