package gzseek

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// Gzip header flag bits (RFC 1952, section 2.3.1).
const (
	flagText    = 1 << 0
	flagHdrCRC  = 1 << 1
	flagExtra   = 1 << 2
	flagName    = 1 << 3
	flagComment = 1 << 4
	flagUnknown = 0xe0
)

// maxHeaderString bounds FNAME and FCOMMENT so that a hostile header cannot
// make the parser hold an unbounded amount of memory.
const maxHeaderString = 1 << 20

// Header is the metadata in a gzip member header.
type Header struct {
	Text    bool      // FTEXT: the data is probably text
	Name    string    // FNAME: the original file name, if any
	Comment string    // FCOMMENT
	Extra   []byte    // FEXTRA: the raw extra field, if any
	ModTime time.Time // MTIME, zero if unset
	OS      byte      // the operating system byte
}

// ParseHeader parses the gzip member header at the start of b and returns
// it with the number of bytes it occupies.
func ParseHeader(b []byte) (Header, int, error) {
	br := bufio.NewReader(bytes.NewReader(b))
	h, n, err := readHeader(br)
	return h, int(n), err
}

// readHeader reads one gzip member header from br, consuming exactly its
// bytes. At a clean end of input it returns io.EOF.
func readHeader(br *bufio.Reader) (Header, int64, error) {
	var h Header
	var fixed [10]byte
	if n, err := io.ReadFull(br, fixed[:]); err != nil {
		if n == 0 && err == io.EOF {
			return h, 0, io.EOF
		}
		return h, int64(n), fmt.Errorf("%w: header cut short", ErrTruncated)
	}
	if fixed[0] != 0x1f || fixed[1] != 0x8b {
		return h, 10, fmt.Errorf("%w: not gzip data (magic %02x %02x)", ErrHeader, fixed[0], fixed[1])
	}
	if fixed[2] != 8 {
		return h, 10, fmt.Errorf("%w: unknown compression method %d", ErrHeader, fixed[2])
	}
	flg := fixed[3]
	if flg&flagUnknown != 0 {
		return h, 10, fmt.Errorf("%w: reserved flag bits set (%#02x)", ErrHeader, flg)
	}
	h.Text = flg&flagText != 0
	if t := binary.LittleEndian.Uint32(fixed[4:8]); t > 0 {
		h.ModTime = time.Unix(int64(t), 0)
	}
	h.OS = fixed[9]
	crc := crc32.Update(0, crc32.IEEETable, fixed[:])
	n := int64(10)

	if flg&flagExtra != 0 {
		var xlen [2]byte
		if _, err := io.ReadFull(br, xlen[:]); err != nil {
			return h, n, fmt.Errorf("%w: header cut short", ErrTruncated)
		}
		crc = crc32.Update(crc, crc32.IEEETable, xlen[:])
		n += 2
		h.Extra = make([]byte, binary.LittleEndian.Uint16(xlen[:]))
		if _, err := io.ReadFull(br, h.Extra); err != nil {
			return h, n, fmt.Errorf("%w: header cut short", ErrTruncated)
		}
		crc = crc32.Update(crc, crc32.IEEETable, h.Extra)
		n += int64(len(h.Extra))
	}
	for _, f := range []struct {
		bit byte
		dst *string
	}{{flagName, &h.Name}, {flagComment, &h.Comment}} {
		if flg&f.bit == 0 {
			continue
		}
		s, err := readCString(br)
		if err != nil {
			return h, n, err
		}
		crc = crc32.Update(crc, crc32.IEEETable, s)
		n += int64(len(s))
		*f.dst = string(s[:len(s)-1])
	}
	if flg&flagHdrCRC != 0 {
		var sum [2]byte
		if _, err := io.ReadFull(br, sum[:]); err != nil {
			return h, n, fmt.Errorf("%w: header cut short", ErrTruncated)
		}
		n += 2
		if binary.LittleEndian.Uint16(sum[:]) != uint16(crc) {
			return h, n, fmt.Errorf("%w: header CRC16 mismatch", ErrHeader)
		}
	}
	return h, n, nil
}

// readCString reads a zero-terminated string, terminator included.
func readCString(br *bufio.Reader) ([]byte, error) {
	var s []byte
	for {
		chunk, err := br.ReadSlice(0)
		s = append(s, chunk...)
		if len(s) > maxHeaderString {
			return nil, fmt.Errorf("%w: name or comment longer than %d bytes", ErrHeader, maxHeaderString)
		}
		switch {
		case err == nil:
			return s, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%w: header cut short", ErrTruncated)
		default:
			return nil, err
		}
	}
}
