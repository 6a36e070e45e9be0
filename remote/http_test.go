package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// readAll reads the whole object with ReadAt in pieces of n bytes.
func readAll(t *testing.T, o *Object, n int) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, n)
	for off := int64(0); ; off += int64(n) {
		k, err := o.ReadAt(buf, off)
		out = append(out, buf[:k]...)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("ReadAt(%d): %v", off, err)
		}
	}
}

func TestOpen_Identity(t *testing.T) {
	data := randomBytes(100_000, 1)
	s := newServer(t, data)
	o := mustOpen(t, strings.Replace(s.url(), "http://", "http://user:secret@", 1)+"?X-Amz-Signature=abc", fast())
	id := o.Identity()
	_, etag, mod := s.obj.get()
	if id.Size != int64(len(data)) || id.ETag != etag || !id.LastModified.Equal(mod) {
		t.Errorf("identity %+v, want size %d etag %s mtime %v", id, len(data), etag, mod)
	}
	if id.Name != s.url() {
		t.Errorf("name %q, want %q (no credentials, no query)", id.Name, s.url())
	}
	if st := o.Stats(); st.Requests != 1 {
		t.Errorf("open made %d requests, want 1", st.Requests)
	}
}

func TestReadAt_Sequential(t *testing.T) {
	data := randomBytes(1_000_000, 2)
	blocks := int64(len(data)+4095) / 4096
	for _, tt := range []struct {
		cache       int64
		maxRequests int64
	}{
		{cache: 64 << 10, maxRequests: blocks / 3}, // read-ahead of 8 blocks
		{cache: 8 << 10, maxRequests: blocks},      // two blocks: read-ahead of 1
	} {
		t.Run(fmt.Sprint(tt.cache), func(t *testing.T) {
			s := newServer(t, data)
			opts := fast()
			opts.CacheSize = tt.cache
			o := mustOpen(t, s.url(), opts)
			got := readAll(t, o, 1000)
			if !bytes.Equal(got, data) {
				t.Fatal("bytes differ")
			}
			st := o.Stats()
			// Each block once, and the byte of the identity request.
			if st.BytesFetched != int64(len(data))+1 {
				t.Errorf("fetched %d bytes, want %d (each block once, and the identity's byte)", st.BytesFetched, len(data)+1)
			}
			if st.Requests > tt.maxRequests {
				t.Errorf("%d requests for %d blocks, want at most %d", st.Requests, blocks, tt.maxRequests)
			}
			o.mu.Lock()
			cached, made := o.lru.Len(), o.made
			o.mu.Unlock()
			if cached > o.opts.cacheBlocks() {
				t.Errorf("%d blocks cached, bound %d", cached, o.opts.cacheBlocks())
			}
			// Evicted blocks' buffers serve the next ones: the cache's
			// memory, not the object's, is allocated.
			if bound := 2*o.opts.cacheBlocks() + o.opts.maxRequests(); made > bound {
				t.Errorf("%d block buffers allocated for %d blocks, want at most %d", made, blocks, bound)
			}
			t.Logf("%d buffers for %d blocks", made, blocks)
		})
	}
}

