package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/testarchive"
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

// TestPlain_Damaged checks that a damaged plain tar gives one line naming
// the archive and the damage, from every command and from standard input,
// and that info and verify describe a sound one as plain.
func TestPlain_Damaged(t *testing.T) {
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 5, SmallFiles: 20})
	plain := testarchive.Tar(t, entries, tar.FormatPAX)
	badHeader := bytes.Clone(plain)
	copy(badHeader[3*512:4*512], bytes.Repeat([]byte{'x'}, 512))
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"bad-header", badHeader, "index: malformed tar data: entry at offset 1536: "},
		{"truncated", plain[:len(plain)/2+100], "index: malformed tar data: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := writeArchive(t, "archive.tar", tc.data)
			for _, args := range [][]string{{"ls", a}, {"extract", a, "-C", t.TempDir()}, {"get", a, "nothing", "-C", t.TempDir()}, {"info", a}, {"verify", a}} {
				checkOneLine(t, runTarx(t, args...), 1, a+": "+tc.want)
			}
			checkOneLine(t, extractStdin(t, tc.data, t.TempDir()), 1, "-: "+tc.want)
		})
	}

	a := writeArchive(t, "archive.tar", plain)
	r := mustRun(t, "info", "--json", a)
	var info index.Info
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || info.Compression != index.None ||
		info.Checkpoints != 0 || info.UncompressedSize != int64(len(plain)) || info.Members != int64(len(entries)) {
		t.Errorf("info --json: %v, %s", err, r.stdout)
	}
	r = mustRun(t, "verify", "--json", a)
	if !strings.Contains(r.stdout, `"ok":true,"compression":"none"`) {
		t.Errorf("verify --json: %s", r.stdout)
	}
}
