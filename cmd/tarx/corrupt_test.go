package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestCorruptMember_OneMessage sends one corrupt member through every path
// that hands out member bytes (cat, get -O, get -C, extract, and the
// library's FS) and wants the same sentinel and the same message from
// each. The archive is changed behind the index's back, keeping its size,
// mtime and first and last 64 KiB, so the index is not stale.
func TestCorruptMember_OneMessage(t *testing.T) {
	entries := []testarchive.Entry{
		{Header: tar.Header{Typeflag: tar.TypeReg, Name: "head", Mode: 0o644}, Data: testarchive.Incompressible(6, 100<<10)},
		{Header: tar.Header{Typeflag: tar.TypeReg, Name: "middle", Mode: 0o644}, Data: testarchive.Incompressible(5, 400<<10)},
		{Header: tar.Header{Typeflag: tar.TypeReg, Name: "tail", Mode: 0o644}, Data: testarchive.Incompressible(7, 100<<10)},
	}
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	gz := testarchive.Gzip(t, tarBytes, testarchive.BGZF)
	dir := t.TempDir()
	p := filepath.Join(dir, "a.tar.gz")
	if err := os.WriteFile(p, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	// A span shorter than "middle", so that extract writes it in pieces.
	mustRun(t, "index", p, "--span", "64K")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	a, err := index.Open(context.Background(), p, index.Options{NoBuild: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	m, err := a.Lookup("middle")
	if err != nil {
		t.Fatal(err)
	}
	// Stored BGZF blocks: one byte changed keeps the file's size.
	tarBytes[m.DataOffset+200<<10] ^= 0xff
	bad := testarchive.Gzip(t, tarBytes, testarchive.BGZF)
	if len(bad) != len(gz) || !bytes.Equal(bad[:64<<10], gz[:64<<10]) || !bytes.Equal(bad[len(bad)-64<<10:], gz[len(gz)-64<<10:]) {
		t.Fatal("the changed archive does not keep its size, head and tail")
	}
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}

	// The library's FS.
	fsys, err := a.FS()
	if err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Open("middle")
	if err != nil {
		t.Fatal(err)
	}
	_, fsErr := io.ReadAll(f)
	f.Close()
	if !errors.Is(fsErr, index.ErrChecksum) {
		t.Fatalf("FS read: %v, want index.ErrChecksum", fsErr)
	}
	want := "tarx: " + p + ": " + fsErr.Error()

	for _, args := range [][]string{
		{"cat", p, "middle"},
		{"get", p, "middle", "-O"},
		{"get", p, "middle", "-C", filepath.Join(dir, "get")},
		{"extract", p, "-C", filepath.Join(dir, "extract")},
	} {
		r := runTarx(t, args...)
		if r.code != 1 || r.stderr != want+"\n" {
			t.Errorf("%v\nwant exit 1 and stderr %q", r, want+"\n")
		}
	}
	for _, sub := range []string{"get", "extract"} {
		if _, err := os.Lstat(filepath.Join(dir, sub, "middle")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left the corrupt member behind: %v", sub, err)
		}
	}
}
