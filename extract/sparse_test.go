package extract

import (
	"archive/tar"
	"bytes"
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
