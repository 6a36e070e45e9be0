package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tarx-dev/tarx/gzseek"
)

// formats are the archive formats tarx recognizes but does not read, by
// their first bytes.
var formats = []struct {
	name   string
	off    int
	magic  []byte
	reason string
}{
	{"bzip2-compressed data", 0, []byte("BZh"), "tarx reads gzip-compressed tar archives only"},
	{"xz-compressed data", 0, []byte("\xfd7zXZ\x00"), "tarx reads gzip-compressed tar archives only"},
	{"zstd-compressed data", 0, []byte("\x28\xb5\x2f\xfd"), "tarx reads gzip-compressed tar archives only"},
	{"lzip-compressed data", 0, []byte("LZIP"), "tarx reads gzip-compressed tar archives only"},
	{"a plain tar archive (not compressed)", 257, []byte("ustar"), "tarx reads gzip-compressed tar archives only; compress it with gzip or pigz"},
}

// errFormat is an archive in a format tarx does not read.
type errFormat struct{ format, reason string }

func (e *errFormat) Error() string { return fmt.Sprintf("%s: %s", e.format, e.reason) }

// nameFormat returns, for an error about an archive that is not gzip
// data, an error naming what the archive is instead, if tarx knows; else
// err itself.
func nameFormat(archive string, err error) error {
	if !errors.Is(err, gzseek.ErrHeader) || archive == "-" {
		return err
	}
	f, oerr := os.Open(archive)
	if oerr != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	for _, fm := range formats {
		if len(head) >= fm.off+len(fm.magic) && bytes.Equal(head[fm.off:fm.off+len(fm.magic)], fm.magic) {
			return &errFormat{fm.name, fm.reason}
		}
	}
	return err
}
