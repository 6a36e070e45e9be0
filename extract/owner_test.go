package extract

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutOfOrder writes duplicate members in the wrong order: the member with
// the highest sequence number must win.
func TestOutOfOrder(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, dir, defaultOpts())
	steps := []struct {
		seq int64
		e   ent
	}{
		{5, reg("f", 0o644, "five")},
		{3, reg("f", 0o600, "three")},
		{2, symlink("s", "target")},
		{1, reg("s", 0o644, "one")},
		{10, reg("x", 0o644, "ten")},
		{9, dirEnt("x/", 0o700, mt1)},
		{4, dirEnt("d/", 0o751, mt2)},
		{2, reg("d", 0o644, "two")},
		{7, reg("g", 0o644, "seven")},
		{6, symlink("g", "six")},
		{8, hardlink("h", "f")},
		{1, reg("h", 0o644, "one")},
	}
	for _, s := range steps {
		if err := writeEntSeq(w, s.seq, s.e); err != nil {
			t.Fatalf("seq %d %q: %v", s.seq, s.e.h.Name, err)
		}
	}
	must(t, w.Close())
	if got := readFile(t, filepath.Join(dir, "f")); got != "five" {
		t.Errorf("f = %q, want five", got)
	}
	if target, err := os.Readlink(filepath.Join(dir, "s")); err != nil || target != "target" {
		t.Errorf("s: %q, %v; want symlink to target", target, err)
	}
	if got := readFile(t, filepath.Join(dir, "x")); got != "ten" {
		t.Errorf("x = %q, want ten", got)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "d")); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o751 || !fi.ModTime().Equal(mt2) {
		t.Errorf("d: %v, %v; want directory 0751", fi, err)
	}
	if got := readFile(t, filepath.Join(dir, "g")); got != "seven" {
		t.Errorf("g = %q, want seven", got)
	}
	fi1, err1 := os.Stat(filepath.Join(dir, "f"))
	fi2, err2 := os.Stat(filepath.Join(dir, "h"))
	if err1 != nil || err2 != nil || !os.SameFile(fi1, fi2) {
		t.Errorf("h is not a hard link to f: %v %v", err1, err2)
	}
}

// TestOutOfOrderCreateFile mixes CreateFileSeq and WriteEntrySeq for one
// path.
func TestOutOfOrderCreateFile(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, dir, defaultOpts())
	hdr := func(size int) *tar.Header {
		return &tar.Header{Name: "c", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(size), ModTime: mt1}
	}

	// A lower number is being written in pieces when a higher one comes.
	low, err := w.CreateFileSeq(1, hdr(8), 2)
	must(t, err)
	if _, err := low.WriteAt([]byte("LOWLOW.."[:4]), 0); err != nil {
		t.Fatal(err)
	}
	must(t, w.WriteEntrySeq(7, hdr(4), strings.NewReader("high")))
	if !low.Skipped() {
		t.Error("the lower File is not skipped after a higher member came")
	}
	if _, err := low.WriteAt([]byte("LOW."), 4); err != nil {
		t.Errorf("WriteAt on a superseded File: %v", err)
	}
	must(t, low.Done())
	must(t, low.Done())

	// A higher number is being written when a lower one comes: skipped.
	high, err := w.CreateFileSeq(9, &tar.Header{Name: "e", Typeflag: tar.TypeReg, Mode: 0o600, Size: 4, ModTime: mt2}, 1)
	must(t, err)
	must(t, w.WriteEntrySeq(3, &tar.Header{Name: "e", Typeflag: tar.TypeReg, Size: 3}, strings.NewReader("low")))
	skipped, err := w.CreateFileSeq(4, &tar.Header{Name: "e", Typeflag: tar.TypeReg, Size: 3}, 1)
	must(t, err)
	if !skipped.Skipped() || high.Skipped() {
		t.Errorf("Skipped: lower %v, higher %v", skipped.Skipped(), high.Skipped())
	}
	if _, err := high.WriteAt([]byte("nine"), 0); err != nil {
		t.Fatal(err)
	}
	must(t, high.Done())
	must(t, skipped.Done())
	must(t, w.Close())

	if got := readFile(t, filepath.Join(dir, "c")); got != "high" {
		t.Errorf("c = %q, want high", got)
	}
	if got := readFile(t, filepath.Join(dir, "e")); got != "nine" {
		t.Errorf("e = %q, want nine", got)
	}
}
