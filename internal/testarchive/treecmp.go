package testarchive

// Tree comparison for extraction tests: what GNU tar leaves against what
// tarx leaves, path by path.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TreeEntry is what the comparison looks at in one path of a tree.
type TreeEntry struct {
	typ    string // "file", "dir", "symlink", "fifo", "char", "block", "socket"
	perm   uint32 // permission bits with setuid, setgid and sticky
	size   int64  // regular files
	sum    [32]byte
	mtime  int64 // seconds; not for symbolic links
	target string
	uid    uint32
	gid    uint32
	rdev   uint64
	holes  bool   // regular file with fewer bytes allocated than its size
	links  string // the paths of the tree sharing this inode (non-directories)
}

// Snapshot describes every path under root (not root itself), keyed by
// slash-separated relative name, without following symbolic links.
func Snapshot(t testing.TB, root string) map[string]TreeEntry {
	t.Helper()
	tree := map[string]TreeEntry{}
	inodes := map[[2]uint64][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		e := TreeEntry{perm: st.Mode & 0o7777, mtime: st.Mtim.Sec, uid: st.Uid, gid: st.Gid}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			e.typ = "file"
			e.size = st.Size
			e.holes = st.Blocks*512 < st.Size
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.sum = sha256.Sum256(b)
		case unix.S_IFDIR:
			e.typ = "dir"
		case unix.S_IFLNK:
			e.typ = "symlink"
			e.mtime = 0
			if e.target, err = os.Readlink(p); err != nil {
				return err
			}
		case unix.S_IFIFO:
			e.typ = "fifo"
		case unix.S_IFCHR:
			e.typ, e.rdev = "char", st.Rdev
		case unix.S_IFBLK:
			e.typ, e.rdev = "block", st.Rdev
		case unix.S_IFSOCK:
			e.typ = "socket"
		default:
			e.typ = fmt.Sprintf("mode %#o", st.Mode)
		}
		if e.typ != "dir" {
			k := [2]uint64{st.Dev, st.Ino}
			inodes[k] = append(inodes[k], rel)
		}
		tree[rel] = e
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot of %s: %v", root, err)
	}
	for _, names := range inodes {
		slices.Sort(names)
		group := strings.Join(names, ", ")
		for _, n := range names {
			e := tree[n]
			e.links = group
			tree[n] = e
		}
	}
	return tree
}

// DiffTrees lists every difference between the tree want (the reference) and
// the tree got. A file with holes in want must have holes in got; got may
// have holes where want has none (runs of zeros become holes).
//
// dirTimes holds the archived mtime of each directory member. A directory
// of got may have its archived mtime where GNU tar's has another: GNU tar
// sets a directory's time when extraction leaves it, so a later member in
// it (in an archive that scatters a directory's members) changes it; the
// Writer sets directory times last, and documents the difference.
func DiffTrees(want, got map[string]TreeEntry, dirTimes map[string]int64) []string {
	var diffs []string
	add := func(name, format string, args ...any) {
		diffs = append(diffs, name+": "+fmt.Sprintf(format, args...))
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		w := want[name]
		g, ok := got[name]
		if !ok {
			add(name, "missing (want %s)", w.typ)
			continue
		}
		if w.typ != g.typ {
			add(name, "type %s, want %s", g.typ, w.typ)
			continue
		}
		if w.perm != g.perm && w.typ != "symlink" {
			add(name, "mode %#o, want %#o", g.perm, w.perm)
		}
		if w.uid != g.uid || w.gid != g.gid {
			add(name, "owner %d:%d, want %d:%d", g.uid, g.gid, w.uid, w.gid)
		}
		if at, ok := dirTimes[name]; w.mtime != g.mtime && !(w.typ == "dir" && ok && (g.mtime == at || at == AnyTime)) {
			add(name, "mtime %s, want %s", unixTime(g.mtime), unixTime(w.mtime))
		}
		switch w.typ {
		case "file":
			if w.size != g.size {
				add(name, "size %d, want %d", g.size, w.size)
			} else if w.sum != g.sum {
				add(name, "contents differ (size %d)", w.size)
			}
			if w.holes && !g.holes {
				add(name, "no holes, want a sparse file (size %d)", w.size)
			}
		case "symlink":
			if w.target != g.target {
				add(name, "symlink to %q, want %q", g.target, w.target)
			}
		case "char", "block":
			if w.rdev != g.rdev {
				add(name, "device %#x, want %#x", g.rdev, w.rdev)
			}
		}
		if w.links != g.links {
			add(name, "hard-link group [%s], want [%s]", g.links, w.links)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[name]; !ok {
			add(name, "unexpected %s", got[name].typ)
		}
	}
	return diffs
}

func unixTime(sec int64) string { return time.Unix(sec, 0).UTC().Format(time.RFC3339) }

// CompareTrees reports every difference between the trees under ref
// and got, extracted from the tar.gz gz.
func CompareTrees(t testing.TB, archive []byte, ref, got string) {
	t.Helper()
	diffs := DiffTrees(Snapshot(t, ref), Snapshot(t, got), DirTimes(t, archive))
	for _, d := range diffs {
		t.Error(d)
	}
	if len(diffs) > 0 {
		t.Logf("%d differences between %s (GNU tar) and %s", len(diffs), ref, got)
	}
}

// AnyTime, as a DirTimes value, accepts any mtime: the directory is
// implied by its members, and both extractions gave it their own time.
const AnyTime = -1 << 63

// DirTimes returns the mtime of the last member of each directory name
// of the archive (a tar.gz or a plain tar), by name as extracted, and
// AnyTime for directories that only the names of other members imply.
func DirTimes(t testing.TB, archive []byte) map[string]int64 {
	t.Helper()
	return DirTimesOf(t, TarStream(t, archive))
}

// DirTimesOf is DirTimes of the tar stream r.
func DirTimesOf(t testing.TB, r io.Reader) map[string]int64 {
	t.Helper()
	times := map[string]int64{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return times
		}
		if err != nil {
			t.Fatalf("reading the archive: %v", err)
		}
		name := path.Clean(strings.TrimLeft(hdr.Name, "/"))
		for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
			if _, ok := times[d]; !ok {
				times[d] = AnyTime
			}
		}
		if hdr.Typeflag == tar.TypeDir {
			times[name] = hdr.ModTime.Unix()
		} else {
			delete(times, name)
		}
	}
}