func TestReadAt_RandomConcurrent(t *testing.T) {
	data := randomBytes(2_000_000, 3)
	s := newServer(t, data)
	opts := fast()
	opts.CacheSize = 32 << 10 // evict constantly
	o := mustOpen(t, s.url(), opts)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			r := randomBytes(800, uint64(w+10))
			for i := 0; i < 200; i++ {
				off := (int64(r[i*2])<<16 | int64(r[i*2+1])<<8 | int64(r[i*4%800])) % int64(len(data))
				n := 1 + int(r[i])*40
				buf := make([]byte, n)
				k, err := o.ReadAt(buf, off)
				if err != nil && !(err == io.EOF && off+int64(k) == int64(len(data))) {
					errs <- err
					return
				}
				if !bytes.Equal(buf[:k], data[off:off+int64(k)]) {
					errs <- errors.New("wrong bytes")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestReadAt_MixedReaders mixes hinted sequential readers, random reads
// and streams that begin in a cached block, over a cache of a few blocks,
// so that blocks are evicted and dropped while other reads copy out of
// them (run with -race).
func TestReadAt_MixedReaders(t *testing.T) {
	data := randomBytes(1_500_000, 5)
	s := newServer(t, data)
	opts := fast()
	opts.CacheSize = 6 * 4096
	o := mustOpen(t, s.url(), opts)
	check := func(got []byte, off int64) error {
		if !bytes.Equal(got, data[off:off+int64(len(got))]) {
			return fmt.Errorf("wrong bytes at %d (+%d)", off, len(got))
		}
		return nil
	}
	var g errgroup.Group
	for w := range 6 {
		g.Go(func() error {
			r := randomBytes(600, uint64(w+20))
			for i := range 100 {
				off := (int64(r[i*2])<<16 | int64(r[i*2+1])<<8 | int64(r[i*3%600])) % int64(len(data)-30_000)
				switch w % 3 {
				case 0: // a hinted range read in small pieces, from inside a block
					end := off + 20_000
					o.Hint(off, end)
					buf := make([]byte, 999)
					for p := off; p < end; p += int64(len(buf)) {
						if _, err := o.ReadAt(buf, p); err != nil {
							return err
						}
						if err := check(buf, p); err != nil {
							return err
						}
					}
				case 1: // random reads across block boundaries
					buf := make([]byte, 1+int(r[i])*30)
					if _, err := o.ReadAt(buf, off); err != nil {
						return err
					}
					if err := check(buf, off); err != nil {
						return err
					}
				case 2: // a stream that may start in a cached block
					if i%10 != 0 {
						continue
					}
					st := o.Stream(context.Background(), off)
					buf := make([]byte, 10_000)
					_, err := io.ReadFull(st, buf)
					st.Close()
					if err != nil {
						return err
					}
					if err := check(buf, off); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestReadAt_OneRandomRead(t *testing.T) {
	// A read of one block by a reader with no history fetches that block.
	data := randomBytes(1_000_000, 4)
	s := newServer(t, data)
	o := mustOpen(t, s.url(), fast())
	before := o.Stats()
	buf := make([]byte, 100)
	if _, err := o.ReadAt(buf, 500_000); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf, data[500_000:500_100]) {
		t.Fatal("wrong bytes")
	}
	st := o.Stats()
	if got := st.BytesFetched - before.BytesFetched; got != 4096 {
		t.Errorf("fetched %d bytes for a 100-byte read, want one block (4096)", got)
	}
}

func TestFaults(t *testing.T) {
	data := randomBytes(300_000, 5)
	tests := []struct {
		name    string
		faults  func(s *server) []fault
		wantErr error // nil: the read succeeds
		check   func(t *testing.T, s *server, o *Object, took time.Duration)
	}{
		{
			name:   "connection dropped mid-body",
			faults: func(s *server) []fault { return []fault{s.drop(10_000, 2, 3, 5)} },
			check: func(t *testing.T, s *server, o *Object, _ time.Duration) {
				// A resumed request asks for the rest, not the whole range again.
				s.mu.Lock()
				defer s.mu.Unlock()
				if len(s.ranges) < 4 || s.ranges[1] == s.ranges[2] {
					t.Errorf("ranges %q: the request after the drop did not resume", s.ranges)
				}
			},
		},
		{
			name:   "503 then success",
			faults: func(s *server) []fault { return []fault{status(503, nil, 2, 3, 4)} },
		},
		{
			name: "429 with Retry-After",
			faults: func(s *server) []fault {
				return []fault{status(http.StatusTooManyRequests, map[string]string{"Retry-After": "1"}, 2)}
			},
			check: func(t *testing.T, _ *server, _ *Object, took time.Duration) {
				if took < time.Second {
					t.Errorf("read took %v: Retry-After 1 not honoured", took)
				}
			},
		},
		{
			name:    "503 forever",
			faults:  func(s *server) []fault { return []fault{status(503, nil, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)} },
			wantErr: errors.New("HTTP 503"),
			check: func(t *testing.T, s *server, _ *Object, _ time.Duration) {
				if n := s.requests.Load(); n != 1+1+8 {
					t.Errorf("%d requests: want open, 1 try and 8 retries", n)
				}
			},
		},
		{
			name:   "stalled body, resumed",
			faults: func(s *server) []fault { return []fault{s.stall(1000, 2)} },
		},
		{
			name:    "stalled body forever",
			faults:  func(s *server) []fault { return []fault{s.stallAfterOpen(0)} },
			wantErr: ErrStalled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, data)
			opts := fast()
			opts.ReadAhead = 4
			o := mustOpen(t, s.url(), opts)
			s.mu.Lock()
			s.faults = tt.faults(s)
			s.mu.Unlock()
			start := time.Now()
			buf := make([]byte, 60_000)
			n, err := o.ReadAt(buf, 100_000)
			took := time.Since(start)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("ReadAt: %v", err)
			case tt.wantErr == nil && !bytes.Equal(buf[:n], data[100_000:160_000]):
				t.Fatal("wrong bytes")
			case tt.wantErr != nil && err == nil:
				t.Fatal("ReadAt succeeded")
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr) && !strings.Contains(err.Error(), tt.wantErr.Error()):
				t.Fatalf("ReadAt: %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				t.Logf("error: %v", err)
			}
			if tt.check != nil {
				tt.check(t, s, o, took)
			}
		})
	}
}

// stallAfterOpen stalls every request but the first.
func (s *server) stallAfterOpen(after int) fault {
	st := s.stall(after)
	return func(n int, w http.ResponseWriter, r *http.Request) bool {
		return n > 1 && st(n, w, r)
	}
}

func TestOpen_Errors(t *testing.T) {
	for _, tt := range []struct {
		code int
		want error
		text string
	}{
		{http.StatusNotFound, ErrNotFound, "remote: not found: http://"},
		{http.StatusForbidden, ErrDenied, "remote: access denied: http://"},
		{http.StatusUnauthorized, ErrDenied, "(HTTP 401)"},
	} {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			s := newServer(t, []byte("x"), status(tt.code, nil, 1))
			_, err := Open(t.Context(), s.url()+"?token=SECRET", fast())
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "remote: ") || !strings.Contains(msg, tt.text) ||
				strings.Contains(msg, "SECRET") || strings.Contains(msg, "\n") {
				t.Errorf("message %q: want one line with %q and no secret", msg, tt.text)
			}
			if s.requests.Load() != 1 {
				t.Errorf("%d requests: %d is final, not retried", s.requests.Load(), tt.code)
			}
		})
	}
}

func TestOpen_ConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	opts := fast()
	opts.Retries = 3
	_, err = Open(t.Context(), "http://"+addr+"/a.tar.gz", opts)
	if err == nil || !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Fatalf("Open: %v, want a refusal given up after 4 attempts", err)
	}
}

