package tarfmt

import (
	"fmt"
	"math"
)

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// parseNumber parses a numeric header field as GNU tar's from_header
// does: one leading NUL is skipped (old tars wrote it when the field
// before overflowed), then blanks; then octal digits, or GNU base-256
// (a first byte of 0x80 or 0xff). The digits end at a NUL, a blank or the
// field's end; any other byte is an error. A field with no digits is 0.
// octalOnly refuses base-256, as for the checksum. what names the field
// in errors.
func parseNumber(b []byte, octalOnly bool, what string) (int64, error) {
	i := 0
	if len(b) > 0 && b[0] == 0 {
		i++
	}
	for {
		if i == len(b) {
			return 0, fmt.Errorf("%w: blanks in header where numeric %s value expected", ErrHeader, what)
		}
		if !isSpace(b[i]) {
			break
		}
		i++
	}
	var v uint64
	switch c := b[i]; {
	case c >= '0' && c <= '7':
		for ; i < len(b) && b[i] >= '0' && b[i] <= '7'; i++ {
			if v > math.MaxInt64>>3 {
				return 0, fmt.Errorf("%w: octal %s value %q out of range", ErrHeader, what, b)
			}
			v = v<<3 | uint64(b[i]-'0')
		}
	case !octalOnly && (c == 0x80 || c == 0xff) && i+2 <= len(b):
		neg := c == 0xff
		if neg {
			v = math.MaxUint64 // two's complement: leading bits on
		}
		for i++; i < len(b); i++ {
			if !neg && v > math.MaxInt64>>8 || neg && v < 0xff<<56 {
				return 0, fmt.Errorf("%w: base-256 %s value out of range", ErrHeader, what)
			}
			v = v<<8 | uint64(b[i])
		}
		if neg {
			return int64(v), nil
		}
	}
	if i != len(b) && b[i] != 0 && !isSpace(b[i]) {
		return 0, fmt.Errorf("%w: archive contains %q where numeric %s value expected", ErrHeader, b, what)
	}
	if v > math.MaxInt64 {
		return 0, fmt.Errorf("%w: %s value out of range", ErrHeader, what)
	}
	return int64(v), nil
}

// parseString returns the bytes of a field up to its first NUL.
func parseString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
