package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// scaleMembers is the size of the archive of TestScale: big enough that
// anything that scans every member for one answer shows, small enough
// for make test.
const scaleMembers = 200_000

// writeScaleArchive writes a tar.gz of n members to p: directories
// d000..d199 of small files, some directories with entries of their own
// and some only implied, a duplicate whose later copy wins, and a name
// that is first a file and later a directory. It returns the names of
// the members of d007, in order.
func writeScaleArchive(t *testing.T, p string, n int) []string {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	mtime := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	put := func(h *tar.Header, data string) {
		h.ModTime, h.Size, h.Format = mtime, int64(len(data)), tar.FormatPAX
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	const dirs = 200
	var d007 []string
	for i := range n - 4 {
		d := i % dirs
		if i < dirs && d%2 == 0 {
			put(&tar.Header{Typeflag: tar.TypeDir, Name: fmt.Sprintf("d%03d/", d), Mode: 0o750}, "")
		}
		name := fmt.Sprintf("d%03d/f%06d", d, i)
		if d == 7 {
			d007 = append(d007, name)
		}
		data := ""
		if i%10 == 0 {
			data = name // a few non-empty members
		}
		put(&tar.Header{Typeflag: tar.TypeReg, Name: name}, data)
	}
	put(&tar.Header{Typeflag: tar.TypeReg, Name: "dup"}, "first")
	put(&tar.Header{Typeflag: tar.TypeReg, Name: "dup"}, "second")
	put(&tar.Header{Typeflag: tar.TypeReg, Name: "became-dir"}, "file")
	put(&tar.Header{Typeflag: tar.TypeDir, Name: "became-dir/", Mode: 0o755}, "")
	for _, c := range []interface{ Close() error }{tw, zw, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return d007
}

// TestScale builds the index of a 200,000-member archive and checks
// lookups, listings of explicit and implied directories, duplicates and a
// file replaced by a directory against GNU tar, then extracts it and
// compares the tree with tar -xzf's.
func TestScale(t *testing.T) {
	requireGNUTar(t)
	t.Setenv("TZ", "UTC")
	t.Setenv("LC_ALL", "C")
	// 200,000 members under the race detector on 2 cores: minutes, not
	// seconds, for the index build and the extraction.
	old := cmdTimeout
	cmdTimeout = 10 * time.Minute
	t.Cleanup(func() { cmdTimeout = old })
	dir := memTempDir(t)
	p := filepath.Join(dir, "big.tar.gz")
	d007 := writeScaleArchive(t, p, scaleMembers)
	mustRun(t, "index", p)

	// ls DIR/ and a glob list what tar lists for them, in archive order.
	for _, pat := range []string{"d007/", "d008", "d007/*", "d00[78]/f0002??"} {
		want, err := exec.Command("tar", "-tzf", p, "--wildcards", pat).Output()
		if err != nil {
			t.Fatalf("tar -tzf --wildcards %s: %v", pat, err)
		}
		r := mustRun(t, "ls", p, pat)
		if r.stdout != string(want) {
			t.Errorf("tarx ls %s: %d lines, tar: %d%s", pat, strings.Count(r.stdout, "\n"), bytes.Count(want, []byte("\n")), diffLines(string(want), r.stdout))
		}
	}
	if r := mustRun(t, "ls", p, "d007/"); strings.Count(r.stdout, "\n") != len(d007) {
		t.Errorf("ls d007/: %d lines, want its %d members", strings.Count(r.stdout, "\n"), len(d007))
	}
	// The implied directory d007 has no entry: ls d007/ lists its files.
	if r := mustRun(t, "ls", p, "d007"); !strings.HasPrefix(r.stdout, d007[0]+"\n") {
		t.Errorf("ls d007 starts with %q, want %q", r.stdout[:min(len(r.stdout), 40)], d007[0])
	}
	// Lookups: a member, the duplicate (both copies, as tar -xO), a file.
	for _, name := range []string{d007[len(d007)-1], "d190/f199990", "dup"} {
		want, err := exec.Command("tar", "-xzOf", p, name).Output()
		if err != nil {
			t.Fatalf("tar -xzOf %s: %v", name, err)
		}
		if r := mustRun(t, "get", p, name, "-O"); r.stdout != string(want) {
			t.Errorf("get %s -O = %q, tar -xO gives %q", name, r.stdout, want)
		}
	}

	// -T: a thousand names as GNU tar reads them, in one pass.
	list := filepath.Join(dir, "names")
	if err := os.WriteFile(list, []byte(strings.Join(d007, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	refT, gotT := filepath.Join(dir, "refT"), filepath.Join(dir, "gotT")
	os.MkdirAll(refT, 0o755)
	if out, err := exec.Command("tar", "-xzf", p, "-C", refT, "-T", list).CombinedOutput(); err != nil {
		t.Fatalf("tar -T: %v\n%s", err, out)
	}
	mustRun(t, "get", p, "-T", list, "-C", gotT)
	if diffs := testarchive.DiffTrees(testarchive.Snapshot(t, refT), testarchive.Snapshot(t, gotT), map[string]int64{"d007": testarchive.AnyTime}); len(diffs) > 0 {
		t.Errorf("get -T: %d differences with tar -T, first: %q", len(diffs), diffs[:min(len(diffs), 5)])
	}

	ref := filepath.Join(dir, "ref")
	testarchive.GNUTarExtract(t, p, ref)
	got := filepath.Join(dir, "got")
	mustRun(t, "extract", p, "-C", got)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	times := testarchive.DirTimesOf(t, zr)
	if diffs := testarchive.DiffTrees(testarchive.Snapshot(t, ref), testarchive.Snapshot(t, got), times); len(diffs) > 0 {
		t.Errorf("%d differences with tar -xzf, first: %q", len(diffs), diffs[:min(len(diffs), 5)])
	}
}

// memTempDir returns a new directory in /dev/shm (tmpfs) if there is one,
// else in the test's temporary directory: creating 200,000 files twice is
// the cost of TestScale, and tmpfs keeps it to a few seconds.
func memTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "tarx-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestGet_FilesFrom selects members by -T FILE and -T - with --null: names
// are literal (a name with glob syntax selects only itself), a missing
// name is reported, and get -T needs no NAME argument.
func TestGet_FilesFrom(t *testing.T) {
	dir := t.TempDir()
	entries := []testarchive.Entry{
		regEntry("a/[x]", "bracket"), regEntry("a/x", "plain"), regEntry("b*", "star"), regEntry("bb", "bb"),
	}
	p := writeArchive(t, "t.tar.gz", testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel6))
	list := filepath.Join(dir, "list")
	os.WriteFile(list, []byte("a/[x]\nb*\n\nmissing\n"), 0o644)
	r := runTarx(t, "get", p, "-T", list, "-O")
	if r.stdout != "bracketstar" || r.code != 1 || !strings.Contains(r.stderr, "missing: not found in archive") {
		t.Errorf("get -T %s -O: %v", list, r)
	}
	out := filepath.Join(dir, "out")
	os.WriteFile(list, []byte("a/[x]\x00bb\x00"), 0o644)
	mustRun(t, "get", p, "-T", list, "--null", "-C", out)
	if got, want := treeOf(t, out), []string{"a/", "a/[x] (7 bytes, 6f74a773)", "bb (2 bytes, 3f2bab85)"}; !slices.Equal(got, want) {
		t.Errorf("get -T --null: extracted %q, want %q", got, want)
	}
}
