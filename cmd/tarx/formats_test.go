package main

import (
	"path/filepath"
	"testing"
)

// TestFormats_Named checks that an archive in a format tarx does not read
// gets one line naming the format, recognized by content whatever its
// name, from every command that opens it and from standard input.
func TestFormats_Named(t *testing.T) {
	const refused = "index: not a tar archive, plain or gzip-compressed: "
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{append([]byte("BZh91AY&SY"), make([]byte, 100)...), "it is bzip2-compressed data (decompress it first: bzip2 -dc ARCHIVE | tarx extract -)"},
		{append([]byte("\xfd7zXZ\x00\x00\x04"), make([]byte, 100)...), "it is xz-compressed data"},
		{append([]byte("\x28\xb5\x2f\xfd\x04\x58"), make([]byte, 100)...), "it is zstd-compressed data"},
		{append([]byte("PK\x03\x04"), make([]byte, 100)...), "it is a zip archive"},
		{[]byte("just some text, not an archive\n"), "no gzip magic and no valid tar header at the start"},
		{nil, "the file is empty"},
	} {
		a := writeArchive(t, "archive.tar.gz", tc.data)
		for _, args := range [][]string{{"ls", a}, {"extract", a, "-C", filepath.Join(t.TempDir(), "x")}, {"get", a, "a.txt", "-C", t.TempDir()}, {"info", a}} {
			checkOneLine(t, runTarx(t, args...), 1, a+": "+refused+tc.want)
		}
		checkOneLine(t, extractStdin(t, tc.data, t.TempDir()), 1, "-: "+refused+tc.want)
	}
}
