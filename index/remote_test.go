package index

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
	"github.com/tarx-dev/tarx/remote"
)

// files is a loopback HTTP server of named objects (ServeContent: ranges,
// ETag, If-Match) that tests may add, replace and remove.
type files struct {
	mu     sync.Mutex
	objs   map[string]fileObject
	n      int
	srv    *httptest.Server
	before func(r *http.Request) // if set, called before each request is served
}

type fileObject struct {
	data []byte
	etag string
	mod  time.Time
}

func newFiles(t *testing.T) *files {
	f := &files{objs: map[string]fileObject{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		o, ok := f.objs[r.URL.Path]
		before := f.before
		f.mu.Unlock()
		if before != nil {
			before(r)
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", o.etag)
		http.ServeContent(w, r, r.URL.Path, o.mod, bytes.NewReader(o.data))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *files) put(name string, data []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	f.objs["/"+name] = fileObject{data, fmt.Sprintf(`"%d"`, f.n), time.Unix(1_700_000_000+int64(f.n), 0)}
	return f.srv.URL + "/" + name
}

func (f *files) remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.objs, "/"+name)
}

// remoteArchiveBytes is a tar.gz with members spread over many checkpoints.
func remoteArchiveBytes(t *testing.T, seed uint64) ([]byte, []testarchive.Entry) {
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: int64(seed), SmallFiles: 30, BigFiles: 2, BigSize: 300 << 10})
	return testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel6), entries
}

// remoteOptions isolate the cache and keep remote timeouts short.
func remoteOptions(t *testing.T, warn *[]string) Options {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	return Options{
		Remote: remote.Options{BlockSize: 16 << 10, MinBackoff: time.Millisecond, StallTimeout: 2 * time.Second},
		BuildOptions: BuildOptions{
			Span: 64 << 10,
			Warn: func(msg string) { *warn = append(*warn, msg) },
		},
	}
}

// checkAllMembers reads every regular member and compares it with the
// entry in the same place.
func checkAllMembers(t *testing.T, a *Archive, entries []testarchive.Entry) {
	t.Helper()
	checkMembersEvery(t, a, entries, 1)
}

// checkMembersEvery reads every step-th regular member (and counts all).
func checkMembersEvery(t *testing.T, a *Archive, entries []testarchive.Entry, step int) {
	t.Helper()
	var want [][]byte
	for _, e := range entries {
		if e.Header.Typeflag == tar.TypeReg {
			want = append(want, e.Data)
		}
	}
	n := 0
	for _, m := range members(t, a) {
		if m.Header.Typeflag != tar.TypeReg {
			continue
		}
		if n >= len(want) || (n%step == 0 && !bytes.Equal(readMember(t, a, m), want[n])) {
			t.Fatalf("%s: wrong bytes", m.Name())
		}
		n++
	}
	if n != len(want) {
		t.Fatalf("read %d members, want %d", n, len(want))
	}
}

// readBigMember reads the last regular member of at least 300 KiB of the
// remote archive a and returns it with the bytes and requests it cost.
func readBigMember(t *testing.T, a *Archive) (m *Member, fetched, requests int64) {
	t.Helper()
	for _, x := range members(t, a) {
		if x.Header.Typeflag == tar.TypeReg && x.Header.Size >= 300<<10 {
			m = x
		}
	}
	before, _ := a.Stats()
	readMember(t, a, m)
	after, _ := a.Stats()
	return m, after.BytesFetched - before.BytesFetched, after.Requests - before.Requests
}

func cachedIndexes(t *testing.T) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "tarx", remoteCachePrefix+"*"+Suffix))
	return m
}

