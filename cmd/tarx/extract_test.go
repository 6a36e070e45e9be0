package main

// Acceptance tests of "tarx extract" (and the helpers shared with
// get_test.go): the trees the command leaves, from an index, without one,
// and from standard input, must equal the trees GNU tar 1.34 leaves.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
	"golang.org/x/sys/unix"
)

// gxExecEnv makes the test binary run as the tarx command (see init), so
// that tests can run tarx in a process of its own, with a standard input,
// without building it separately; the binary is race-instrumented too.
const gxExecEnv = "TARX_GX_EXEC"

func init() {
	if os.Getenv(gxExecEnv) != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, append([]string{"tarx"}, os.Args[1:]...), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// gxResult is what one tarx command line answered.
type gxResult struct {
	code           int
	stdout, stderr string
}

func (r gxResult) String() string {
	return fmt.Sprintf("exit %d, stderr:\n%s", r.code, r.stderr)
}

// gxRun runs the tarx command line args in this process.
func gxRun(t *testing.T, args ...string) gxResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"tarx"}, args...), &stdout, &stderr)
	return gxResult{code, stdout.String(), stderr.String()}
}

// gxExec runs tarx with args in a new process reading stdin.
func gxExec(t *testing.T, stdin []byte, args ...string) gxResult {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("cannot find the test binary: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), gxExecEnv+"=1")
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running tarx %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return gxResult{code, stdout.String(), stderr.String()}
}

// gxWant0 fails the test unless r is a success without diagnostics.
func gxWant0(t *testing.T, r gxResult, what string) {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("%s: %v", what, r)
	}
}

// gxStderrLines checks that every line on standard error is a tarx
// diagnostic.
func gxStderrLines(t *testing.T, r gxResult) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, "tarx: ") {
			t.Errorf("stderr line without \"tarx: \": %q", l)
		}
	}
}

