package index

import "errors"

var (
	// ErrNotFound means no member has the name asked for.
	ErrNotFound = errors.New("index: not found in archive")
	// ErrStale means the index describes another archive, or another
	// version of this one, and rebuilding it was not allowed.
	ErrStale = errors.New("index: index does not match the archive")
	// ErrNoIndex means Open was told not to build a missing index.
	ErrNoIndex = errors.New("index: no usable index")
	// ErrFormat means the index file is damaged or of another format version.
	ErrFormat = errors.New("index: malformed index")
	// ErrChecksum means a member's data does not match the checksum
	// recorded when the archive was indexed.
	ErrChecksum = errors.New("index: member checksum mismatch")
	// ErrTar means the tar stream (plain, or inside the gzip data) is
	// malformed.
	ErrTar = errors.New("index: malformed tar data")
	// ErrArchiveFormat means the archive is neither a tar stream nor
	// gzip-compressed data, the formats tarx reads.
	ErrArchiveFormat = errors.New("index: not a tar archive, plain or gzip-compressed")
)