func TestReplaced(t *testing.T) {
	data := randomBytes(200_000, 6)
	other := randomBytes(200_000, 7)
	for _, tt := range []struct {
		name  string
		serve func(s *server) fault
	}{
		{"ServeContent with If-Match", nil},
		{"server ignores If-Match", func(s *server) fault {
			// Serves ranges of the current object, ignoring conditions.
			return func(n int, w http.ResponseWriter, r *http.Request) bool {
				r.Header.Del("If-Match")
				r.Header.Del("If-Unmodified-Since")
				s.obj.serve(w, r)
				return true
			}
		}},
		{"weak ETag, Last-Modified only", func(s *server) fault {
			return func(n int, w http.ResponseWriter, r *http.Request) bool {
				data, etag, mod := s.obj.get()
				w.Header().Set("ETag", "W/"+etag)
				http.ServeContent(w, r, "a", mod, bytes.NewReader(data))
				return true
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, data)
			if tt.serve != nil {
				s.faults = []fault{tt.serve(s)}
			}
			opts := fast()
			opts.ReadAhead = -1
			o := mustOpen(t, s.url(), opts)
			buf := make([]byte, 1000)
			if _, err := o.ReadAt(buf, 50_000); err != nil || !bytes.Equal(buf, data[50_000:51_000]) {
				t.Fatalf("first read: %v", err)
			}
			s.obj.replace(other)
			_, err := o.ReadAt(buf, 150_000)
			if !errors.Is(err, ErrChanged) {
				t.Fatalf("read after replace: %v, want ErrChanged", err)
			}
			if !strings.Contains(err.Error(), s.url()) {
				t.Errorf("error %q does not name the object", err)
			}
			// Every later read fails too, even of a cached block.
			if _, err := o.ReadAt(buf, 50_000); !errors.Is(err, ErrChanged) {
				t.Errorf("later read: %v, want ErrChanged", err)
			}
		})
	}
}

