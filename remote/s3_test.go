package remote

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testserver"
)

// put uploads data, retrying while the server finishes starting.
func put(t *testing.T, location string, data []byte, opts Options) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := Put(t.Context(), location, bytes.NewReader(data), int64(len(data)), opts)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("put %s: %v", location, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func TestS3_SeaweedFS(t *testing.T) {
	endpoint := testserver.S3(t, "private")
	signed := fast()
	signed.EndpointURL = endpoint
	signed.BlockSize = 64 << 10
	signed.CacheSize = 1 << 20
	anon := signed
	anon.NoSignRequest = true

	data := randomBytes(700_000, 30)
	put(t, "s3://public/dir/a.tar.gz", data, signed)
	put(t, "s3://private/a.tar.gz", data, signed)

	t.Run("HeadObject identity", func(t *testing.T) {
		o := mustOpen(t, "s3://private/a.tar.gz", signed)
		id := o.Identity()
		if id.Name != "s3://private/a.tar.gz" || id.Size != int64(len(data)) || id.ETag == "" || id.LastModified.IsZero() {
			t.Fatalf("identity %+v", id)
		}
	})
	t.Run("signed ranged reads", func(t *testing.T) {
		o := mustOpen(t, "s3://private/a.tar.gz", signed)
		if got := readAll(t, o, 50_000); !bytes.Equal(got, data) {
			t.Fatal("bytes differ")
		}
		if st := o.Stats(); st.BytesFetched != int64(len(data)) {
			t.Errorf("fetched %d bytes for %d", st.BytesFetched, len(data))
		}
	})
	t.Run("AWS_ENDPOINT_URL", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL", endpoint)
		opts := fast()
		o := mustOpen(t, "s3://private/a.tar.gz", opts)
		buf := make([]byte, 1000)
		if _, err := o.ReadAt(buf, 600_000); err != nil || !bytes.Equal(buf, data[600_000:601_000]) {
			t.Fatalf("ReadAt: %v", err)
		}
	})
	t.Run("signed for another region", func(t *testing.T) {
		// SeaweedFS has no regions: a request signed for any is served,
		// with no redirect to follow.
		t.Setenv("AWS_REGION", "eu-west-1")
		opts := signed
		opts.StallTimeout = time.Minute // no retry on a loaded machine: count the requests
		o := mustOpen(t, "s3://private/a.tar.gz", opts)
		buf := make([]byte, 1000)
		if _, err := o.ReadAt(buf, 300_000); err != nil || !bytes.Equal(buf, data[300_000:301_000]) {
			t.Fatalf("ReadAt: %v", err)
		}
		if st := o.Stats(); st.Requests != 2 {
			t.Errorf("%d requests, want HeadObject and one GET", st.Requests)
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		o := mustOpen(t, "s3://public/dir/a.tar.gz", anon)
		if got := readAll(t, o, 100_000); !bytes.Equal(got, data) {
			t.Fatal("bytes differ")
		}
		_, err := Open(t.Context(), "s3://private/a.tar.gz", anon)
		if !errors.Is(err, ErrDenied) {
			t.Fatalf("anonymous read of a private bucket: %v, want ErrDenied", err)
		}
		t.Logf("denied: %v", err)
	})
	t.Run("wrong secret", func(t *testing.T) {
		t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
		_, err := Open(t.Context(), "s3://private/a.tar.gz", signed)
		if !errors.Is(err, ErrDenied) {
			t.Fatalf("%v, want ErrDenied", err)
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := Open(t.Context(), "s3://private/missing.tar.gz", signed)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("%v, want ErrNotFound", err)
		}
		t.Logf("missing: %v", err)
	})
	t.Run("replaced: IfMatch fails", func(t *testing.T) {
		put(t, "s3://private/b.tar.gz", data, signed)
		opts := signed
		opts.ReadAhead = -1
		o := mustOpen(t, "s3://private/b.tar.gz", opts)
		buf := make([]byte, 1000)
		if _, err := o.ReadAt(buf, 0); err != nil || !bytes.Equal(buf, data[:1000]) {
			t.Fatalf("ReadAt: %v", err)
		}
		put(t, "s3://private/b.tar.gz", randomBytes(len(data), 31), signed)
		if _, err := o.ReadAt(buf, 500_000); !errors.Is(err, ErrChanged) {
			t.Fatalf("read after replace: %v, want ErrChanged", err)
		}
	})
	t.Run("upload beside", func(t *testing.T) {
		idx := randomBytes(12345, 32)
		loc, _ := ParseLocation("s3://private/a.tar.gz")
		side := loc.WithSuffix(".tarx").String()
		put(t, side, idx, signed)
		o := mustOpen(t, side, signed)
		got, err := io.ReadAll(o.Stream(t.Context(), 0))
		if err != nil || !bytes.Equal(got, idx) {
			t.Fatalf("read back: %v", err)
		}
		if err := Put(t.Context(), "s3://public/x.tarx", bytes.NewReader(idx), int64(len(idx)), anon); !errors.Is(err, ErrDenied) {
			t.Fatalf("anonymous upload: %v, want ErrDenied", err)
		}
	})
}
