package remote

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// object is what a test server serves: content and validators that a test
// may replace while a client reads.
type object struct {
	mu      sync.Mutex
	data    []byte
	etag    string
	modTime time.Time
	version int
}

func newObject(data []byte) *object {
	o := &object{}
	o.replace(data)
	return o
}

func (o *object) replace(data []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.version++
	o.data = data
	o.etag = fmt.Sprintf(`"v%d-%d"`, o.version, len(data))
	o.modTime = time.Date(2026, 1, 1, 0, 0, o.version, 0, time.UTC)
}

func (o *object) get() ([]byte, string, time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.data, o.etag, o.modTime
}

// serve answers with http.ServeContent: Range, If-Match, If-Range and
// If-Unmodified-Since as net/http implements them.
func (o *object) serve(w http.ResponseWriter, r *http.Request) {
	data, etag, mod := o.get()
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, "archive.tar.gz", mod, bytes.NewReader(data))
}

// fault changes how the n-th request (from 1) is answered; it returns
// false to let the object serve it normally.
type fault func(n int, w http.ResponseWriter, r *http.Request) bool

// server is a loopback test server of one object, with faults.
type server struct {
	*httptest.Server
	obj      *object
	requests atomic.Int64
	conns    atomic.Int64 // connections accepted
	mu       sync.Mutex
	faults   []fault
	ranges   []string // the Range header of every request
}

func newServer(t *testing.T, data []byte, faults ...fault) *server {
	s := &server{obj: newObject(data), faults: faults}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.requests.Add(1))
		s.mu.Lock()
		s.ranges = append(s.ranges, r.Header.Get("Range"))
		fs := s.faults
		s.mu.Unlock()
		for _, f := range fs {
			if f(n, w, r) {
				return
			}
		}
		s.obj.serve(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *server) url() string { return s.URL + "/archive.tar.gz" }

// status answers the requests numbered in ns with code.
func status(code int, header map[string]string, ns ...int) fault {
	return func(n int, w http.ResponseWriter, r *http.Request) bool {
		for _, m := range ns {
			if n == m {
				for k, v := range header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(code)
				return true
			}
		}
		return false
	}
}

// truncateWriter passes limit body bytes, then aborts the connection.
type truncateWriter struct {
	http.ResponseWriter
	limit int
}

func (t *truncateWriter) Write(p []byte) (int, error) {
	if len(p) > t.limit {
		t.ResponseWriter.Write(p[:t.limit])
		t.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	t.limit -= len(p)
	return t.ResponseWriter.Write(p)
}

func (t *truncateWriter) Flush() { t.ResponseWriter.(http.Flusher).Flush() }

// drop serves the requests numbered in ns only partly, then drops the
// connection.
func (s *server) drop(after int, ns ...int) fault {
	return func(n int, w http.ResponseWriter, r *http.Request) bool {
		for _, m := range ns {
			if n == m {
				s.obj.serve(&truncateWriter{ResponseWriter: w, limit: after}, r)
				return true
			}
		}
		return false
	}
}

// stallWriter passes limit body bytes, then stops sending until the
// client goes away.
type stallWriter struct {
	http.ResponseWriter
	limit int
	ctx   context.Context
}

func (s *stallWriter) Write(p []byte) (int, error) {
	if len(p) > s.limit {
		s.ResponseWriter.Write(p[:s.limit])
		s.ResponseWriter.(http.Flusher).Flush()
		select {
		case <-s.ctx.Done():
		case <-time.After(10 * time.Second):
		}
		panic(http.ErrAbortHandler)
	}
	s.limit -= len(p)
	return s.ResponseWriter.Write(p)
}

// stall serves the requests numbered in ns (all if none) partly, then
// sends nothing more.
func (s *server) stall(after int, ns ...int) fault {
	return func(n int, w http.ResponseWriter, r *http.Request) bool {
		hit := len(ns) == 0
		for _, m := range ns {
			hit = hit || n == m
		}
		if hit {
			s.obj.serve(&stallWriter{ResponseWriter: w, limit: after, ctx: r.Context()}, r)
		}
		return hit
	}
}

// ignoreRange answers every request with the whole body and 200.
func (s *server) ignoreRange() fault {
	return func(n int, w http.ResponseWriter, r *http.Request) bool {
		data, etag, _ := s.obj.get()
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data)
		return true
	}
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// fast are options for tests: small blocks, short waits.
func fast() Options {
	return Options{
		BlockSize:      4 << 10,
		CacheSize:      64 << 10,
		MinBackoff:     time.Millisecond,
		MaxBackoff:     20 * time.Millisecond,
		StallTimeout:   300 * time.Millisecond,
		ConnectTimeout: time.Second,
		RetryTime:      10 * time.Second,
	}
}

func newTLSServer(t *testing.T, obj *object) *httptest.Server {
	ts := httptest.NewTLSServer(http.HandlerFunc(obj.serve))
	t.Cleanup(ts.Close)
	return ts
}

// mustOpen opens location, closing it when the test ends.
func mustOpen(t *testing.T, location string, opts Options) *Object {
	t.Helper()
	o, err := Open(t.Context(), location, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}