func TestReplacedMidStream(t *testing.T) {
	// A body dropped mid-way is resumed; if the object was replaced in
	// between, the resumed request fails rather than splicing new bytes.
	data := randomBytes(200_000, 8)
	s := newServer(t, data)
	o := mustOpen(t, s.url(), fast())
	s.faults = []fault{func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n != 2 {
			return false
		}
		// The replacement lands as the connection drops.
		defer s.obj.replace(randomBytes(200_000, 9))
		s.obj.serve(&truncateWriter{ResponseWriter: w, limit: 50_000}, r)
		return true
	}}
	got, err := io.ReadAll(o.Stream(t.Context(), 0))
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("stream: %v, want ErrChanged", err)
	}
	if !bytes.Equal(got, data[:len(got)]) {
		t.Fatal("stream handed back bytes of the new object")
	}
}

func TestIgnoresRange(t *testing.T) {
	data := randomBytes(300_000, 10)
	s := newServer(t, data)
	s.faults = []fault{s.ignoreRange()}
	o := mustOpen(t, s.url(), fast())
	if o.Ranged() || o.Size() != int64(len(data)) {
		t.Fatalf("Ranged %v size %d", o.Ranged(), o.Size())
	}
	if _, err := o.ReadAt(make([]byte, 10), 1000); !errors.Is(err, ErrNoRange) {
		t.Fatalf("ReadAt: %v, want ErrNoRange", err)
	}
	got, err := io.ReadAll(o.Stream(t.Context(), 0))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stream: %v, %d bytes", err, len(got))
	}
}

func TestIgnoresRange_StreamResumed(t *testing.T) {
	data := randomBytes(300_000, 11)
	s := newServer(t, data)
	var drops int
	s.faults = []fault{func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 2 {
			drops++
			d, etag, _ := s.obj.get()
			w.Header().Set("ETag", etag)
			w.Header().Set("Content-Length", "300000")
			tw := &truncateWriter{ResponseWriter: w, limit: 100_000}
			tw.Write(d)
			return true
		}
		return false
	}, s.ignoreRange()}
	o := mustOpen(t, s.url(), fast())
	got, err := io.ReadAll(o.Stream(t.Context(), 0))
	if err != nil || !bytes.Equal(got, data) || drops != 1 {
		t.Fatalf("stream: %v, %d bytes, %d drops", err, len(got), drops)
	}
}

func TestStream_Resumed(t *testing.T) {
	data := randomBytes(500_000, 12)
	s := newServer(t, data)
	o := mustOpen(t, s.url(), fast())
	s.faults = []fault{s.drop(70_000, 2, 3), s.stall(5000, 4), status(503, nil, 5)}
	got, err := io.ReadAll(o.Stream(t.Context(), 1234))
	if err != nil || !bytes.Equal(got, data[1234:]) {
		t.Fatalf("stream: %v, %d bytes", err, len(got))
	}
}

