package remote

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testserver"
)

func TestNginx(t *testing.T) {
	www, base := testserver.Nginx(t)
	data := randomBytes(1_500_000, 20)
	path := filepath.Join(www, "a.tar.gz")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)

	opts := fast()
	opts.BlockSize = 64 << 10
	opts.CacheSize = 1 << 20
	o := mustOpen(t, base+"/a.tar.gz", opts)
	id := o.Identity()
	if id.Size != int64(len(data)) || id.ETag == "" || id.LastModified.IsZero() || !o.Ranged() {
		t.Fatalf("identity %+v, ranged %v", id, o.Ranged())
	}
	if got := readAll(t, o, 100_000); !bytes.Equal(got, data) {
		t.Fatal("bytes differ")
	}
	if st := o.Stats(); st.BytesFetched != int64(len(data))+1 {
		t.Errorf("fetched %d bytes for %d and the identity's byte", st.BytesFetched, len(data))
	}

	// Replace the file (same size, new mtime): nginx's ETag changes and
	// If-Match fails.
	o2 := mustOpen(t, base+"/a.tar.gz", opts)
	buf := make([]byte, 1000)
	if _, err := o2.ReadAt(buf, 10); err != nil || !bytes.Equal(buf, data[10:1010]) {
		t.Fatalf("read: %v", err)
	}
	if err := os.WriteFile(path+".new", randomBytes(len(data), 21), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	if _, err := o2.ReadAt(buf, 1_000_000); !errors.Is(err, ErrChanged) {
		t.Fatalf("read after replace: %v, want ErrChanged", err)
	}

	if _, err := Open(t.Context(), base+"/missing.tar.gz", opts); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v, want ErrNotFound", err)
	}
	_, err := Open(t.Context(), base+"/denied/a.tar.gz", opts)
	if !errors.Is(err, ErrDenied) {
		t.Fatalf("denied: %v, want ErrDenied", err)
	}
	t.Logf("403: %v", err)
}
