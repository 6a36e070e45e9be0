package remote

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// openExpected opens s's object on the identity a first Open saw.
func openExpected(t *testing.T, s *server, opts Options) (*Object, Identity) {
	t.Helper()
	first := mustOpen(t, s.url(), opts)
	id := first.Identity()
	first.Close()
	loc, err := ParseLocation(s.url())
	if err != nil {
		t.Fatal(err)
	}
	o, err := OpenExpected(t.Context(), loc, opts, id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o, id
}

// TestOpenExpected_Overlaps checks that the ranges announced on an Object
// opened on its expected identity go out while the identity request is in
// flight: the server holds the identity request until a range request has
// arrived, so an Object that waited for its identity first would never
// get one (and the test would time out below).
func TestOpenExpected_Overlaps(t *testing.T) {
	data := randomBytes(300_000, 30)
	s := newServer(t, data)
	o0 := mustOpen(t, s.url(), fast())
	id := o0.Identity()
	o0.Close()

	ranged := make(chan struct{})
	var rangedOnce sync.Once
	s.faults = []fault{func(n int, w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Range") == "bytes=0-0" {
			select {
			case <-ranged:
			case <-time.After(5 * time.Second):
				w.WriteHeader(http.StatusServiceUnavailable) // fails the test below
				return true
			}
		} else {
			rangedOnce.Do(func() {
				if r.Header.Get("If-Match") != id.ETag {
					t.Errorf("range request not conditional on the expected ETag: If-Match %q", r.Header.Get("If-Match"))
				}
				close(ranged)
			})
		}
		return false
	}}
	before := s.requests.Load()
	loc, _ := ParseLocation(s.url())
	opts := fast()
	opts.Retries = -1 // a 503 for the identity request ends the test
	o, err := OpenExpected(t.Context(), loc, opts, id)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if got := s.requests.Load() - before; got > 1 {
		t.Errorf("OpenExpected waited for %d requests", got)
	}
	o.Hint(100_000, 120_000)
	buf := make([]byte, 20_000)
	if _, err := o.ReadAt(buf, 100_000); err != nil {
		t.Fatalf("ReadAt: %v", err)
	}
	if !bytes.Equal(buf, data[100_000:120_000]) {
		t.Fatal("wrong bytes")
	}
	if err := o.Confirm(t.Context()); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if o.Identity() != id {
		t.Errorf("identity %+v, want %+v", o.Identity(), id)
	}
}

// TestOpenExpected_Replaced opens an object on the identity of a version
// that was replaced since: Confirm, every read and the hinted fetch fail
// with ErrChanged, and no byte of either version is handed back.
func TestOpenExpected_Replaced(t *testing.T) {
	for _, tt := range []struct {
		name  string
		other []byte // nil: the same bytes and ETag, a later Last-Modified
	}{
		{"same size", randomBytes(200_000, 32)},
		{"other size", randomBytes(150_000, 33)},
		{"touched", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := randomBytes(200_000, 31)
			s := newServer(t, data)
			opts := fast()
			opts.Retries = -1
			first := mustOpen(t, s.url(), opts)
			id := first.Identity()
			first.Close()
			if tt.other != nil {
				s.obj.replace(tt.other)
			} else {
				s.obj.mu.Lock()
				s.obj.modTime = s.obj.modTime.Add(time.Hour)
				s.obj.mu.Unlock()
			}
			loc, _ := ParseLocation(s.url())
			o, err := OpenExpected(t.Context(), loc, opts, id)
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			o.Hint(10_000, 50_000)
			buf := make([]byte, 1000)
			n, err := o.ReadAt(buf, 10_000)
			if !errors.Is(err, ErrChanged) || n != 0 {
				t.Fatalf("ReadAt: %d bytes, %v; want 0 and ErrChanged", n, err)
			}
			if err := o.Confirm(t.Context()); !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), s.url()) {
				t.Fatalf("Confirm: %v, want ErrChanged naming the object", err)
			}
			if _, err := o.ReadRange(buf, 0); !errors.Is(err, ErrChanged) {
				t.Errorf("ReadRange: %v, want ErrChanged", err)
			}
			if _, err := o.Stream(t.Context(), 0).Read(buf); !errors.Is(err, ErrChanged) {
				t.Errorf("Stream: %v, want ErrChanged", err)
			}
		})
	}
}

// TestOpenExpected_Errors: an identity that If-Match cannot hold to is
// refused; a missing object is the identity request's error.
func TestOpenExpected_Errors(t *testing.T) {
	s := newServer(t, randomBytes(10_000, 34))
	loc, _ := ParseLocation(s.url())
	for _, id := range []Identity{
		{Size: 10_000},
		{Size: 10_000, ETag: `W/"v1-10000"`},
		{Size: -1, ETag: `"v1-10000"`},
	} {
		if o, err := OpenExpected(t.Context(), loc, fast(), id); err == nil {
			o.Close()
			t.Errorf("OpenExpected(%+v) succeeded", id)
		}
	}
	s.faults = []fault{status(http.StatusNotFound, nil, 1, 2, 3)}
	o, err := OpenExpected(t.Context(), loc, fast(), Identity{Size: 10_000, ETag: `"v1-10000"`})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := o.Confirm(t.Context()); !errors.Is(err, ErrNotFound) {
		t.Errorf("Confirm: %v, want ErrNotFound", err)
	}
	if _, err := o.ReadAt(make([]byte, 10), 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadAt: %v, want ErrNotFound", err)
	}
}