func TestStream_Cancel(t *testing.T) {
	data := randomBytes(100_000, 13)
	s := newServer(t, data)
	o := mustOpen(t, s.url(), fast())
	s.faults = []fault{status(503, nil, 2, 3, 4, 5, 6, 7, 8)}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := io.ReadAll(o.Stream(ctx, 0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("stream: %v, want context.Canceled", err)
	}
}

func TestEmptyObject(t *testing.T) {
	s := newServer(t, nil)
	o := mustOpen(t, s.url(), fast())
	if o.Size() != 0 {
		t.Fatalf("size %d", o.Size())
	}
	if n, err := o.ReadAt(make([]byte, 1), 0); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt: %d, %v", n, err)
	}
}

func TestHTTPS(t *testing.T) {
	data := randomBytes(50_000, 14)
	obj := newObject(data)
	ts := newTLSServer(t, obj)
	opts := fast()
	opts.Transport = ts.Client().Transport
	o := mustOpen(t, ts.URL+"/a.tar.gz", opts)
	if got := readAll(t, o, 7000); !bytes.Equal(got, data) {
		t.Fatal("bytes differ")
	}
	// Without trusting the test certificate: a final error, not retried.
	_, err := Open(t.Context(), ts.URL+"/a.tar.gz", fast())
	if err == nil || strings.Contains(err.Error(), "gave up") {
		t.Fatalf("Open with an untrusted certificate: %v", err)
	}
}

func TestHint(t *testing.T) {
	data := randomBytes(1_000_000, 15)
	s := newServer(t, data)
	o := mustOpen(t, s.url(), fast())
	before := o.Stats()
	// Announce 100_000..300_000, read it in small pieces, then a little past it.
	o.Hint(100_000, 300_000)
	buf := make([]byte, 1000)
	for off := int64(100_000); off < 310_000; off += 1000 {
		if _, err := o.ReadAt(buf, off); err != nil || !bytes.Equal(buf, data[off:off+1000]) {
			t.Fatalf("ReadAt(%d): %v", off, err)
		}
	}
	st := o.Stats()
	blocksIn := int64(300_000/4096 - 100_000/4096 + 1)
	if got, want := st.BytesFetched-before.BytesFetched, (blocksIn+4)*4096; got > want {
		t.Errorf("fetched %d bytes, want at most the hinted blocks and a few past them (%d)", got, want)
	}
	// The hinted range goes out in requests of several blocks (a window of
	// half the cache, 8 blocks, refilled when half of it is left).
	if n := st.Requests - before.Requests; n > blocksIn/4+4 {
		t.Errorf("%d requests for %d hinted blocks", n, blocksIn)
	}
}

// TestOpen_ReadRange: opening reads the identity with one request for the
// first byte; ReadRange fetches exactly the range asked, without the cache;
// Stream reads from the cached block that holds its start.
func TestOpen_ReadRange(t *testing.T) {
	data := randomBytes(1_000_000, 9)
	s := newServer(t, data)
	o := mustOpen(t, s.url(), Options{})
	if st := o.Stats(); st.Requests != 1 || st.BytesFetched > 1 {
		t.Fatalf("open: %+v, want one request for 1 byte", st)
	}
	const n = 64 << 10
	head := make([]byte, n)
	if k, err := o.ReadRange(head, 0); k != n || err != nil || !bytes.Equal(head, data[:n]) {
		t.Fatalf("ReadRange of the head: %d, %v", k, err)
	}
	tail := make([]byte, n)
	off := int64(len(data)) - n
	if k, err := o.ReadRange(tail, off); k != n || err != nil || !bytes.Equal(tail, data[off:]) {
		t.Fatalf("ReadRange of the tail: %d, %v", k, err)
	}
	if k, err := o.ReadRange(tail, off+1); k != n-1 || err != io.EOF || !bytes.Equal(tail[:k], data[off+1:]) {
		t.Fatalf("ReadRange past the end: %d, %v, want %d and io.EOF", k, err, n-1)
	}
	if st := o.Stats(); st.Requests != 4 || st.BytesFetched > 1+3*n-1 || st.BytesFetched < 3*n-1 {
		t.Errorf("after ReadRange: %+v, want 3 more requests of 64 KiB (the last one byte short)", st)
	}
	if c := s.conns.Load(); c != 1 {
		t.Errorf("4 requests one after the other took %d connections, want 1", c)
	}
	buf := make([]byte, 1000)
	if _, err := o.ReadAt(buf, 5000); err != nil || !bytes.Equal(buf, data[5000:6000]) {
		t.Fatalf("ReadAt: %v", err)
	}
	before := o.Stats()
	r := o.Stream(t.Context(), 100)
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data[100:]) {
		t.Fatalf("Stream: %v", err)
	}
	bs := o.opts.blockSize()
	if st := o.Stats(); st.BytesFetched-before.BytesFetched != int64(len(data))-bs {
		t.Errorf("Stream from 100 fetched %d bytes, want all but the cached first block (%d)", st.BytesFetched-before.BytesFetched, int64(len(data))-bs)
	}
}

