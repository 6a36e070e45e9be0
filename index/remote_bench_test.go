package index

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
	"github.com/tarx-dev/tarx/remote"
)

// BenchmarkRemoteGet reads one member in the second half of an archive
// served on loopback, with and without 20 ms of delay per request (netem
// is not available here), by tarx with a cached index and by a full
// download piped through gzip and tar (what curl URL | tar -xzO does).
// It reports the archive bytes each fetched.
func BenchmarkRemoteGet(b *testing.B) {
	entries := make([]testarchive.Entry, 0, 64)
	for i := range 64 {
		data := testarchive.Text(int64(i), 256<<10)
		entries = append(entries, testarchive.Entry{Header: tar.Header{Name: fmt.Sprintf("f%02d.txt", i), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}, Data: data})
	}
	gz := testarchive.Gzip(b, testarchive.Tar(b, entries, tar.FormatPAX), testarchive.GoLevel6)
	const member = "f48.txt"
	for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(delay)
			w.Header().Set("ETag", `"bench"`)
			http.ServeContent(w, r, "a.tar.gz", time.Unix(1_700_000_000, 0), bytes.NewReader(gz))
		}))
		url := srv.URL + "/a.tar.gz"
		b.Setenv("XDG_CACHE_HOME", b.TempDir())
		opts := Options{}
		a, err := Open(b.Context(), url, opts) // builds the cached index
		if err != nil {
			b.Fatal(err)
		}
		a.Close()
		b.Run(fmt.Sprintf("tarx/delay=%v", delay), func(b *testing.B) {
			var fetched int64
			for b.Loop() {
				a, err := Open(b.Context(), url, opts)
				if err != nil {
					b.Fatal(err)
				}
				m, err := a.Lookup(member)
				if err != nil {
					b.Fatal(err)
				}
				_, r, err := a.OpenMember(m)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				r.Close()
				st, _ := a.Stats()
				fetched += st.BytesFetched
				a.Close()
			}
			b.ReportMetric(float64(fetched)/float64(b.N), "fetched-B/op")
		})
		b.Run(fmt.Sprintf("download+tar/delay=%v", delay), func(b *testing.B) {
			var fetched int64
			for b.Loop() {
				o, err := remote.Open(b.Context(), url, remote.Options{})
				if err != nil {
					b.Fatal(err)
				}
				body := o.Stream(b.Context(), 0)
				zr, err := gzip.NewReader(body)
				if err != nil {
					b.Fatal(err)
				}
				tr := tar.NewReader(zr)
				for {
					h, err := tr.Next()
					if err != nil {
						b.Fatal(err)
					}
					if h.Name == member {
						io.Copy(io.Discard, tr)
						break
					}
				}
				body.Close()
				fetched += o.Stats().BytesFetched
				o.Close()
			}
			b.ReportMetric(float64(fetched)/float64(b.N), "fetched-B/op")
		})
		srv.Close()
	}
}
