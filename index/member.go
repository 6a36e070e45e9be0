package index

import (
	"archive/tar"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Member is one tar entry as recorded in the index.
type Member struct {
	// Seq is the member's position in the archive, from 0. Global PAX
	// headers are not members.
	Seq int64
	// Header is the metadata as archive/tar read it, PAX records included.
	Header tar.Header
	// HeaderOffset is the offset in the decompressed stream of the member's
	// first header block (a PAX or GNU long-name header if it has one).
	HeaderOffset int64
	// DataOffset is the offset of the member's data, after all its headers.
	DataOffset int64
	// DataEnd is the offset just past its data as stored (before padding
	// to 512 bytes). For a sparse member the stored data is shorter than
	// Header.Size.
	DataEnd int64
	// Sparse is set for GNU or PAX sparse members.
	Sparse bool
	// CRC is the CRC-32 (IEEE) of the member's logical contents, holes
	// included as zeros.
	CRC uint32
	// Superseded reports that extraction replaces the member: a later
	// member has the same path (after internal/tarname's cleaning). It is
	// derived from the directory tree when members are read, not stored
	// in the member's record.
	Superseded bool
}

// Name returns the member's name as stored in the archive.
func (m *Member) Name() string { return m.Header.Name }

// Contiguous reports whether the member's contents are stored as one run
// of bytes from DataOffset, so that a part of it can be read by offset.
func (m *Member) Contiguous() bool {
	return !m.Sparse && m.DataEnd-m.DataOffset == m.Header.Size
}

// recordVersion is the first byte of an encoded member record.
const recordVersion = 1

// appendMember appends the binary form of m to b. Offsets are stored as
// deltas from the previous member's end, which keeps them to a few bytes.
func appendMember(b []byte, m *Member, prevEnd int64) []byte {
	h := &m.Header
	b = append(b, recordVersion, h.Typeflag, byte(h.Format))
	b = binary.AppendUvarint(b, uint64(m.HeaderOffset-prevEnd))
	b = binary.AppendUvarint(b, uint64(m.DataOffset-m.HeaderOffset))
	b = binary.AppendUvarint(b, uint64(m.DataEnd-m.DataOffset))
	b = binary.LittleEndian.AppendUint32(b, m.CRC)
	flags := byte(0)
	if m.Sparse {
		flags |= 1
	}
	b = append(b, flags)
	b = appendString(b, h.Name)
	b = appendString(b, h.Linkname)
	b = binary.AppendVarint(b, h.Size)
	b = binary.AppendVarint(b, h.Mode)
	b = binary.AppendVarint(b, int64(h.Uid))
	b = binary.AppendVarint(b, int64(h.Gid))
	b = appendString(b, h.Uname)
	b = appendString(b, h.Gname)
	b = appendTime(b, h.ModTime)
	b = appendTime(b, h.AccessTime)
	b = appendTime(b, h.ChangeTime)
	b = binary.AppendVarint(b, h.Devmajor)
	b = binary.AppendVarint(b, h.Devminor)
	b = binary.AppendUvarint(b, uint64(len(h.PAXRecords)))
	if len(h.PAXRecords) == 0 {
		return b // most members: sorting no keys still allocates
	}
	for _, k := range slices.Sorted(maps.Keys(h.PAXRecords)) {
		b = appendString(b, k)
		b = appendString(b, h.PAXRecords[k])
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendTime stores a time as a marker byte, seconds and nanoseconds; the
// zero time as the marker 0 alone.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// recordReader decodes records, remembering the first error.
type recordReader struct {
	b   []byte
	err error
}

func (r *recordReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: member record: bad %s", ErrFormat, what)
	}
	r.b = nil
}

func (r *recordReader) byte(what string) byte {
	if len(r.b) < 1 {
		r.fail(what)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *recordReader) uvarint(what string) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) varint(what string) int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// offset decodes a non-negative offset delta that must not overflow.
func (r *recordReader) offset(what string) int64 {
	v := r.uvarint(what)
	if v > 1<<62 {
		r.fail(what)
		return 0
	}
	return int64(v)
}

func (r *recordReader) string(what string) string {
	n := r.uvarint(what)
	if n > uint64(len(r.b)) {
		r.fail(what)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *recordReader) time(what string) time.Time {
	switch r.byte(what) {
	case 0:
		return time.Time{}
	case 1:
		sec := r.varint(what)
		nsec := r.uvarint(what)
		if nsec >= 1e9 {
			r.fail(what)
		}
		return time.Unix(sec, int64(nsec))
	}
	r.fail(what)
	return time.Time{}
}

// readMember decodes one member record written by appendMember.
func (r *recordReader) member(m *Member, prevEnd int64) error {
	*m = Member{}
	if v := r.byte("version"); v != recordVersion && r.err == nil {
		r.fail(fmt.Sprintf("record version %d", v))
	}
	h := &m.Header
	h.Typeflag = r.byte("type")
	h.Format = tar.Format(r.byte("format"))
	m.HeaderOffset = prevEnd + r.offset("header offset")
	m.DataOffset = m.HeaderOffset + r.offset("data offset")
	m.DataEnd = m.DataOffset + r.offset("data end")
	if len(r.b) < 4 {
		r.fail("checksum")
	} else {
		m.CRC = binary.LittleEndian.Uint32(r.b)
		r.b = r.b[4:]
	}
	m.Sparse = r.byte("flags")&1 != 0
	h.Name = r.string("name")
	h.Linkname = r.string("link name")
	h.Size = r.varint("size")
	h.Mode = r.varint("mode")
	h.Uid = int(r.varint("uid"))
	h.Gid = int(r.varint("gid"))
	h.Uname = r.string("user name")
	h.Gname = r.string("group name")
	h.ModTime = r.time("mtime")
	h.AccessTime = r.time("atime")
	h.ChangeTime = r.time("ctime")
	h.Devmajor = r.varint("device major")
	h.Devminor = r.varint("device minor")
	if n := r.uvarint("PAX record count"); n > 0 {
		if n > uint64(len(r.b)) {
			r.fail("PAX record count")
		} else {
			h.PAXRecords = make(map[string]string, n)
			for range n {
				k := r.string("PAX key")
				h.PAXRecords[k] = r.string("PAX value")
			}
		}
	}
	if r.err == nil && (h.Size < 0 || m.DataEnd < m.DataOffset) {
		r.fail("size")
	}
	return r.err
}