func TestOpenRemote_BuildThenCache(t *testing.T) {
	var warn []string
	opts := remoteOptions(t, &warn)
	gz, entries := remoteArchiveBytes(t, 1)
	f := newFiles(t)
	url := f.put("a.tar.gz", gz)

	a, err := Open(t.Context(), url+"?sig=SECRET", opts)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := a.Stats()
	if st.BytesFetched != int64(len(gz))+1 {
		t.Errorf("build fetched %d bytes of a %d-byte archive, want each byte once and the identity's byte", st.BytesFetched, len(gz))
	}
	info := a.Info()
	if info.Archive != url || strings.Contains(info.IndexPath, "SECRET") || strings.Contains(info.IndexPath, "a.tar.gz") {
		t.Errorf("info: archive %q index %q", info.Archive, info.IndexPath)
	}
	checkAllMembers(t, a, entries)
	a.Close()
	if got := cachedIndexes(t); len(got) != 1 {
		t.Fatalf("cache holds %v", got)
	}

	// Again: the cached index, matched by ETag: one request, no build.
	a = mustOpen(t, url, opts)
	if st, _ := a.Stats(); st.Requests != 1 {
		t.Errorf("open with a cached index: %d requests, want 1", st.Requests)
	}
	if !a.Info().Built.Equal(info.Built) || a.Info().IndexPath != info.IndexPath {
		t.Errorf("rebuilt: %v %v", a.Info(), info)
	}
	m, fetched, requests := readBigMember(t, a)
	// What the member needs: the compressed bytes from the checkpoint
	// before its header to the first checkpoint past its end.
	from, err := a.checkpointAt(m.HeaderOffset)
	if err != nil {
		t.Fatal(err)
	}
	to := int64(len(gz))
	offs, _ := a.Checkpoints()
	for _, off := range offs {
		if off >= m.DataEnd {
			cp, _ := a.checkpointAt(off)
			to = cp.In
			break
		}
	}
	need := to - from.In
	t.Logf("get of a %d-byte member: %d archive bytes in %d requests; its span is %d bytes (archive %d bytes)",
		m.Header.Size, fetched, requests, need, len(gz))
	// Block alignment on both sides, and the read-ahead (8 blocks).
	if slack := int64(10 * 16 << 10); fetched > need+slack {
		t.Errorf("get fetched %d bytes, more than the span (%d) and %d of slack", fetched, need, slack)
	}

	// Replaced on the server: a new ETag, a new index.
	early := mustOpen(t, url, opts)
	gz2, entries2 := remoteArchiveBytes(t, 2)
	f.put("a.tar.gz", gz2)
	b := mustOpen(t, url, opts)
	checkMembersEvery(t, b, entries2, 5)
	if len(cachedIndexes(t)) != 2 {
		t.Errorf("cache holds %v", cachedIndexes(t))
	}
	// The archive opened before the replacement fails, naming it.
	_, r, err := early.OpenMember(m)
	if err == nil {
		_, err = r.Read(make([]byte, 1<<20))
		r.Close()
	}
	if !errors.Is(err, remote.ErrChanged) {
		t.Errorf("read after the archive was replaced: %v, want remote.ErrChanged", err)
	}
}