// TestHint_Prefetch: a hint starts fetching the range's first blocks at
// once, so that a reader arriving later finds them fetched.
func TestHint_Prefetch(t *testing.T) {
	data := randomBytes(1_000_000, 16)
	s := newServer(t, data)
	o := mustOpen(t, s.url(), fast())
	before := o.Stats()
	o.Hint(500_000, 600_000)
	// fast(): 4 KiB blocks, a 16-block cache: a quarter of it, 4 blocks,
	// the first from the hint's start on.
	const first = 500_000
	want := 4*4096 - first%4096
	deadline := time.Now().Add(5 * time.Second)
	for o.Stats().BytesFetched-before.BytesFetched < int64(want) {
		if time.Now().After(deadline) {
			t.Fatalf("hint fetched %+v, want %d bytes", o.Stats(), want)
		}
		time.Sleep(time.Millisecond)
	}
	mid := o.Stats()
	if mid.Requests-before.Requests != 1 || mid.BytesFetched-before.BytesFetched != int64(want) {
		t.Fatalf("hint: %+v (before %+v), want one request of %d bytes", mid, before, want)
	}
	buf := make([]byte, want)
	if _, err := o.ReadAt(buf, first); err != nil || !bytes.Equal(buf, data[first:first+int64(want)]) {
		t.Fatalf("ReadAt of the prefetched blocks: %v", err)
	}
	// The read starts the window's refill past the prefetched blocks; the
	// prefetched ones are not fetched again.
	if got := o.Stats(); got.BytesFetched-mid.BytesFetched > 8*4096 {
		t.Errorf("after reading the prefetched blocks: %+v, want at most a window more than %+v", got, mid)
	}
}