// gxArchiveFile writes gz to a new file in a new temporary directory,
// where nothing else is (so no index yet).
func gxArchiveFile(t *testing.T, gz []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "archive.tar.gz")
	if err := os.WriteFile(p, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ---------------------------------------------------------------------------
// Tree comparison

// gxEntry is what the comparison looks at in one path of a tree.
type gxEntry struct {
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

// gxSnapshot describes every path under root (not root itself), keyed by
// slash-separated relative name, without following symbolic links.
func gxSnapshot(t *testing.T, root string) map[string]gxEntry {
	t.Helper()
	tree := map[string]gxEntry{}
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
		e := gxEntry{perm: st.Mode & 0o7777, mtime: st.Mtim.Sec, uid: st.Uid, gid: st.Gid}
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

// gxDiff lists every difference between the tree want (the reference) and
// the tree got. A file with holes in want must have holes in got; got may
// have holes where want has none (runs of zeros become holes).
//
// dirTimes holds the archived mtime of each directory member. A directory
// of got may have its archived mtime where GNU tar's has another: GNU tar
// sets a directory's time when extraction leaves it, so a later member in
// it (in an archive that scatters a directory's members) changes it; the
// Writer sets directory times last, and documents the difference.
func gxDiff(want, got map[string]gxEntry, dirTimes map[string]int64) []string {
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
		if at, ok := dirTimes[name]; w.mtime != g.mtime && !(w.typ == "dir" && ok && g.mtime == at) {
			add(name, "mtime %s, want %s", gxTime(g.mtime), gxTime(w.mtime))
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

func gxTime(sec int64) string { return time.Unix(sec, 0).UTC().Format(time.RFC3339) }

// gxCompareTrees reports every difference between the trees under ref
// and got, extracted from the tar.gz gz.
func gxCompareTrees(t *testing.T, gz []byte, ref, got string) {
	t.Helper()
	diffs := gxDiff(gxSnapshot(t, ref), gxSnapshot(t, got), gxDirTimes(t, gz))
	for _, d := range diffs {
		t.Error(d)
	}
	if len(diffs) > 0 {
		t.Logf("%d differences between %s (GNU tar) and %s", len(diffs), ref, got)
	}
}

// gxDirTimes returns the mtime of the last member of each directory name
// of the tar.gz gz, by name as extracted.
func gxDirTimes(t *testing.T, gz []byte) map[string]int64 {
	t.Helper()
	times := map[string]int64{}
	tr := tar.NewReader(gxGunzip(t, gz))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return times
		}
		if err != nil {
			t.Fatalf("reading the archive: %v", err)
		}
		name := path.Clean(strings.TrimLeft(hdr.Name, "/"))
		if hdr.Typeflag == tar.TypeDir {
			times[name] = hdr.ModTime.Unix()
		} else {
			delete(times, name)
		}
	}
}

// ---------------------------------------------------------------------------
// Archives

// gxGNUTar extracts the gzip archive at archive into dir with GNU tar, as
// the current user, and fails the test if tar fails.
func gxGNUTar(t *testing.T, archive, dir string) {
	t.Helper()
	out, err := exec.Command("tar", "--version").Output()
	if err != nil || !bytes.Contains(out, []byte("GNU tar")) {
		t.Skip("GNU tar is not installed as tar")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("tar", "-xzf", archive, "-C", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar -xzf %s -C %s: %v\n%s", archive, dir, err, out)
	}
}

func gxGunzip(t *testing.T, gz []byte) io.Reader {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return zr
}

// gxCorpus is the table of archives of test 1: each builds a tar.gz.
func gxCorpus() []struct {
	name string
	make func(t *testing.T) []byte
} {
	mixed := func() []testarchive.Entry {
		return testarchive.Mixed(testarchive.MixedOptions{Seed: 11, SmallFiles: 40, BigFiles: 3, BigSize: 300 << 10})
	}
	byTool := func(t *testing.T, format string) []byte {
		dir := t.TempDir()
		testarchive.WriteTree(t, dir, testarchive.Fit(mixed(), format))
		return testarchive.TarTool(t, dir, format)
	}
	// GNU gzip -6 (as "tar -z" uses), run natively: compress/flate under
	// the race detector is slow.
	gz := func(t *testing.T, tb []byte) []byte { return testarchive.External(t, tb, "gzip-6") }
	sparse := func(format string) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			tb, _ := testarchive.GNUSparse(t, format)
			return gz(t, tb)
		}
	}
	return []struct {
		name string
		make func(t *testing.T) []byte
	}{
		{"gnutar-gnu", func(t *testing.T) []byte { return gz(t, byTool(t, "gnu")) }},
		{"gnutar-posix", func(t *testing.T) []byte { return gz(t, byTool(t, "posix")) }},
		{"gnutar-ustar", func(t *testing.T) []byte { return gz(t, byTool(t, "ustar")) }},
		{"gnutar-sparse-gnu", sparse("gnu")},
		{"gnutar-sparse-posix", sparse("posix")},
		{"bsdtar", func(t *testing.T) []byte { return gz(t, byTool(t, "bsdtar")) }},
		{"pigz", func(t *testing.T) []byte { return testarchive.External(t, byTool(t, "gnu"), "pigz") }},
		{"pigz-i", func(t *testing.T) []byte { return testarchive.External(t, byTool(t, "gnu"), "pigz-i") }},
		{"go-gnu", func(t *testing.T) []byte { return gz(t, testarchive.Tar(t, mixed(), tar.FormatGNU)) }},
		{"go-pax", func(t *testing.T) []byte { return gz(t, testarchive.Tar(t, mixed(), tar.FormatPAX)) }},
	}
}

// ---------------------------------------------------------------------------
// 1. "tarx extract" leaves the tree GNU tar leaves: without an index (the
// index is left behind), with it, and from standard input.

func TestGxExtractMatchesGNUTar(t *testing.T) {
	for _, tc := range gxCorpus() {
		t.Run(tc.name, func(t *testing.T) {
			gz := tc.make(t)
			a := gxArchiveFile(t, gz)
			ref := filepath.Join(t.TempDir(), "ref")
			gxGNUTar(t, a, ref)

			// Cold: no index yet; the archive is read once and the index
			// is built on the way.
			if _, err := os.Stat(a + ".tarx"); err == nil {
				t.Fatal("index exists before the first extraction")
			}
			cold := filepath.Join(t.TempDir(), "cold") // created by tarx
			gxWant0(t, gxRun(t, "extract", a, "-C", cold), "extract without index")
			gxCompareTrees(t, gz, ref, cold)
			if fi, err := os.Stat(a + ".tarx"); err != nil || fi.Size() == 0 {
				t.Errorf("the cold extraction left no index at %s.tarx: %v", a, err)
			}

			// With the index the cold run left.
			indexed := filepath.Join(t.TempDir(), "indexed")
			gxWant0(t, gxRun(t, "extract", a, "-C", indexed, "-j", "4"), "extract with index")
			gxCompareTrees(t, gz, ref, indexed)

			// From standard input.
			stdin := filepath.Join(t.TempDir(), "stdin")
			gxWant0(t, gxExec(t, gz, "extract", "-", "-C", stdin), "extract -")
			gxCompareTrees(t, gz, ref, stdin)
		})
	}
}

// ---------------------------------------------------------------------------
// 4. Nothing is written outside the destination, whatever the names and
// links of the archive; refused members fail, the others are extracted.

func TestGxExtractSafety(t *testing.T) {
	outside, err := os.MkdirTemp("", "outside-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(outside) })

	reg := func(name, data string) testarchive.Entry {
		return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, ModTime: time.Unix(1_600_000_000, 0)}, Data: []byte(data)}
	}
	symlink := func(name, target string) testarchive.Entry {
		return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: time.Unix(1_600_000_000, 0)}}
	}
	entries := []testarchive.Entry{
		reg("good1.txt", "good one\n"),
		reg("../evil", "escaped by ..\n"),
		reg("a/../../evil", "escaped by a/../..\n"),
		reg("/abs/x", "absolute name, extracted as abs/x\n"),
		symlink("lnk", outside),
		reg("lnk/pwned", "written through an absolute symlink\n"),
		symlink("up", "../.."),
		reg("up/x", "written through a relative symlink\n"),
		reg("good2/inner.txt", "good two\n"),
	}
	gz := testarchive.External(t, testarchive.Tar(t, entries, tar.FormatPAX), "gzip-6")
	refused := []string{"../evil", "a/../../evil", "lnk/pwned", "up/x"}

	for _, mode := range []string{"cold", "indexed", "stdin"} {
		t.Run(mode, func(t *testing.T) {
			// base/w/dest: "up" -> "../.." in dest is base, "../evil" is
			// base/w/evil.
			base := t.TempDir()
			dest := filepath.Join(base, "w", "dest")
			if err := os.MkdirAll(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			a := gxArchiveFile(t, gz)
			var r gxResult
			switch mode {
			case "cold":
				r = gxRun(t, "extract", a, "-C", dest)
			case "indexed":
				gxWant0(t, gxRun(t, "index", a, "--span", "64K"), "index")
				r = gxRun(t, "extract", a, "-C", dest)
			case "stdin":
				r = gxExec(t, gz, "extract", "-", "-C", dest)
			}

			t.Logf("stderr:\n%s", r.stderr)
			if r.code != 1 {
				t.Errorf("exit status %d, want 1", r.code)
			}
			gxStderrLines(t, r)
			if !strings.Contains(r.stderr, "tarx: Removing leading `/' from member names\n") {
				t.Errorf("no warning about the leading /")
			}
			for _, name := range refused {
				if !strings.Contains(r.stderr, ": "+name+": ") {
					t.Errorf("no error for %s", name)
				}
			}

			// Nothing new outside dest.
			err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(base, p)
				if rel != "." && rel != "w" && rel != filepath.Join("w", "dest") && !strings.HasPrefix(rel, filepath.Join("w", "dest")+"/") {
					t.Errorf("written outside the destination: %s", p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if des, err := os.ReadDir(outside); err != nil || len(des) != 0 {
				t.Errorf("written through the absolute symlink into %s: %v %v", outside, des, err)
			}

			// The good members are there.
			for name, want := range map[string]string{
				"good1.txt":       "good one\n",
				"good2/inner.txt": "good two\n",
				"abs/x":           "absolute name, extracted as abs/x\n",
			} {
				if b, err := os.ReadFile(filepath.Join(dest, name)); err != nil || string(b) != want {
					t.Errorf("%s: %q, %v; want %q", name, b, err, want)
				}
			}
			// The links themselves are created, as GNU tar creates them.
			for name, want := range map[string]string{"lnk": outside, "up": "../.."} {
				if got, err := os.Readlink(filepath.Join(dest, name)); err != nil || got != want {
					t.Errorf("%s: symlink to %q (%v), want %q", name, got, err, want)
				}
			}
		})
	}
}
