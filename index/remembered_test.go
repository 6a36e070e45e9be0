package index

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
	"github.com/tarx-dev/tarx/remote"
)

// memoOf returns the memo remembered for url, if any.
func memoOf(t *testing.T, url string) (memo, bool) {
	t.Helper()
	loc, err := remote.ParseLocation(url)
	if err != nil {
		t.Fatal(err)
	}
	p, err := memoPath(loc)
	if err != nil {
		t.Fatal(err)
	}
	var m memo
	b, err := os.ReadFile(p)
	if err != nil {
		return m, false
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("memo %s: %v", p, err)
	}
	return m, true
}

// TestOpenRemote_Remembered: once the cache holds a remote archive's
// index, the next Open sends the identity request and the ranges its
// Prefetch announces together (the server below holds the identity
// request until a range request arrives: an Open that waited for the
// identity first would get a 503), and a replaced object is opened the
// long way, with an index of its own.
func TestOpenRemote_Remembered(t *testing.T) {
	var warn []string
	opts := remoteOptions(t, &warn)
	opts.Remote.Retries = -1
	gz, entries := remoteArchiveBytes(t, 11)
	f := newFiles(t)
	url := f.put("a.tar.gz", gz)

	a, err := Open(t.Context(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	first := a.Info()
	a.Close()
	m, ok := memoOf(t, url)
	if !ok || m.Index != filepath.Base(first.IndexPath) || m.Size != int64(len(gz)) || m.ETag == "" {
		t.Fatalf("memo %+v (present %v), want the index %s of the %d-byte object", m, ok, first.IndexPath, len(gz))
	}

	var mu sync.Mutex
	ranged := make(chan struct{})
	var once sync.Once
	f.mu.Lock()
	f.before = func(r *http.Request) {
		if r.Header.Get("Range") == "bytes=0-0" {
			select {
			case <-ranged:
			case <-time.After(5 * time.Second):
			}
			return
		}
		once.Do(func() { close(ranged) })
	}
	f.mu.Unlock()
	prefetched := 0
	opts.Prefetch = func(a *Archive) {
		mu.Lock()
		prefetched++
		mu.Unlock()
		for _, x := range members(t, a) {
			if x.Header.Typeflag == tar.TypeReg && x.Header.Size >= 300<<10 {
				a.HintRange(x.HeaderOffset, x.DataEnd)
				return
			}
		}
	}
	start := time.Now()
	a = mustOpen(t, url, opts)
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("Open took %v: the identity request waited for a range request that never came", d)
	}
	if prefetched != 1 || a.Info().IndexPath != first.IndexPath || !a.Info().Built.Equal(first.Built) {
		t.Fatalf("prefetched %d times, index %s (built %v), want once and %s", prefetched, a.Info().IndexPath, a.Info().Built, first.IndexPath)
	}
	checkMembersEvery(t, a, entries, 3)
	a.Close()

	// Replaced: the remembered identity fails, the long way builds an
	// index of the new object and remembers that one.
	f.mu.Lock()
	f.before = nil
	f.mu.Unlock()
	gz2, entries2 := remoteArchiveBytes(t, 12)
	url = f.put("a.tar.gz", gz2)
	b := mustOpen(t, url, opts)
	if b.Info().IndexPath == first.IndexPath {
		t.Fatal("the replaced object was opened with the old index")
	}
	checkMembersEvery(t, b, entries2, 3)
	b.Close()
	if m, ok := memoOf(t, url); !ok || m.Index != filepath.Base(b.Info().IndexPath) || m.Size != int64(len(gz2)) {
		t.Errorf("memo %+v after the replacement, want the new index", m)
	}

	// Gone: the identity request's error, not a build.
	f.remove("a.tar.gz")
	if _, err := Open(t.Context(), url, opts); !errors.Is(err, remote.ErrNotFound) {
		t.Errorf("Open of a removed object: %v, want remote.ErrNotFound", err)
	}
}

// TestOpenRemote_BadMemo: a memo that names no usable index, or that is
// not a memo, costs nothing but the long way.
func TestOpenRemote_BadMemo(t *testing.T) {
	for _, tt := range []struct {
		name string
		memo func(m memo) []byte
	}{
		{"index gone", func(m memo) []byte { m.Index = remoteCachePrefix + "0000" + Suffix; b, _ := json.Marshal(m); return b }},
		{"outside the cache", func(m memo) []byte { m.Index = "../" + m.Index; b, _ := json.Marshal(m); return b }},
		{"other ETag", func(m memo) []byte { m.ETag = `"other"`; b, _ := json.Marshal(m); return b }},
		{"weak ETag", func(m memo) []byte { m.ETag = "W/" + m.ETag; b, _ := json.Marshal(m); return b }},
		{"negative size", func(m memo) []byte { m.Size = -5; b, _ := json.Marshal(m); return b }},
		{"not JSON", func(memo) []byte { return []byte("\x00garbage{") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCachedRemote(t, 13)
			m, _ := memoOf(t, c.url)
			loc, _ := remote.ParseLocation(c.url)
			p, _ := memoPath(loc)
			if err := os.WriteFile(p, tt.memo(m), 0o644); err != nil {
				t.Fatal(err)
			}
			c.reopen(t)
			if got, ok := memoOf(t, c.url); !ok || got != m {
				t.Errorf("memo %+v, want it rewritten as %+v", got, m)
			}
		})
	}
}

// TestOpenRemote_RememberedTouched: an object whose Last-Modified moved
// but whose ETag did not (re-uploaded with the same bytes) fails the
// remembered identity, is matched by its ETag to the same cached index,
// and its memo takes the new time.
func TestOpenRemote_RememberedTouched(t *testing.T) {
	c := newCachedRemote(t, 14)
	before, _ := memoOf(t, c.url)
	c.f.mu.Lock()
	o := c.f.objs["/a.tar.gz"]
	o.mod = o.mod.Add(time.Hour)
	c.f.objs["/a.tar.gz"] = o
	c.f.mu.Unlock()
	c.reopen(t)
	after, _ := memoOf(t, c.url)
	if after.ETag != before.ETag || !after.LastModified.Equal(before.LastModified.Add(time.Hour)) {
		t.Errorf("memo %+v after the touch, was %+v", after, before)
	}
}

// cachedRemote is a served archive whose index Open built and cached.
type cachedRemote struct {
	f       *files
	url     string
	opts    Options
	entries []testarchive.Entry
	info    Info // of the first Open
}

func newCachedRemote(t *testing.T, seed uint64) *cachedRemote {
	t.Helper()
	var warn []string
	c := &cachedRemote{opts: remoteOptions(t, &warn), f: newFiles(t)}
	var gz []byte
	gz, c.entries = remoteArchiveBytes(t, seed)
	c.url = c.f.put("a.tar.gz", gz)
	a := mustOpen(t, c.url, c.opts)
	c.info = a.Info()
	a.Close()
	return c
}

// reopen opens the archive again and checks that it was opened with the
// index cached the first time, and reads its members.
func (c *cachedRemote) reopen(t *testing.T) {
	t.Helper()
	a := mustOpen(t, c.url, c.opts)
	defer a.Close()
	if a.Info().IndexPath != c.info.IndexPath || !a.Info().Built.Equal(c.info.Built) {
		t.Errorf("opened %s built %v, want the cached %s", a.Info().IndexPath, a.Info().Built, c.info.IndexPath)
	}
	checkMembersEvery(t, a, c.entries, 4)
}
