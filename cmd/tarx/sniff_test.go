package main

import (
	"archive/tar"
	"path/filepath"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestFormats_Named checks that an archive in a format tarx does not read
// gets one line naming the format, recognized by content whatever its
// name, from every command that opens it.
func TestFormats_Named(t *testing.T) {
	plain := testarchive.Tar(t, []testarchive.Entry{regEntry("a.txt", "hello\n")}, tar.FormatPAX)
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{append([]byte("BZh91AY&SY"), make([]byte, 100)...), "bzip2-compressed data"},
		{append([]byte("\xfd7zXZ\x00\x00\x04"), make([]byte, 100)...), "xz-compressed data"},
		{append([]byte("\x28\xb5\x2f\xfd\x04\x58"), make([]byte, 100)...), "zstd-compressed data"},
		{plain, "a plain tar archive (not compressed)"},
	} {
		a := writeArchive(t, "archive.tar.gz", tc.data)
		for _, args := range [][]string{{"ls", a}, {"extract", a, "-C", filepath.Join(t.TempDir(), "x")}, {"get", a, "a.txt", "-C", t.TempDir()}, {"info", a}} {
			checkOneLine(t, runTarx(t, args...), 1, a+": "+tc.want+": ")
		}
	}
}
