package remote

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestOpen_LocalFile(t *testing.T) {
	data := randomBytes(100_000, 40)
	p := filepath.Join(t.TempDir(), "a.tar.gz")
	if err := Put(t.Context(), p, bytes.NewReader(data), int64(len(data)), Options{}); err != nil {
		t.Fatal(err)
	}
	o := mustOpen(t, p, Options{})
	st, _ := os.Stat(p)
	if id := o.Identity(); id.Size != int64(len(data)) || id.Name != p || !id.LastModified.Equal(st.ModTime()) || o.File() == nil {
		t.Fatalf("identity %+v", id)
	}
	if got := readAll(t, o, 7777); !bytes.Equal(got, data) {
		t.Fatal("bytes differ")
	}
	got, err := io.ReadAll(o.Stream(t.Context(), 500))
	if err != nil || !bytes.Equal(got, data[500:]) {
		t.Fatalf("stream: %v", err)
	}
	if st := o.Stats(); st != (Stats{}) {
		t.Errorf("a local file made requests: %+v", st)
	}
	if _, err := Open(t.Context(), t.TempDir(), Options{}); err == nil {
		t.Error("opened a directory")
	}
	if err := Put(t.Context(), "https://example.invalid/x", bytes.NewReader(nil), 0, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Put over https: %v, want ErrUnsupported", err)
	}
}
