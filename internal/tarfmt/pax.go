package tarfmt

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Limits on extended header records. GNU tar reads any size; we bound
// what we hold in memory, and say so instead of guessing.
const (
	// maxKeyword bounds a record's keyword.
	maxKeyword = 64 << 10
	// maxKnownValue bounds the value of a keyword we use (a path, a sparse
	// map); a longer one is an error.
	maxKnownValue = 16 << 20
	// maxKeptValue bounds the value of a keyword we do not use that is
	// still kept in Header.PAXRecords; longer ones are skipped unread.
	maxKeptValue = 64 << 10
)

// knownKeyword reports whether GNU tar 1.34 has a handler for keyword
// (its xhdr_tab); others it ignores with a warning.
func knownKeyword(k string) bool {
	switch k {
	case "atime", "comment", "charset", "ctime", "gid", "gname", "linkpath",
		"mtime", "path", "size", "uid", "uname",
		"GNU.sparse.name", "GNU.sparse.major", "GNU.sparse.minor", "GNU.sparse.realsize",
		"GNU.sparse.numblocks", "GNU.sparse.size", "GNU.sparse.offset", "GNU.sparse.numbytes",
		"GNU.sparse.map", "GNU.dumpdir", "GNU.volume.label", "GNU.volume.filename",
		"GNU.volume.size", "GNU.volume.offset", "SCHILY.devmajor", "SCHILY.devminor",
		"RHT.security.selinux", "SCHILY.acl.access", "SCHILY.acl.default":
		return true
	}
	return strings.HasPrefix(k, "SCHILY.xattr")
}

// usedKeyword reports whether the reader applies keyword k to a header;
// its value must then be read whole.
func usedKeyword(k string) bool {
	switch k {
	case "atime", "ctime", "gid", "gname", "linkpath", "mtime", "path", "size", "uid", "uname",
		"GNU.sparse.name", "GNU.sparse.major", "GNU.sparse.minor", "GNU.sparse.realsize",
		"GNU.sparse.size", "GNU.sparse.offset", "GNU.sparse.numbytes", "GNU.sparse.map",
		"SCHILY.devmajor", "SCHILY.devminor":
		return true
	}
	return false
}

// paxRecord is one record of an extended header.
type paxRecord struct{ key, value string }

// parsePAX reads the records of an extended header of size bytes from r,
// as GNU tar's decode_record does: a decimal length counting the whole
// record, blanks, keyword=value, a newline. A NUL where a record should
// start ends the header. Values of unknown keywords longer than
// maxKeptValue are skipped without being held in memory. unknown lists
// the keywords GNU tar does not know, in order.
func parsePAX(r io.Reader, size int64) (recs []paxRecord, unknown []string, err error) {
	defer func() {
		if err == io.ErrUnexpectedEOF {
			// The header ends (or the stream does) inside a record.
			err = fmt.Errorf("%w: malformed extended header: a record runs past the header's end", ErrHeader)
		}
	}()
	// Most extended headers are a few hundred bytes: size the buffer so.
	s := &byteScanner{br: bufio.NewReaderSize(io.LimitReader(r, size), int(min(max(size, 16), 64<<10)))}
	bad := func(what string) error {
		return fmt.Errorf("%w: malformed extended header: %s", ErrHeader, what)
	}
	for s.n < size {
		start := s.n
		c, err := s.byte()
		for err == nil && (c == ' ' || c == '\t') {
			c, err = s.byte()
		}
		if err != nil {
			return nil, nil, err
		}
		if c == 0 {
			break // GNU tar stops at a NUL
		}
		if c < '0' || c > '9' {
			return nil, nil, bad("missing length")
		}
		var n int64
		var digits []byte
		for ; err == nil && c >= '0' && c <= '9'; c, err = s.byte() {
			digits = append(digits, c)
			if n > (math.MaxInt64-9)/10 {
				return nil, nil, fmt.Errorf("%w: extended header length %s is out of range", ErrHeader, digits)
			}
			n = n*10 + int64(c-'0')
		}
		if err != nil {
			return nil, nil, err
		}
		end := start + n
		if n > size-start {
			return nil, nil, fmt.Errorf("%w: extended header length %s is out of range", ErrHeader, digits)
		}
		if c != ' ' && c != '\t' {
			return nil, nil, bad("missing blank after length")
		}
		for c == ' ' || c == '\t' {
			if s.n >= end {
				return nil, nil, bad("missing equal sign")
			}
			if c, err = s.byte(); err != nil {
				return nil, nil, err
			}
		}
		var kb strings.Builder
		for c != '=' {
			if c == 0 || s.n >= end || kb.Len() >= maxKeyword {
				return nil, nil, bad("missing equal sign")
			}
			kb.WriteByte(c)
			if c, err = s.byte(); err != nil {
				return nil, nil, err
			}
		}
		key := kb.String()
		vlen := end - s.n - 1 // the value, then the newline
		if vlen < 0 {
			return nil, nil, bad("missing newline")
		}
		used := usedKeyword(key)
		if used && vlen > maxKnownValue {
			return nil, nil, fmt.Errorf("%w: extended header %s of %d bytes is too long", ErrHeader, key, vlen)
		}
		keep := used || vlen <= maxKeptValue
		var value string
		if keep {
			b := make([]byte, vlen)
			if _, err := io.ReadFull(s.br, b); err != nil {
				return nil, nil, unexpected(err)
			}
			value = string(b)
		} else if _, err := s.br.Discard(int(vlen)); err != nil {
			return nil, nil, unexpected(err)
		}
		s.n += vlen
		if c, err = s.byte(); err != nil {
			return nil, nil, err
		}
		if c != '\n' {
			return nil, nil, bad("missing newline")
		}
		if !knownKeyword(key) {
			unknown = append(unknown, key)
		}
		if keep {
			recs = append(recs, paxRecord{key, value})
		}
	}
	return recs, unknown, nil
}

// byteScanner reads bytes one by one, counting them.
type byteScanner struct {
	br *bufio.Reader
	n  int64
}

func (s *byteScanner) byte() (byte, error) {
	c, err := s.br.ReadByte()
	if err != nil {
		return 0, unexpected(err)
	}
	s.n++
	return c, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// cString is a value as GNU tar's C code sees it: up to its first NUL.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// paxUint parses a decimal value as GNU tar's decode_num does.
func paxUint(key, v string, max int64) (int64, error) {
	if v == "" || v[0] < '0' || v[0] > '9' {
		return 0, fmt.Errorf("%w: malformed extended header: invalid %s=%s", ErrHeader, key, v)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil && !strings.Contains(err.Error(), "range") {
		return 0, fmt.Errorf("%w: malformed extended header: invalid %s=%s", ErrHeader, key, v)
	}
	if err != nil || n > uint64(max) {
		return 0, fmt.Errorf("%w: extended header %s=%s is out of range", ErrHeader, key, v)
	}
	return int64(n), nil
}

// paxTime parses a time value: [-]seconds[.fraction].
func paxTime(key, v string) (time.Time, error) {
	bad := fmt.Errorf("%w: malformed extended header: invalid %s=%s", ErrHeader, key, v)
	s, frac, dot := strings.Cut(v, ".")
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || strings.Trim(digits, "0123456789") != "" || (dot && (frac == "" || strings.Trim(frac, "0123456789") != "")) {
		return time.Time{}, bad
	}
	sec, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: extended header %s=%s is out of range", ErrHeader, key, v)
	}
	var nsec int64
	if len(frac) > 9 {
		frac = frac[:9]
	}
	if frac != "" {
		nsec, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(sec, nsec), nil
}
