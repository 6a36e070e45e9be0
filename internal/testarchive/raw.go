package testarchive

// Tar streams written byte by byte, for the cases where archive/tar
// cannot write what GNU tar reads (unknown type flags, Solaris extended
// headers, NUL-padded numbers, lone zero blocks, sparse maps shorter than
// their data, huge PAX records).

import (
	"bytes"
	"fmt"
	"strconv"
)

// Magic values of RawHeader.Magic.
const (
	MagicUSTAR = "ustar\x0000" // POSIX magic and version "00"
	MagicGNU   = "ustar  \x00" // old GNU magic and version
	MagicV7    = ""            // no magic
)

// RawHeader describes one 512-byte header block field by field. Numeric
// fields are written as GNU tar writes them (octal, NUL-terminated)
// unless the raw field is given.
type RawHeader struct {
	Name     string
	Mode     int64
	UID, GID int64
	Size     int64
	Mtime    int64
	Type     byte
	Linkname string
	Magic    string // MagicUSTAR if empty and V7 is false
	V7       bool   // no magic, user or group names
	Uname    string
	Gname    string
	Devmajor int64
	Devminor int64
	Prefix   string
	// SizeField, if set, is written as the size field's 12 bytes instead
	// of Size.
	SizeField []byte
	// Patch writes raw bytes at offsets of the block (after the fields,
	// before the checksum): for GNU sparse entries and the like.
	Patch map[int][]byte
	// BadChecksum stores a checksum that does not match.
	BadChecksum bool
}

// Block returns the header block of h.
func (h RawHeader) Block() []byte {
	b := make([]byte, 512)
	put := func(off, n int, s string) {
		if len(s) > n {
			panic(fmt.Sprintf("testarchive: field at %d: %q longer than %d", off, s, n))
		}
		copy(b[off:off+n], s)
	}
	oct := func(off, n int, v int64) { put(off, n, fmt.Sprintf("%0*o\x00", n-1, v)) }
	put(0, 100, h.Name)
	oct(100, 8, h.Mode)
	oct(108, 8, h.UID)
	oct(116, 8, h.GID)
	if h.SizeField != nil {
		put(124, 12, string(h.SizeField))
	} else {
		oct(124, 12, h.Size)
	}
	oct(136, 12, h.Mtime)
	b[156] = h.Type
	put(157, 100, h.Linkname)
	if !h.V7 {
		magic := h.Magic
		if magic == "" {
			magic = MagicUSTAR
		}
		put(257, 8, magic)
		put(265, 32, h.Uname)
		put(297, 32, h.Gname)
		oct(329, 8, h.Devmajor)
		oct(337, 8, h.Devminor)
		put(345, 155, h.Prefix)
	}
	for off, v := range h.Patch {
		copy(b[off:], v)
	}
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	if h.BadChecksum {
		sum++
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// RawTar builds a tar stream block by block.
type RawTar struct{ buf bytes.Buffer }

// Header appends a header block.
func (t *RawTar) Header(h RawHeader) *RawTar {
	t.buf.Write(h.Block())
	return t
}

// Data appends data padded with NULs to a whole block.
func (t *RawTar) Data(b []byte) *RawTar {
	t.buf.Write(b)
	t.buf.Write(make([]byte, -len(b)&511))
	return t
}

// Raw appends bytes as they are.
func (t *RawTar) Raw(b []byte) *RawTar {
	t.buf.Write(b)
	return t
}

// File appends a header of type typ (with the usual owner, mode and
// mtime of RawFile) and its data.
func (t *RawTar) File(name string, typ byte, data []byte) *RawTar {
	h := RawFile(name, typ, int64(len(data)))
	return t.Header(h).Data(data)
}

// PAX appends an extended header of type typ ('x', 'X' or 'g') holding
// the records.
func (t *RawTar) PAX(typ byte, name string, records []byte) *RawTar {
	return t.File(name, typ, records)
}

// End appends the end-of-archive marker, two zero blocks.
func (t *RawTar) End() *RawTar {
	t.buf.Write(make([]byte, 1024))
	return t
}

// Bytes returns the stream.
func (t *RawTar) Bytes() []byte { return bytes.Clone(t.buf.Bytes()) }

// RawFile returns the header of a member as GNU tar would write it for a
// file owned by user/group 1000, mode 0644, mtime 2023-11-14.
func RawFile(name string, typ byte, size int64) RawHeader {
	return RawHeader{Name: name, Mode: 0o644, UID: 1000, GID: 1000, Size: size, Mtime: 1700000000,
		Type: typ, Uname: "user", Gname: "group"}
}

// PAXRecords encodes key=value records of an extended header, each with
// its length prefix.
func PAXRecords(kv ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		rec := " " + kv[i] + "=" + kv[i+1] + "\n"
		n := len(rec) + 1
		for len(strconv.Itoa(n))+len(rec) != n {
			n++
		}
		b = append(b, strconv.Itoa(n)+rec...)
	}
	return b
}

// GNUSparseHeader returns the header of an old GNU sparse member ('S')
// with up to four map entries (offset, size pairs) in the header, the
// file's real size, and stored bytes of data.
func GNUSparseHeader(name string, entries [][2]int64, realSize, stored int64) RawHeader {
	h := RawFile(name, 'S', stored)
	h.Magic = MagicGNU
	h.Patch = map[int][]byte{}
	for i, e := range entries {
		h.Patch[386+24*i] = fmt.Appendf(nil, "%011o\x00", e[0])
		h.Patch[386+24*i+12] = fmt.Appendf(nil, "%011o\x00", e[1])
	}
	h.Patch[483] = fmt.Appendf(nil, "%011o\x00", realSize)
	return h
}
