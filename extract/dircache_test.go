package extract

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// openFDs counts the descriptors of the process. It first makes the
// runtime start its network poller (a pipe is registered with it), whose
// descriptors stay open from then on: the first directory the Writer opens
// through the os.Root would start it otherwise, and the test, run alone,
// would count those as leaked.
func openFDs(t *testing.T) int {
	t.Helper()
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(ents)
}

// TestDirCacheManyDirs writes members round-robin over more directories
// than the cache keeps, some below missing parents, and checks the tree, the
// bound on open handles, and that Close closes them all.
func TestDirCacheManyDirs(t *testing.T) {
	const dirs = maxDirHandles + 44
	dir := t.TempDir()
	before := openFDs(t)
	w := newWriter(t, dir, defaultOpts())
	name := func(d, i int) string {
		if d%5 == 0 {
			return fmt.Sprintf("deep/%03d/a/b/f%d", d, i) // parents missing
		}
		return fmt.Sprintf("d%03d/f%d", d, i)
	}
	for d := range dirs {
		if d%5 != 0 {
			must(t, writeEnt(w, dirEnt(fmt.Sprintf("d%03d/", d), 0o755, mt1)))
		}
	}
	for i := range 2 {
		for d := range dirs {
			must(t, writeEnt(w, reg(name(d, i), 0o644, name(d, i))))
		}
	}
	if n := len(w.dirs.m); n > maxDirHandles {
		t.Errorf("%d directory handles cached, want at most %d", n, maxDirHandles)
	}
	if n := openFDs(t) - before; n > maxDirHandles+2 {
		t.Errorf("%d descriptors open during the extraction, want at most %d", n, maxDirHandles+2)
	}
	must(t, w.Close())
	if n := openFDs(t); n != before {
		t.Errorf("%d descriptors open after Close, %d before", n, before)
	}
	for i := range 2 {
		for d := range dirs {
			if got := readFile(t, filepath.Join(dir, name(d, i))); got != name(d, i) {
				t.Errorf("%s holds %q", name(d, i), got)
			}
		}
	}
}

// TestDirCacheReplacedDir checks that a directory replaced by another
// member, and then made again, is not written through the handle of the
// directory that was removed.
func TestDirCacheReplacedDir(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replace ent
	}{
		{"by a regular file", reg("d", 0o644, "file")},
		{"by a FIFO", fifo("d", 0o644)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w := newWriter(t, dir, defaultOpts())
			must(t, writeEnt(w, dirEnt("d/", 0o755, mt1)))
			must(t, writeEnt(w, reg("d/a", 0o644, "a"))) // caches d
			must(t, os.Remove(filepath.Join(dir, "d", "a")))
			must(t, writeEnt(w, tc.replace)) // removes the empty d
			must(t, writeEnt(w, dirEnt("d/", 0o755, mt1)))
			must(t, writeEnt(w, reg("d/b", 0o644, "b")))
			must(t, w.Close())
			if got := readFile(t, filepath.Join(dir, "d", "b")); got != "b" {
				t.Errorf("d/b holds %q", got)
			}
		})
	}
}

// TestDirCacheExistingSymlink checks that a symbolic link to a directory
// that was in the destination before, and stays inside it, is followed as
// GNU tar follows it, also for members below it whose parents are cached,
// while one that leads outside is refused.
func TestDirCacheExistingSymlink(t *testing.T) {
	outside, secret, dir := escapeDirs(t)
	must(t, os.MkdirAll(filepath.Join(dir, "real", "sub"), 0o755))
	must(t, os.Symlink("real", filepath.Join(dir, "link")))
	must(t, os.Symlink("../esc", filepath.Join(dir, "real", "out")))
	w := newWriter(t, dir, defaultOpts())
	must(t, writeEnt(w, reg("link/x", 0o644, "x")))
	must(t, writeEnt(w, reg("link/sub/y", 0o644, "y")))
	must(t, writeEnt(w, reg("link/new/z", 0o644, "z")))
	wantMemberErr(t, writeEnt(w, reg("link/out/evil", 0o644, "evil")), "link/out/evil", ErrUnsafePath)
	wantMemberErr(t, writeEnt(w, reg("real/out/evil", 0o644, "evil")), "real/out/evil", ErrUnsafePath)
	must(t, w.Close())
	for name, want := range map[string]string{"real/x": "x", "real/sub/y": "y", "real/new/z": "z"} {
		if got := readFile(t, filepath.Join(dir, name)); got != want {
			t.Errorf("%s holds %q, want %q", name, got, want)
		}
	}
	if got := readFile(t, secret); got != "secret" {
		t.Errorf("outside file changed to %q", got)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Errorf("outside directory has %d entries, want 1", len(ents))
	}
}

// TestDirCacheSetDirs checks that Close sets the metadata of directories
// reached through a symbolic link that was in the destination before and
// stays inside it, as GNU tar does, after the links of the archive replaced
// a directory whose handle was cached; and that a directory below a
// symbolic link from the archive is refused.
func TestDirCacheSetDirs(t *testing.T) {
	_, _, dir := escapeDirs(t)
	must(t, os.MkdirAll(filepath.Join(dir, "real"), 0o755))
	must(t, os.Symlink("real", filepath.Join(dir, "link")))
	w := newWriter(t, dir, defaultOpts())
	must(t, writeEnt(w, dirEnt("link/a/", 0o750, mt1)))
	must(t, writeEnt(w, dirEnt("link/a/b/", 0o705, mt1)))
	must(t, writeEnt(w, reg("link/a/b/f", 0o644, "f")))
	must(t, writeEnt(w, dirEnt("e/", 0o755, mt1)))
	must(t, writeEnt(w, reg("e/x", 0o644, "x"))) // caches e
	must(t, os.Remove(filepath.Join(dir, "e", "x")))
	must(t, writeEnt(w, symlink("e", "real"))) // made by Close, over the empty e
	wantMemberErr(t, writeEnt(w, dirEnt("e/sub/", 0o700, mt1)), "e/sub/", ErrUnsafePath)
	must(t, w.Close())
	for name, mode := range map[string]fs.FileMode{"real/a": 0o750, "real/a/b": 0o705} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.IsDir() || fi.Mode().Perm() != mode || !fi.ModTime().Equal(mt1) {
			t.Errorf("%s: %v, mtime %v; want a directory %v, mtime %v", name, fi.Mode(), fi.ModTime(), mode, mt1)
		}
	}
	if fi, err := os.Lstat(filepath.Join(dir, "e")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("e: %v, %v; want the archive's symbolic link", fi, err)
	}
}
