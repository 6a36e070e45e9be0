package extract

import (
	"archive/tar"
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// blocks returns the bytes allocated to a file.
func blocks(t *testing.T, p string) int64 {
	t.Helper()
	var st unix.Stat_t
	must(t, unix.Stat(p, &st))
	return st.Blocks * 512
}

// TestHoles checks that runs of zeros become holes.
func TestHoles(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, dir, defaultOpts())
	const mib = 1 << 20
	data := make([]byte, 4*mib+100)
	copy(data, "head")
	copy(data[2*mib+5:], "middle") // not aligned
	// The file ends in zeros: only the truncation makes its size.
	must(t, w.WriteEntry(&tar.Header{Name: "sparse", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data)), ModTime: mt1}, bytes.NewReader(data)))

	f, err := w.CreateFile(&tar.Header{Name: "pieces", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data)), ModTime: mt1}, 2)
	must(t, err)
	half := len(data) / 2
	_, err = f.WriteAt(data[half:], int64(half))
	must(t, err)
	must(t, f.Done())
	_, err = f.WriteAt(data[:half], 0)
	must(t, err)
	must(t, f.Done())
	must(t, w.Close())

	for _, name := range []string{"sparse", "pieces"} {
		p := filepath.Join(dir, name)
		if got := readFile(t, p); got != string(data) {
			t.Errorf("%s: wrong contents", name)
		}
		if b := blocks(t, p); b >= 64<<10 {
			t.Errorf("%s: %d bytes allocated for %d bytes, want holes", name, b, len(data))
		}
	}
}

// TestFileTail checks the size of files whose last block is zeros (not
// written, so the file is truncated to its size) or not (no truncation
// needed), for sizes around the block size and data in various blocks.
func TestFileTail(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, dir, defaultOpts())
	type tc struct {
		name string
		data []byte
	}
	var cases []tc
	for _, size := range []int{1, 4095, 4096, 4097, 8192 + 5, bufSize + 3, 3*blockSize + 1} {
		zero := make([]byte, size)
		last := make([]byte, size)
		last[size-1] = 'z'
		first := make([]byte, size)
		first[0] = 'a'
		prev := make([]byte, size) // data in the block before the last only
		if size > blockSize {
			prev[(size-1)/blockSize*blockSize-1] = 'p'
		}
		for _, c := range []tc{{"zero", zero}, {"last", last}, {"first", first}, {"prev", prev}} {
			cases = append(cases, tc{fmt.Sprintf("%s-%d", c.name, size), c.data})
		}
	}
	for _, c := range cases {
		must(t, w.WriteEntry(&tar.Header{Name: c.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(c.data)), ModTime: mt1}, bytes.NewReader(c.data)))
	}
	must(t, w.Close())
	for _, c := range cases {
		if got := readFile(t, filepath.Join(dir, c.name)); got != string(c.data) {
			t.Errorf("%s: %d bytes, want %d", c.name, len(got), len(c.data))
		}
	}
}