// GNUTarExtract extracts the archive at archive (a tar.gz or a plain tar:
// GNU tar tells them apart by content) into dir with GNU tar, as the
// current user, with the further tar options opts, and fails the test if
// tar fails.
func GNUTarExtract(t testing.TB, archive, dir string, opts ...string) {
	t.Helper()
	out, err := exec.Command("tar", "--version").Output()
	if err != nil || !bytes.Contains(out, []byte("GNU tar")) {
		t.Skip("GNU tar is not installed as tar")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("tar", append([]string{"-xf", archive, "-C", dir}, opts...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar -xf %s -C %s: %v\n%s", archive, dir, err, out)
	}
}

// TarStream returns the tar stream of archive: gunzipped if it is gzip
// data, else archive itself (a plain tar).
func TarStream(t testing.TB, archive []byte) io.Reader {
	t.Helper()
	if bytes.HasPrefix(archive, []byte{0x1f, 0x8b}) {
		return Gunzip(t, archive)
	}
	return bytes.NewReader(archive)
}

// Gunzip returns a reader of the gzip data gz.
func Gunzip(t testing.TB, gz []byte) io.Reader {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return zr
}

// Corpus is the table of archives of test 1: each builds a tar.gz.
// Corpus returns archives made by every producer the extraction tests
// compare with GNU tar: GNU tar (gnu, posix, ustar, sparse), bsdtar, pigz,
// pigz -i and Go's archive/tar, gzip-compressed.
func Corpus() []struct {
	Name string
	Make func(t testing.TB) []byte
} {
	mixed := func() []Entry {
		return Mixed(MixedOptions{Seed: 11, SmallFiles: 40, BigFiles: 3, BigSize: 300 << 10})
	}
	byTool := func(t testing.TB, format string) []byte {
		dir := t.TempDir()
		WriteTree(t, dir, Fit(mixed(), format))
		return TarTool(t, dir, format)
	}
	// GNU gzip -6 (as "tar -z" uses), run natively: compress/flate under
	// the race detector is slow.
	gz := func(t testing.TB, tb []byte) []byte { return External(t, tb, "gzip-6") }
	sparse := func(format string) func(t testing.TB) []byte {
		return func(t testing.TB) []byte {
			tb, _ := GNUSparse(t, format)
			return gz(t, tb)
		}
	}
	return []struct {
		Name string
		Make func(t testing.TB) []byte
	}{
		{"gnutar-gnu", func(t testing.TB) []byte { return gz(t, byTool(t, "gnu")) }},
		{"gnutar-posix", func(t testing.TB) []byte { return gz(t, byTool(t, "posix")) }},
		{"gnutar-ustar", func(t testing.TB) []byte { return gz(t, byTool(t, "ustar")) }},
		{"gnutar-sparse-gnu", sparse("gnu")},
		{"gnutar-sparse-posix", sparse("posix")},
		{"bsdtar", func(t testing.TB) []byte { return gz(t, byTool(t, "bsdtar")) }},
		{"pigz", func(t testing.TB) []byte { return External(t, byTool(t, "gnu"), "pigz") }},
		{"pigz-i", func(t testing.TB) []byte { return External(t, byTool(t, "gnu"), "pigz-i") }},
		{"go-gnu", func(t testing.TB) []byte { return gz(t, Tar(t, mixed(), tar.FormatGNU)) }},
		{"go-pax", func(t testing.TB) []byte { return gz(t, Tar(t, mixed(), tar.FormatPAX)) }},
	}
}