func TestOpenRemote_Beside(t *testing.T) {
	var warn []string
	opts := remoteOptions(t, &warn)
	gz, entries := remoteArchiveBytes(t, 3)
	// An index built from a local copy, published beside the archive.
	local := writeArchive(t, gz)
	la, err := Build(t.Context(), local, Options{BuildOptions: BuildOptions{Span: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	la.Close()
	idx, err := os.ReadFile(local + Suffix)
	if err != nil {
		t.Fatal(err)
	}
	f := newFiles(t)
	url := f.put("a.tar.gz", gz)
	f.put("a.tar.gz"+Suffix, idx)

	a := mustOpen(t, url, opts)
	archive, index := a.Stats()
	if index.BytesFetched != int64(len(idx))+1 {
		t.Errorf("index fetched: %d bytes, want %d (once, and the identity's byte)", index.BytesFetched, len(idx))
	}
	// Identity reads only: the first and last 64 KiB, with read-ahead.
	t.Logf("identity reads: %+v", archive)
	if archive.Requests > 4 || archive.BytesFetched > 2*(64<<10)+4*(16<<10) {
		t.Errorf("archive: %+v, want the identity reads only", archive)
	}
	checkMembersEvery(t, a, entries, 5)
	// The cached copy remembers the ETag: the beside index is not fetched again.
	f.remove("a.tar.gz" + Suffix)
	b := mustOpen(t, url, opts)
	if archive, index := b.Stats(); archive.Requests != 1 || index.Requests != 0 {
		t.Errorf("second open: archive %+v index %+v", archive, index)
	}
	if len(warn) != 0 {
		t.Errorf("warnings: %q", warn)
	}
}

func TestOpenRemote_HostileBeside(t *testing.T) {
	gz, entries := remoteArchiveBytes(t, 4)
	other, _ := remoteArchiveBytes(t, 5)
	local := writeArchive(t, other)
	la, err := Build(t.Context(), local, Options{})
	if err != nil {
		t.Fatal(err)
	}
	la.Close()
	otherIdx, _ := os.ReadFile(local + Suffix)
	damaged := bytes.Clone(otherIdx)
	for i := 4096; i < len(damaged); i += 977 {
		damaged[i] ^= 0x5a
	}
	for _, tt := range []struct {
		name string
		idx  []byte
	}{
		{"garbage", bytes.Repeat([]byte("not an index "), 1000)},
		{"empty", nil},
		{"another archive's index", otherIdx},
		{"damaged pages", damaged},
		{"truncated", otherIdx[:len(otherIdx)/2]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var warn []string
			opts := remoteOptions(t, &warn)
			f := newFiles(t)
			url := f.put("a.tar.gz", gz)
			f.put("a.tar.gz"+Suffix, tt.idx)
			a := mustOpen(t, url, opts)
			checkMembersEvery(t, a, entries, 7)
			if len(warn) == 0 {
				t.Errorf("no warning about the unusable index")
			}
			t.Logf("warnings: %q", warn)
		})
	}
}

func TestOpenRemote_IndexURL(t *testing.T) {
	var warn []string
	opts := remoteOptions(t, &warn)
	gz, entries := remoteArchiveBytes(t, 6)
	local := writeArchive(t, gz)
	la, err := Build(t.Context(), local, Options{BuildOptions: BuildOptions{Span: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	la.Close()
	idx, _ := os.ReadFile(local + Suffix)
	f := newFiles(t)
	url := f.put("a.tar.gz", gz)
	opts.IndexPath = f.put("indexes/a.idx", idx)
	a := mustOpen(t, url, opts)
	checkMembersEvery(t, a, entries, 5)

	// An index URL of another archive is stale: an error, not a rebuild.
	other, _ := remoteArchiveBytes(t, 7)
	url2 := f.put("b.tar.gz", other)
	if _, err := Open(t.Context(), url2, opts); !errors.Is(err, ErrStale) {
		t.Fatalf("Open with another archive's index URL: %v, want ErrStale", err)
	}
	// A local --index path is built there.
	opts.IndexPath = filepath.Join(t.TempDir(), "b.idx")
	b := mustOpen(t, url2, opts)
	if b.Info().IndexPath != opts.IndexPath {
		t.Errorf("index at %s", b.Info().IndexPath)
	}
}

func TestOpenRemote_Errors(t *testing.T) {
	var warn []string
	opts := remoteOptions(t, &warn)
	f := newFiles(t)
	_, err := Open(t.Context(), f.srv.URL+"/missing.tar.gz", opts)
	if !errors.Is(err, remote.ErrNotFound) {
		t.Fatalf("%v, want remote.ErrNotFound", err)
	}
	opts.NoBuild = true
	gz, _ := remoteArchiveBytes(t, 8)
	url := f.put("a.tar.gz", gz)
	if _, err := Open(t.Context(), url, opts); !errors.Is(err, ErrNoIndex) {
		t.Fatalf("NoBuild: %v, want ErrNoIndex", err)
	}
}

func TestPruneCache(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	var keep string
	for i := range 5 {
		p := filepath.Join(dir, fmt.Sprintf("%s%d%s", remoteCachePrefix, i, Suffix))
		os.WriteFile(p, make([]byte, 1000), 0o644)
		ts := now.Add(-time.Duration(i) * time.Minute)
		os.Chtimes(p, ts, ts)
		if i == 4 {
			keep = p
		}
	}
	other := filepath.Join(dir, "abc"+Suffix) // an index of a local archive
	os.WriteFile(other, make([]byte, 5000), 0o644)
	memos := map[string]string{"a": "0", "b": "3", "c": "../0", "d": ""} // memo -> the index it names
	for m, idx := range memos {
		b, _ := json.Marshal(memo{Index: remoteCachePrefix + idx + Suffix, ETag: `"x"`, Size: 1})
		if idx == "" {
			b = []byte("{not json")
		}
		os.WriteFile(filepath.Join(dir, remoteCachePrefix+m+memoSuffix), b, 0o644)
	}
	leftovers := map[string]time.Duration{ // a killed process's temporary files, and their age
		"download-1.tmp": 2 * time.Hour, "download-2.tmp": time.Minute,
		remoteCachePrefix + "a" + memoSuffix + ".tmp-3": 2 * time.Hour,
		remoteCachePrefix + "b" + memoSuffix + ".tmp-4": time.Minute,
	}
	for name, age := range leftovers {
		p := filepath.Join(dir, name)
		os.WriteFile(p, nil, 0o644)
		os.Chtimes(p, now.Add(-age), now.Add(-age))
	}
	pruneCache(dir, 2500, keep)
	for name, age := range leftovers {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := err != nil; gone != (age > time.Hour) {
			t.Errorf("%s, %v old: removed %v", name, age, gone)
		}
	}
	var left []string
	for _, p := range []string{"0", "1", "2", "3", "4"} {
		if _, err := os.Stat(filepath.Join(dir, remoteCachePrefix+p+Suffix)); err == nil {
			left = append(left, p)
		}
	}
	if strings.Join(left, ",") != "0,1,4" {
		t.Errorf("left %v, want the two most recent and the kept one", left)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("pruned an index that is not a cached remote one")
	}
	var kept []string
	for m := range memos {
		if _, err := os.Stat(filepath.Join(dir, remoteCachePrefix+m+memoSuffix)); err == nil {
			kept = append(kept, m)
		}
	}
	if slices.Sort(kept); strings.Join(kept, ",") != "a" {
		t.Errorf("memos left %v, want only the one whose index is left", kept)
	}
}

var _ = context.Background

// TestOpenRemote_Plain reads a plain tar over HTTP: the build streams it
// once, members are read at their offsets through ranged reads, and a
// member's read fetches little more than its own bytes.
func TestOpenRemote_Plain(t *testing.T) {
	var warn []string
	opts := remoteOptions(t, &warn)
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 3, SmallFiles: 30, BigFiles: 2, BigSize: 300 << 10})
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	f := newFiles(t)
	url := f.put("shard-000.tar", tarBytes)

	a, err := Open(t.Context(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := a.Stats(); st.BytesFetched != int64(len(tarBytes))+1 {
		t.Errorf("build fetched %d bytes of a %d-byte archive, want each byte once and the identity's byte", st.BytesFetched, len(tarBytes))
	}
	if c := a.Info().Compression; c != None {
		t.Errorf("compression %q, want none", c)
	}
	checkAllMembers(t, a, entries)
	a.Close()

	a = mustOpen(t, url, opts)
	m, fetched, requests := readBigMember(t, a)
	need := m.DataEnd - m.HeaderOffset
	t.Logf("get of a %d-byte member: %d archive bytes in %d requests", m.Header.Size, fetched, requests)
	// Block alignment on both sides, and the buffer past the end.
	if slack := int64(2*16<<10 + plainBufSize); fetched < need || fetched > need+slack {
		t.Errorf("get of a %d-byte member fetched %d bytes, want %d to %d", m.Header.Size, fetched, need, need+slack)
	}
	problems, err := a.Verify(t.Context(), nil)
	if err != nil || len(problems) != 0 {
		t.Errorf("Verify: %v, %v", problems, err)
	}
}
