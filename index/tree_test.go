package index

import (
	"archive/tar"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/match"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestTree checks the directory tree of an archive with explicit and
// implied directories, duplicates, names stored in several spellings, a
// file that later members make a directory, and names the tree leaves out.
func TestTree(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	reg := func(name string, h int, data string) testarchive.Entry {
		return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: at(h)}, Data: []byte(data)}
	}
	dir := func(name string, h int) testarchive.Entry {
		return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o750, ModTime: at(h)}}
	}
	entries := []testarchive.Entry{
		dir("a/", 0),          // 0
		reg("a/x", 1, "x1"),   // 1, replaced by 5
		reg("b/c/d", 7, "d"),  // 2: b and b/c implied, newest beneath 7
		reg("./b/e", 3, "e"),  // 3
		reg("f", 2, "file"),   // 4: later made a directory by 6
		reg("/a//x", 4, "x2"), // 5: the same path as 1
		reg("f/g", 5, "g"),    // 6
		reg("../evil", 1, ""), // 7: not in the tree
		dir("./", 1),          // 8: the top itself
	}
	p := writeArchive(t, testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel6))
	a := mustOpen(t, p, Options{})
	defer a.Close()

	tests := []struct {
		path     string
		dir      bool
		seq      int64
		seqs     []int64
		mtime    time.Time // of implied directories
		notFound bool
	}{
		{path: ".", dir: true, seq: -1, mtime: at(7)}, // the newest of a, b and f
		{path: "a", dir: true, seq: 0, seqs: []int64{0}},
		{path: "a/", dir: true, seq: 0, seqs: []int64{0}},
		{path: "a/x", seq: 5, seqs: []int64{1, 5}},
		{path: "/a//x", seq: 5, seqs: []int64{1, 5}},
		{path: "b", dir: true, seq: -1, mtime: at(7)},
		{path: "b/c", dir: true, seq: -1, mtime: at(7)},
		{path: "b/c/d", seq: 2, seqs: []int64{2}},
		{path: "b/e", seq: 3, seqs: []int64{3}},
		{path: "f", dir: true, seq: -1, seqs: []int64{4}, mtime: at(5)},
		{path: "f/g", seq: 6, seqs: []int64{6}},
		{path: "evil", notFound: true},
		{path: "../evil", notFound: true},
		{path: "b/c/d/e", notFound: true},
		{path: "c", notFound: true},
	}
	for _, tt := range tests {
		e, err := a.Stat(tt.path)
		if tt.notFound {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("Stat(%q) = %+v, %v; want ErrNotFound", tt.path, e, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Stat(%q): %v", tt.path, err)
			continue
		}
		if e.Dir != tt.dir || e.Seq != tt.seq || !slices.Equal(e.Seqs, tt.seqs) || (e.Implicit() && !e.ModTime.Equal(tt.mtime)) {
			t.Errorf("Stat(%q) = dir %v, seq %d, seqs %v, mtime %v; want %v, %d, %v, %v", tt.path, e.Dir, e.Seq, e.Seqs, e.ModTime, tt.dir, tt.seq, tt.seqs, tt.mtime)
		}
	}

	var names []string
	if err := a.ReadDir(".", func(e *Entry) error { names = append(names, e.Path); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "f"}; !slices.Equal(names, want) {
		t.Errorf("ReadDir(.) = %q, want %q", names, want)
	}
	names = nil
	if err := a.Walk("b", func(e *Entry) error { names = append(names, e.Path); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"b", "b/c", "b/c/d", "b/e"}; !slices.Equal(names, want) {
		t.Errorf("Walk(b) = %q, want %q", names, want)
	}
	if err := a.ReadDir("b/e", func(*Entry) error { return nil }); err == nil {
		t.Error("ReadDir of a file: no error")
	}

	// Superseded: 1 (by 5); 4, which 6 makes a directory in the tree, is
	// still extracted (the Writer meets it).
	var sup []int64
	if err := a.Members(func(m *Member) error {
		if m.Superseded {
			sup = append(sup, m.Seq)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []int64{1}; !slices.Equal(sup, want) {
		t.Errorf("superseded %v, want %v", sup, want)
	}
	if a.Info().UnsafeNames != 1 {
		t.Errorf("UnsafeNames = %d, want 1", a.Info().UnsafeNames)
	}
}

// TestSelect_Tree checks that Select through the tree picks what a scan
// with internal/match picks, in archive order, for names, directories and
// globs; the archive has no unsafe names, so the tree is used.
func TestSelect_Tree(t *testing.T) {
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 3, SmallFiles: 60})
	var safe []testarchive.Entry
	for _, e := range entries {
		if !strings.Contains(e.Header.Name, "..") {
			safe = append(safe, e)
		}
	}
	p := writeArchive(t, testarchive.Gzip(t, testarchive.Tar(t, safe, tar.FormatPAX), testarchive.GoLevel6))
	a := mustOpen(t, p, Options{})
	defer a.Close()
	if a.Info().UnsafeNames != 0 {
		t.Fatalf("UnsafeNames = %d", a.Info().UnsafeNames)
	}
	var all []*Member
	if err := a.Members(func(m *Member) error { all = append(all, m); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, pats := range [][]string{
		{all[len(all)/2].Header.Name},
		{"src"}, {"src/"}, {"./src"}, {"src/*"}, {"**/*.txt"}, {"*"}, {"src/**"},
		{"missing"}, {"src", "missing", "src/dup.txt"},
	} {
		var got, want []int64
		unmatched, err := a.Select(pats, func(m *Member) error { got = append(got, m.Seq); return nil })
		if err != nil {
			t.Fatalf("Select(%q): %v", pats, err)
		}
		sel := mustMatcher(t, pats)
		for _, m := range all {
			if sel.Match(m.Header.Name) {
				want = append(want, m.Seq)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("Select(%q) = %v, want %v", pats, got, want)
		}
		if !slices.Equal(unmatched, sel.Unmatched()) {
			t.Errorf("Select(%q): unmatched %q, want %q", pats, unmatched, sel.Unmatched())
		}
	}
}

func mustMatcher(t *testing.T, pats []string) *match.Matcher {
	t.Helper()
	m, err := match.New(pats)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
