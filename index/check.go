package index

import (
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/tarx-dev/tarx/internal/crc"
)

// This file is the one owner of "prove a member's bytes": every path that
// hands out member contents (get, cat, extract, the FS, the mount) reads
// them through Check or verifies pieces with CheckPieces, so a corrupt
// member fails the same way, with the same message, everywhere.

// A ReadError is a failure of the archive's data (gzip or tar) while a
// member's contents were read. Err is the underlying error, for example
// one of gzseek's sentinels.
type ReadError struct {
	Member string
	Err    error
}

// Error returns "index: MEMBER: ERR".
func (e *ReadError) Error() string { return "index: " + e.Member + ": " + e.Err.Error() }

// Unwrap returns e.Err.
func (e *ReadError) Unwrap() error { return e.Err }

// Check returns a reader of m's contents that passes through r, which
// must read them from their first byte, and proves them against the index
// as the last byte is read: if they differ from the CRC-32 recorded at
// build time, or end before Header.Size bytes, the read that delivers the
// last byte (or meets the early end) fails with an error wrapping
// ErrChecksum. It also fails, rather than returning io.EOF, once
// Header.Size bytes have been read and r still has more. Other errors of
// r are returned as a *ReadError naming the member.
//
// The check happens on the read that reaches Header.Size, even if the
// caller never reads on to io.EOF.
func (m *Member) Check(r io.Reader) io.Reader {
	return &checkedReader{r: r, m: m, h: crc32.NewIEEE(), left: m.Header.Size}
}

// CheckPieces verifies the contents of m written in consecutive pieces,
// given each piece's CRC-32 and length: the error wraps ErrChecksum if
// the lengths do not add up to Header.Size or the combined CRC-32 differs
// from the index.
func (m *Member) CheckPieces(sums []uint32, lens []int64) error {
	if len(sums) != len(lens) || len(sums) == 0 {
		return fmt.Errorf("%w: %s: %d pieces with %d lengths", ErrChecksum, m.Header.Name, len(sums), len(lens))
	}
	all, n := sums[0], lens[0]
	for i := 1; i < len(sums); i++ {
		all = crc.Combine(all, sums[i], lens[i])
		n += lens[i]
	}
	if n != m.Header.Size {
		return shortErr(m, n)
	}
	return m.checkSum(all)
}

func (m *Member) checkSum(sum uint32) error {
	if sum != m.CRC {
		return fmt.Errorf("%w: %s: CRC-32 %08x, index has %08x", ErrChecksum, m.Header.Name, sum, m.CRC)
	}
	return nil
}

func shortErr(m *Member, got int64) error {
	return fmt.Errorf("%w: %s: %d of %d bytes", ErrChecksum, m.Header.Name, got, m.Header.Size)
}

// checkedReader is the reader Check returns.
type checkedReader struct {
	r    io.Reader
	m    *Member
	h    hash.Hash32
	left int64 // bytes still expected
	done bool  // the check ran and passed
}

func (c *checkedReader) Read(p []byte) (int, error) {
	if c.done {
		// Proven: anything more than Header.Size bytes is an error.
		var one [1]byte
		if n, _ := io.ReadFull(c.r, one[:]); n > 0 {
			return 0, fmt.Errorf("%w: %s: more than %d bytes", ErrChecksum, c.m.Header.Name, c.m.Header.Size)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.left -= int64(n)
	switch {
	case c.left == 0:
		if err := c.m.checkSum(c.h.Sum32()); err != nil {
			return n, err
		}
		c.done = true
		if n == 0 {
			return c.Read(p)
		}
		return n, nil
	case err == io.EOF:
		return n, shortErr(c.m, c.m.Header.Size-c.left)
	case err != nil:
		return n, &ReadError{Member: c.m.Header.Name, Err: err}
	}
	return n, nil
}
