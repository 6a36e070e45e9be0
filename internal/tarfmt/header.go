package tarfmt

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"time"
)

// blockSize is the size of a tar block.
const blockSize = 512

// Offsets of the fields of a tar header block.
const (
	offName      = 0
	offMode      = 100
	offUID       = 108
	offGID       = 116
	offSize      = 124
	offMtime     = 136
	offChksum    = 148
	offType      = 156
	offLinkname  = 157
	offMagic     = 257
	offUname     = 265
	offGname     = 297
	offDevmajor  = 329
	offDevminor  = 337
	offPrefix    = 345 // USTAR; GNU puts atime and ctime here
	offGNUAtime  = 345
	offGNUCtime  = 357
	offGNUSparse = 386 // 4 entries of offset and size, 12 bytes each
	offGNUIsExt  = 482
	offGNUReal   = 483
	offStarAtime = 476
	offStarCtime = 488
)

var (
	magicUSTAR = []byte("ustar\x00")   // POSIX; the version is not checked
	magicGNU   = []byte("ustar  \x00") // old GNU, magic and version together
)

type block [blockSize]byte

func (b *block) field(off, n int) []byte { return b[off : off+n] }

func (b *block) isZero() bool { return *b == block{} }

// checksum verifies the header checksum as GNU tar does: the recorded
// value may be the unsigned or the signed sum of the bytes, with the
// checksum field counted as blanks.
func (b *block) checksum() error {
	unsigned, signed := b.sums()
	rec, err := parseNumber(b.field(offChksum, 8), true, "checksum")
	if err != nil || (rec != unsigned && rec != signed) {
		return fmt.Errorf("%w: checksum mismatch", ErrHeader)
	}
	return nil
}

// sums returns the unsigned and the signed sum of the bytes of b, with the
// checksum field counted as blanks. It adds eight bytes at a time in 16-bit
// lanes (64 words add at most 32640 to a lane) and counts the bytes with
// the high bit set, each 256 less in the signed sum: a header is checked
// for every member, and a loop over bytes was a tenth of an index build
// on archives of small files.
func (b *block) sums() (unsigned, signed int64) {
	const lo = 0x00ff00ff00ff00ff
	var lanes uint64
	high := 0
	for i := 0; i < blockSize; i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		lanes += x&lo + x>>8&lo
		high += bits.OnesCount64(x & 0x8080808080808080)
	}
	unsigned = int64(lanes&0xffff + lanes>>16&0xffff + lanes>>32&0xffff + lanes>>48)
	for _, c := range b.field(offChksum, 8) {
		unsigned += ' ' - int64(c)
		if c >= 0x80 {
			high--
		}
	}
	return unsigned, unsigned - 256*int64(high)
}

// format tells the dialect of a header from its magic.
func (b *block) format() tar.Format {
	m := b.field(offMagic, 8)
	switch {
	case bytes.Equal(m, magicGNU):
		return tar.FormatGNU
	case bytes.Equal(m[:6], magicUSTAR):
		return tar.FormatUSTAR
	}
	return tar.FormatUnknown // V7
}

// isStar reports whether a USTAR header is star's, with atime and ctime
// after a shorter prefix (GNU tar's test).
func (b *block) isStar() bool {
	oct := func(c byte) bool { return c >= '0' && c <= '7' }
	return b[offPrefix+130] == 0 && oct(b[offStarAtime]) && b[offStarAtime+11] == ' ' &&
		oct(b[offStarCtime]) && b[offStarCtime+11] == ' '
}

// number parses the numeric field at off.
func (b *block) number(off, n int, what string) (int64, error) {
	return parseNumber(b.field(off, n), false, what)
}

// decode fills h from the header block, as GNU tar's decode_header does.
func (b *block) decode(h *tar.Header) error {
	h.Typeflag = b[offType]
	f := b.format()
	h.Format = f
	var err error
	num := func(off, n int, what string) int64 {
		v, e := b.number(off, n, what)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	name := parseString(b.field(offName, 100))
	if f == tar.FormatUSTAR {
		if p := parseString(b.field(offPrefix, 155)); p != "" {
			name = p + "/" + name
		}
	}
	h.Name = name
	h.Linkname = parseString(b.field(offLinkname, 100))
	h.Mode = num(offMode, 8, "mode")
	h.Uid = int(num(offUID, 8, "uid"))
	h.Gid = int(num(offGID, 8, "gid"))
	h.ModTime = time.Unix(num(offMtime, 12, "mtime"), 0)
	if f == tar.FormatUnknown { // V7: no user or group names
		return err
	}
	h.Uname = parseString(b.field(offUname, 32))
	h.Gname = parseString(b.field(offGname, 32))
	if h.Typeflag == tar.TypeChar || h.Typeflag == tar.TypeBlock {
		h.Devmajor = num(offDevmajor, 8, "devmajor")
		h.Devminor = num(offDevminor, 8, "devminor")
	}
	// Access and change times are informational: a bad one is ignored.
	optTime := func(off int) time.Time {
		if v, e := b.number(off, 12, "time"); e == nil && v != 0 {
			return time.Unix(v, 0)
		}
		return time.Time{}
	}
	switch {
	case f == tar.FormatGNU:
		h.AccessTime, h.ChangeTime = optTime(offGNUAtime), optTime(offGNUCtime)
	case b.isStar():
		h.AccessTime, h.ChangeTime = optTime(offStarAtime), optTime(offStarCtime)
	}
	return err
}

// IsHeader reports whether b starts with a block that GNU tar takes for
// the start of a tar stream: a header whose checksum is right, or a zero
// block (an empty archive). It is how a plain tar file is told from other
// data by content.
func IsHeader(b []byte) bool {
	if len(b) < blockSize {
		return false
	}
	blk := (*block)(b[:blockSize])
	return blk.isZero() || blk.checksum() == nil
}
