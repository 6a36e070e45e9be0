package index_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// writeArchive writes entries as a gzip-compressed tar into dir and
// returns its path.
func writeArchive(tb testing.TB, dir string, entries []testarchive.Entry, style testarchive.Style) string {
	tb.Helper()
	p := filepath.Join(dir, "a.tar.gz")
	z := testarchive.Gzip(tb, testarchive.Tar(tb, entries, tar.FormatPAX), style)
	if err := os.WriteFile(p, z, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestFS(t *testing.T) {
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 3, SmallFiles: 60, BigFiles: 2, BigSize: 600 << 10})
	p := writeArchive(t, t.TempDir(), entries, testarchive.GoLevel6)
	a, err := index.Open(context.Background(), p, index.Options{BuildOptions: index.BuildOptions{Span: 128 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	fsys, err := a.FS()
	if err != nil {
		t.Fatal(err)
	}
	want := testarchive.Contents(entries)
	var names []string
	for name, data := range want {
		names = append(names, name)
		got, err := fs.ReadFile(fsys, name)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("ReadFile(%q): %v, %d bytes, want %d", name, err, len(got), len(data))
		}
	}
	if err := fstest.TestFS(fsys, names...); err != nil {
		t.Fatal(err)
	}
	// ReadAt and Seek on a big file.
	for name, data := range want {
		if len(data) < 500<<10 {
			continue
		}
		f, err := fsys.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		ra := f.(io.ReaderAt)
		buf := make([]byte, 1000)
		for _, off := range []int64{0, 1, 300 << 10, int64(len(data)) - 1000} {
			if _, err := ra.ReadAt(buf, off); err != nil || !bytes.Equal(buf, data[off:off+1000]) {
				t.Errorf("%s: ReadAt(%d): %v", name, off, err)
			}
		}
		s := f.(io.Seeker)
		if _, err := s.Seek(-10, io.SeekEnd); err != nil {
			t.Fatal(err)
		}
		tail, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(tail, data[len(data)-10:]) {
			t.Errorf("%s: read after Seek: %v", name, err)
		}
		f.Close()
	}
}

func Example_fS() {
	dir, _ := os.MkdirTemp("", "tarx-example")
	defer os.RemoveAll(dir)

	// A small archive: docs/hello.txt and docs/world.txt.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range []string{"docs/hello.txt", "docs/world.txt"} {
		body := "contents of " + name + "\n"
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(1e9, 0)})
		io.WriteString(tw, body)
	}
	tw.Close()
	zw.Close()
	path := filepath.Join(dir, "small.tar.gz")
	os.WriteFile(path, buf.Bytes(), 0o644)

	// Open builds the index on first use.
	a, err := index.Open(context.Background(), path, index.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	fsys, _ := a.FS()
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		fmt.Println(p)
		return err
	})
	b, _ := fs.ReadFile(fsys, "docs/world.txt")
	fmt.Print(string(b))
	// Output:
	// .
	// docs
	// docs/hello.txt
	// docs/world.txt
	// contents of docs/world.txt
}