// TestHint_FetchesFromItsStart: a hinted range's first block is fetched
// from the range's start; a read of the bytes left out fetches the block
// again, and every read returns the object's bytes.
func TestHint_FetchesFromItsStart(t *testing.T) {
	data := randomBytes(1_000_000, 17)
	s := newServer(t, data)
	o := mustOpen(t, s.url(), Options{BlockSize: 64 << 10, ReadAhead: -1})
	before := o.Stats()
	const off, end = 3*64<<10 + 5000, 3*64<<10 + 100_000 // in blocks 3 and 4
	o.Hint(off, end)
	buf := make([]byte, end-off)
	if _, err := o.ReadAt(buf, off); err != nil || !bytes.Equal(buf, data[off:end]) {
		t.Fatalf("ReadAt of the hinted range: %v", err)
	}
	got := o.Stats()
	if n, want := got.BytesFetched-before.BytesFetched, int64(5*64<<10-off); got.Requests-before.Requests != 1 || n != want {
		t.Errorf("fetched %d bytes in %d requests, want one of %d (from the hint's start to its last block's end)", n, got.Requests-before.Requests, want)
	}
	// Before the hint's start, in its first block: fetched again, from
	// where that read starts.
	small := make([]byte, 10_000)
	const early = off - 4000
	if _, err := o.ReadAt(small, early); err != nil || !bytes.Equal(small, data[early:early+10_000]) {
		t.Fatalf("ReadAt before the hinted start: %v", err)
	}
	if n, want := o.Stats().BytesFetched-got.BytesFetched, int64(4*64<<10-early); n != want {
		t.Errorf("a read before the hinted start fetched %d bytes, want the rest of the block (%d)", n, want)
	}
	// From the block's start: the whole block, and the right bytes.
	if _, err := o.ReadAt(small, 3*64<<10); err != nil || !bytes.Equal(small, data[3*64<<10:3*64<<10+10_000]) {
		t.Fatalf("ReadAt at the block's start: %v", err)
	}
	r := o.Stream(t.Context(), early)
	all, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(all, data[early:]) {
		t.Fatalf("Stream from before the hinted start: %v", err)
	}
}

// TestHint_Adjacent: of two announced ranges that meet inside a block,
// the second does not leave out the first's end of that block: reading
// both fetches each byte once.
func TestHint_Adjacent(t *testing.T) {
	data := randomBytes(1_000_000, 19)
	s := newServer(t, data)
	// A 16-block cache: each hint fetches 4 blocks at once, so the first
	// leaves block 4, where they meet, to the second.
	o := mustOpen(t, s.url(), Options{BlockSize: 64 << 10, CacheSize: 16 * 64 << 10})
	const lo, mid, hi = 10_000, 300_000, 600_000 // mid is inside block 4
	o.Hint(lo, mid)
	o.Hint(mid, hi)
	before := o.Stats()
	buf := make([]byte, hi-lo)
	if _, err := o.ReadAt(buf[:mid-lo], lo); err != nil || !bytes.Equal(buf[:mid-lo], data[lo:mid]) {
		t.Fatalf("ReadAt of the first range: %v", err)
	}
	if _, err := o.ReadAt(buf[mid-lo:], mid); err != nil || !bytes.Equal(buf[mid-lo:], data[mid:hi]) {
		t.Fatalf("ReadAt of the second range: %v", err)
	}
	got := o.Stats().BytesFetched - before.BytesFetched
	if want := int64((hi+64<<10-1)/(64<<10)*(64<<10)) - lo; got > want {
		t.Errorf("fetched %d bytes for two adjacent ranges, want at most %d (each block once)", got, want)
	}
}

// TestReadAhead_UnreadHintsAge: blocks fetched for hints nobody follows
// hold the read-ahead budget only until the cache has cycled past them;
// then a sequential reader gets its read-ahead back.
func TestReadAhead_UnreadHintsAge(t *testing.T) {
	data := randomBytes(1_000_000, 18)
	s := newServer(t, data)
	o := mustOpen(t, s.url(), fast())
	// fast(): a 16-block cache, so 8 blocks of budget; each hint fetches 4.
	o.Hint(600_000, 700_000)
	o.Hint(800_000, 900_000)
	deadline := time.Now().Add(5 * time.Second)
	for o.Stats().BytesFetched < 8*4096-2*4096 {
		if time.Now().After(deadline) {
			t.Fatalf("hints fetched %+v", o.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	before := o.Stats()
	buf := make([]byte, 4096)
	const blocks = 96
	for off := int64(100_000); off < 100_000+blocks*4096; off += 4096 {
		if _, err := o.ReadAt(buf, off); err != nil || !bytes.Equal(buf, data[off:off+4096]) {
			t.Fatalf("ReadAt(%d): %v", off, err)
		}
	}
	if n := o.Stats().Requests - before.Requests; n > blocks/2 {
		t.Errorf("%d requests for %d sequential blocks: read-ahead stayed off", n, blocks)
	}
}
