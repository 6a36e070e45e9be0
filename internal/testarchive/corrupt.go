package testarchive

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// WriteArchive writes gz as a.tar.gz in a new temporary directory and
// returns its path.
func WriteArchive(tb testing.TB, gz []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "a.tar.gz")
	if err := os.WriteFile(p, gz, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// CorruptibleEntries returns three members of incompressible data,
// "head" (100 KiB), "middle" (400 KiB) and "tail" (100 KiB). Compressed
// as BGZF they are stored blocks, so Corrupt can change a byte of
// "middle" behind an index's back.
func CorruptibleEntries() []Entry {
	return []Entry{
		{Header: tar.Header{Typeflag: tar.TypeReg, Name: "head", Mode: 0o644}, Data: Incompressible(6, 100<<10)},
		{Header: tar.Header{Typeflag: tar.TypeReg, Name: "middle", Mode: 0o644}, Data: Incompressible(5, 400<<10)},
		{Header: tar.Header{Typeflag: tar.TypeReg, Name: "tail", Mode: 0o644}, Data: Incompressible(7, 100<<10)},
	}
}

// Corrupt flips the byte at offset off of tarBytes (the tar stream of
// CorruptibleEntries) and rewrites the archive at p as BGZF of it,
// keeping the file's size, mtime and first and last 64 KiB, so that an
// index of p still takes it for the archive it indexed.
func Corrupt(tb testing.TB, p string, tarBytes []byte, off int64) {
	tb.Helper()
	st, err := os.Stat(p)
	if err != nil {
		tb.Fatal(err)
	}
	old, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	tarBytes[off] ^= 0xff
	bad := Gzip(tb, tarBytes, BGZF)
	const keep = 64 << 10
	if len(bad) != len(old) || !bytes.Equal(bad[:keep], old[:keep]) || !bytes.Equal(bad[len(bad)-keep:], old[len(old)-keep:]) {
		tb.Fatal("testarchive.Corrupt: the changed archive does not keep its size, head and tail")
	}
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
		tb.Fatal(err)
	}
}
