package gzseek

import "errors"

var (
	// ErrHeader means a gzip member header is malformed.
	ErrHeader = errors.New("gzseek: invalid gzip header")
	// ErrChecksum means a member's CRC-32 or ISIZE does not match its data.
	ErrChecksum = errors.New("gzseek: gzip checksum mismatch")
	// ErrTrailingData means bytes other than zero padding follow the last member.
	ErrTrailingData = errors.New("gzseek: trailing garbage after gzip data")
	// ErrTruncated means the file ends inside a gzip member.
	ErrTruncated = errors.New("gzseek: unexpected end of gzip data")
	// ErrCorrupt means the deflate data cannot be decoded.
	ErrCorrupt = errors.New("gzseek: corrupt deflate data")
	// ErrCheckpoint means a checkpoint is inconsistent or does not fit the file.
	ErrCheckpoint = errors.New("gzseek: invalid checkpoint")
)
