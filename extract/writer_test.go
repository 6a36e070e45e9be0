package extract

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const gnuTar = "/usr/bin/tar"

var (
	mt1 = time.Unix(1_500_000_000, 0)
	mt2 = time.Unix(1_600_000_123, 0)
	mt3 = time.Unix(1_234_567_890, 0)
)

// ent is one member of a test archive.
type ent struct {
	h    tar.Header
	data string
}

func reg(name string, mode int64, data string) ent {
	return ent{h: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode, ModTime: mt1, Uid: 1234, Gid: 4321}, data: data}
}

func dirEnt(name string, mode int64, mtime time.Time) ent {
	return ent{h: tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: mode, ModTime: mtime, Uid: 1234, Gid: 4321}}
}

func symlink(name, target string) ent {
	return ent{h: tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777, ModTime: mt2, Uid: 1234, Gid: 4321}}
}

func hardlink(name, target string) ent {
	return ent{h: tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: target, Mode: 0o644, ModTime: mt2}}
}

func fifo(name string, mode int64) ent {
	return ent{h: tar.Header{Name: name, Typeflag: tar.TypeFifo, Mode: mode, ModTime: mt3, Uid: 7, Gid: 8}}
}

func device(name string, typ byte, major, minor int64) ent {
	return ent{h: tar.Header{Name: name, Typeflag: typ, Mode: 0o620, ModTime: mt3, Devmajor: major, Devminor: minor, Uid: 0, Gid: 5}}
}

// mkTar builds an archive of ents.
func mkTar(t *testing.T, ents []ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := e.h
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.data))
		}
		if h.ModTime.Nanosecond() != 0 {
			h.Format = tar.FormatPAX
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("WriteHeader %q: %v", h.Name, err)
		}
		if _, err := io.WriteString(tw, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// extractGNU extracts archive into dir with GNU tar and returns its
// diagnostics and whether it failed.
func extractGNU(t *testing.T, archive []byte, dir string, strip int) (string, bool) {
	t.Helper()
	args := []string{"-xf", "-", "-C", dir}
	if strip > 0 {
		args = append(args, fmt.Sprintf("--strip-components=%d", strip))
	}
	cmd := exec.Command(gnuTar, args...)
	cmd.Stdin = bytes.NewReader(archive)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running %s: %v", gnuTar, err)
	}
	return stderr.String(), err != nil
}

// extractOurs extracts archive into dir with a Writer and returns the
// warnings and the errors.
func extractOurs(t *testing.T, archive []byte, dir string, opts WriterOptions) ([]string, []error) {
	t.Helper()
	var warnings []string
	opts.Warn = func(msg string) { warnings = append(warnings, msg) }
	w, err := NewWriter(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteEntry(hdr, tr); err != nil {
			errs = append(errs, err)
		}
	}
	if err := w.Close(); err != nil {
		errs = append(errs, unjoinErrs(err)...)
	}
	return warnings, errs
}

func unjoinErrs(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func defaultOpts() WriterOptions {
	return WriterOptions{SameOwner: os.Geteuid() == 0}
}

// info is what the comparisons look at in one tree entry.
type info struct {
	Type   string
	Mode   uint32 // permission, setuid, setgid and sticky bits
	Size   int64
	Data   string // digest of a regular file's contents
	Mtime  time.Time
	Target string // symbolic link target
	Uid    uint32
	Gid    uint32
	Rdev   uint64
	Links  string // the names in the tree sharing the inode
}

// snapshot describes the tree under dir, keyed by slash-separated name.
func snapshot(t *testing.T, dir string) map[string]info {
	t.Helper()
	tree := map[string]info{}
	inodes := map[[2]uint64][]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		in := info{
			Mode:  st.Mode & 0o7777,
			Mtime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec),
			Uid:   st.Uid,
			Gid:   st.Gid,
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			in.Type = "file"
			in.Size = st.Size
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			in.Data = hex.EncodeToString(sum[:8])
		case unix.S_IFDIR:
			in.Type = "dir"
		case unix.S_IFLNK:
			in.Type = "symlink"
			in.Mode = 0
			in.Target, err = os.Readlink(p)
			if err != nil {
				return err
			}
		case unix.S_IFIFO:
			in.Type = "fifo"
		case unix.S_IFCHR:
			in.Type = "char"
			in.Rdev = st.Rdev
		case unix.S_IFBLK:
			in.Type = "block"
			in.Rdev = st.Rdev
		default:
			in.Type = fmt.Sprintf("mode %o", st.Mode)
		}
		if in.Type != "dir" {
			key := [2]uint64{st.Dev, st.Ino}
			inodes[key] = append(inodes[key], rel)
		}
		tree[rel] = in
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, names := range inodes {
		slices.Sort(names)
		for _, n := range names {
			in := tree[n]
			in.Links = strings.Join(names, ",")
			tree[n] = in
		}
	}
	return tree
}

// diffTrees returns the differences between two snapshots. The mtimes of
// directories that are not named by the archive are not compared: they are
// whenever their last entry was made.
func diffTrees(want, got map[string]info, explicit map[string]bool) []string {
	var diffs []string
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s: missing, want %+v", name, w))
			continue
		}
		if w.Type == "dir" && g.Type == "dir" && !explicit[name] {
			w.Mtime, g.Mtime = time.Time{}, time.Time{}
		}
		if !w.Mtime.Equal(g.Mtime) || w.Mtime.IsZero() != g.Mtime.IsZero() {
			diffs = append(diffs, fmt.Sprintf("%s: mtime %v, want %v", name, g.Mtime, w.Mtime))
		}
		w.Mtime, g.Mtime = time.Time{}, time.Time{}
		if w != g {
			diffs = append(diffs, fmt.Sprintf("%s:\n\tgot  %+v\n\twant %+v", name, g, w))
		}
	}
	for name, g := range got {
		if _, ok := want[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: unexpected %+v", name, g))
		}
	}
	slices.Sort(diffs)
	return diffs
}

// explicitDirs returns the names of the directories the archive names last
// as directories.
func explicitDirs(ents []ent, strip int) map[string]bool {
	dirs := map[string]bool{}
	for _, e := range ents {
		name, _, ok, err := sanitizeName(e.h.Name, strip)
		if !ok || err != nil {
			continue
		}
		if e.h.Typeflag == tar.TypeDir {
			dirs[name] = true
		} else {
			delete(dirs, name)
		}
	}
	return dirs
}

// canMknod reports whether device nodes can be made here.
func canMknod(t *testing.T) bool {
	if os.Geteuid() != 0 {
		return false
	}
	p := filepath.Join(t.TempDir(), "null")
	if err := unix.Mknod(p, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))); err != nil {
		return false
	}
	return true
}

func requireGNUTar(t *testing.T) {
	t.Helper()
	out, err := exec.Command(gnuTar, "--version").Output()
	if err != nil || !bytes.Contains(out, []byte("GNU tar")) {
		t.Skipf("GNU tar not available at %s", gnuTar)
	}
}

// TestCompareGNU extracts archives with GNU tar and with a Writer and
// compares the trees.
func TestCompareGNU(t *testing.T) {
	requireGNUTar(t)
	outside := t.TempDir() // must not be touched
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}

	type tcase struct {
		name    string
		ents    []ent
		strip   int
		setup   func(t *testing.T, dir string) // run on both trees first
		wantErr bool                           // GNU tar and the Writer report errors
		warn    []string                       // warnings expected from the Writer
	}
	cases := []tcase{
		{
			name: "regular",
			ents: []ent{
				reg("a", 0o644, "hello\n"),
				reg("empty", 0o600, ""),
				reg("sub/deep/c", 0o755, strings.Repeat("x", 10000)),
				reg("ro", 0o400, "read only"),
				func() ent {
					e := reg("named", 0o640, "owner by name")
					e.h.Uname, e.h.Gname = "no-such-user-x", "no-such-group-x"
					return e
				}(),
				func() ent {
					e := reg("nsec", 0o644, "pax time")
					e.h.ModTime = time.Unix(1_500_000_000, 123456789)
					return e
				}(),
			},
		},
		{
			name: "dirs",
			ents: []ent{
				dirEnt("d1/", 0o700, mt1),
				reg("d1/f", 0o644, "f"),
				dirEnt("d2/", 0o555, mt2),
				dirEnt("d2/sub/", 0o751, mt3),
				reg("d2/sub/g", 0o644, "g"),
				dirEnt("d3/", 0o2755, mt1),
				dirEnt("d4/", 0o1777, mt2),
				reg("late/x", 0o644, "x"),
				dirEnt("late/", 0o711, mt3),
				dirEnt("emptydir", 0o750, mt1),
			},
		},
		{
			name: "symlinks",
			ents: []ent{
				reg("t", 0o644, "target"),
				symlink("s1", "t"),
				symlink("s2", "/etc/passwd"),
				symlink("s3", "../up/and/away"),
				symlink("dir/s4", "../t"),
				symlink("dangling", "nowhere"),
			},
		},
		{
			name: "hardlinks",
			ents: []ent{
				reg("f", 0o644, "linked"),
				hardlink("h1", "f"),
				hardlink("sub/h2", "h1"),
				symlink("s", "f"),
				hardlink("hs", "s"),
				reg("g", 0o600, "g"),
				hardlink("./h3", "./g"),
			},
		},
		{
			name: "special bits",
			ents: []ent{
				reg("suid", 0o4755, "suid"),
				reg("sgid", 0o2755, "sgid"),
				reg("both", 0o6711, "both"),
				reg("sticky", 0o1644, "sticky"),
				func() ent {
					e := reg("daemon-owned", 0o4750, "by name")
					e.h.Uid, e.h.Uname, e.h.Gname = 4242, "daemon", "daemon"
					return e
				}(),
			},
		},
		{
			name: "fifo",
			ents: []ent{fifo("p", 0o640), fifo("sub/q", 0o4600)},
		},
		{
			name: "duplicates",
			ents: []ent{
				reg("f", 0o644, "first"),
				reg("f", 0o600, "second wins"),
				dirEnt("d/", 0o755, mt1),
				reg("d", 0o644, "file replaces empty dir"),
				reg("e", 0o644, "file"),
				dirEnt("e/", 0o700, mt2),
				// GNU tar keeps an absolute symlink (or one with "..")
				// over a later regular file or symlink of the same
				// name; the Writer lets the later member win in every
				// case (see TestSymlinkNotFollowed).
				symlink("s", "f"),
				reg("s", 0o644, "file replaces symlink"),
				symlink("s2", "/etc/passwd"),
				hardlink("s2", "f"),
				reg("t", 0o644, "file"),
				symlink("t", "f"),
				symlink("u", "one"),
				symlink("u", "two"),
				reg("g", 0o644, "g"),
				hardlink("g", "f"),
				dirEnt("m/", 0o700, mt1),
				dirEnt("m/", 0o751, mt3),
				fifo("p", 0o600),
				reg("p", 0o640, "file replaces fifo"),
			},
		},
		{
			name: "existing entries",
			setup: func(t *testing.T, dir string) {
				must(t, os.WriteFile(filepath.Join(dir, "f"), []byte("old"), 0o644))
				must(t, os.Link(filepath.Join(dir, "f"), filepath.Join(dir, "keep")))
				must(t, os.Symlink(secret, filepath.Join(dir, "s")))
				must(t, os.Mkdir(filepath.Join(dir, "pd"), 0o700))
				must(t, os.WriteFile(filepath.Join(dir, "pd", "old"), []byte("old"), 0o644))
				must(t, os.Chtimes(filepath.Join(dir, "pd", "old"), mt3, mt3))
				must(t, os.Chtimes(filepath.Join(dir, "keep"), mt3, mt3))
				must(t, os.Mkdir(filepath.Join(dir, "emptied"), 0o700))
			},
			ents: []ent{
				reg("f", 0o644, "new"),
				reg("s", 0o600, "not through the symlink"),
				dirEnt("pd/", 0o750, mt1),
				reg("pd/new", 0o644, "new"),
				reg("emptied", 0o644, "replaces an empty directory"),
			},
		},
		{
			name: "member under absolute symlink",
			ents: []ent{
				symlink("s", outside),
				reg("s/evil", 0o644, "evil"),
				reg("ok", 0o644, "ok"),
			},
			wantErr: true,
		},
		{
			name: "leading slash",
			ents: []ent{
				reg("/abs", 0o644, "abs"),
				dirEnt("/d/", 0o700, mt2),
				reg("//d/x", 0o644, "x"),
			},
			warn: []string{"Removing leading `/' from member names", "Removing leading `//' from member names"},
		},
		{
			name: "dot dot",
			ents: []ent{
				reg("../evil", 0o644, "evil"),
				reg("a/../../evil2", 0o644, "evil"),
				reg("ok", 0o644, "ok"),
				reg("a/b", 0o644, "b"),
			},
			wantErr: true,
		},
		{
			name:  "strip 1",
			strip: 1,
			ents: []ent{
				dirEnt("./", 0o700, mt1),
				dirEnt("./a/", 0o750, mt2),
				reg("./a/f", 0o644, "f"),
				reg("./b", 0o600, "b"),
				reg("top", 0o644, "dropped"),
				hardlink("./h", "./a/f"),
				symlink("./s", "a/f"),
			},
		},
		{
			name:  "strip 2",
			strip: 2,
			ents: []ent{
				dirEnt("x/", 0o755, mt1),
				dirEnt("x/y/", 0o700, mt2),
				reg("x/y/z", 0o644, "z"),
				dirEnt("x/y/w/", 0o751, mt3),
				reg("x/y/w/v", 0o644, "v"),
				hardlink("x/y/l", "x/y/z"),
				reg("/x/y/abs", 0o644, "abs"),
			},
			warn: []string{"Removing leading `/' from member names"},
		},
		{
			name: "zero runs",
			ents: []ent{
				reg("sparse", 0o644, "head"+strings.Repeat("\x00", 300<<10)+"tail"+strings.Repeat("\x00", 9000)),
				reg("zeros", 0o644, strings.Repeat("\x00", 20000)),
			},
		},
	}
	if canMknod(t) {
		cases = append(cases, tcase{
			name: "devices",
			ents: []ent{
				device("dev/null", tar.TypeChar, 1, 3),
				device("dev/loop9", tar.TypeBlock, 7, 9),
			},
		})
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			archive := mkTar(t, tc.ents)
			gnuDir, ourDir := removableDir(t), removableDir(t)
			if tc.setup != nil {
				tc.setup(t, gnuDir)
				tc.setup(t, ourDir)
			}
			gnuMsg, gnuFailed := extractGNU(t, archive, gnuDir, tc.strip)
			opts := defaultOpts()
			opts.StripComponents = tc.strip
			warnings, errs := extractOurs(t, archive, ourDir, opts)
			if gnuFailed != tc.wantErr {
				t.Errorf("GNU tar failed: %v, want %v; it said:\n%s", gnuFailed, tc.wantErr, gnuMsg)
			}
			if (len(errs) > 0) != tc.wantErr {
				t.Errorf("Writer errors: %v, want errors: %v", errs, tc.wantErr)
			}
			if tc.warn != nil && !slices.Equal(warnings, tc.warn) {
				t.Errorf("warnings %q, want %q", warnings, tc.warn)
			}
			for _, d := range diffTrees(snapshot(t, gnuDir), snapshot(t, ourDir), explicitDirs(tc.ents, tc.strip)) {
				t.Error(d)
			}
			// Nothing outside was touched.
			if b, err := os.ReadFile(secret); err != nil || string(b) != "secret" {
				t.Errorf("outside file: %q, %v", b, err)
			}
			if ents, _ := os.ReadDir(outside); len(ents) != 1 {
				t.Errorf("outside directory has %d entries", len(ents))
			}
		})
	}
}

// removableDir is t.TempDir, made removable at the end even when it holds
// directories without write permission (which matter when not root).
func removableDir(t *testing.T) string {
	dir := t.TempDir()
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o700)
			}
			return nil
		})
	})
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newWriter(t *testing.T, dir string, opts WriterOptions) *Writer {
	t.Helper()
	w, err := NewWriter(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Abort)
	return w
}

func writeEnt(w *Writer, e ent) error {
	h := e.h
	if h.Typeflag == tar.TypeReg {
		h.Size = int64(len(e.data))
	}
	return w.WriteEntry(&h, strings.NewReader(e.data))
}

func writeEntSeq(w *Writer, seq int64, e ent) error {
	h := e.h
	if h.Typeflag == tar.TypeReg {
		h.Size = int64(len(e.data))
	}
	return w.WriteEntrySeq(seq, &h, strings.NewReader(e.data))
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantMemberErr checks that err is a *MemberError for member wrapping target
// and that its message names the member.
func wantMemberErr(t *testing.T, err error, member string, target error) {
	t.Helper()
	var me *MemberError
	if !errors.As(err, &me) {
		t.Errorf("error %v (%T) is not a *MemberError", err, err)
		return
	}
	if me.Member != member {
		t.Errorf("error %v is for member %q, want %q", err, me.Member, member)
	}
	if !strings.Contains(err.Error(), member) {
		t.Errorf("error %q does not name %q", err, member)
	}
	if target != nil && !errors.Is(err, target) {
		t.Errorf("error %v is not %v", err, target)
	}
}

// escapeDirs returns a directory outside the destination holding a file
// "secret" (with contents "secret"), and a destination directory holding a
// symbolic link "esc" to the outside directory: the setting of the tests that
// nothing is written outside the destination.
func escapeDirs(t *testing.T) (outside, secret, dir string) {
	t.Helper()
	outside = t.TempDir()
	secret = filepath.Join(outside, "secret")
	must(t, os.WriteFile(secret, []byte("secret"), 0o644))
	dir = t.TempDir()
	must(t, os.Symlink(outside, filepath.Join(dir, "esc")))
	return outside, secret, dir
}

// TestErrorsDoNotStopOthers checks per-member errors.
func TestErrorsDoNotStopOthers(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "full", "child"), 0o755))
	w := newWriter(t, dir, defaultOpts())
	wantMemberErr(t, writeEnt(w, reg("full", 0o644, "x")), "full", nil)
	wantMemberErr(t, writeEnt(w, reg("../up", 0o644, "x")), "../up", ErrUnsafePath)
	must(t, writeEnt(w, reg("f", 0o644, "f")))
	wantMemberErr(t, writeEnt(w, reg("f/under", 0o644, "x")), "f/under", nil)
	// Short data.
	h := &tar.Header{Name: "short", Typeflag: tar.TypeReg, Size: 10}
	wantMemberErr(t, w.WriteEntry(h, strings.NewReader("abc")), "short", io.ErrUnexpectedEOF)
	// A read error comes with the last bytes; the file must not stay.
	h = &tar.Header{Name: "bad", Typeflag: tar.TypeReg, Size: 3}
	errBad := errors.New("checksum mismatch")
	wantMemberErr(t, w.WriteEntry(h, &lastErrReader{data: []byte("abc"), err: errBad}), "bad", errBad)
	must(t, writeEnt(w, reg("g", 0o644, "g")))
	must(t, w.Close())
	for name, want := range map[string]bool{"f": true, "g": true, "full/child": true, "short": false, "bad": false} {
		_, err := os.Lstat(filepath.Join(dir, name))
		if (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", name, err == nil, want)
		}
	}
}

// lastErrReader returns its data and err together.
type lastErrReader struct {
	data []byte
	err  error
}

func (r *lastErrReader) Read(p []byte) (int, error) {
	n := copy(p, r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 {
		return n, r.err
	}
	return n, nil
}

// TestCreateFileConcurrent writes a file in pieces from several goroutines.
func TestCreateFileConcurrent(t *testing.T) {
	dir := t.TempDir()
	opts := defaultOpts()
	w := newWriter(t, dir, opts)
	data := make([]byte, 3<<20+123)
	for i := range data {
		if (i/5000)%3 != 0 { // runs of zeros between runs of data
			data[i] = byte(i*7 + i>>9)
		}
	}
	hdr := &tar.Header{Name: "big", Typeflag: tar.TypeReg, Mode: 0o4751, Size: int64(len(data)), ModTime: mt2, Uid: 321, Gid: 654}
	cuts := []int{0, 1, 4097, 100000, 1 << 20, 1<<20 + 3, 2 << 20, len(data)}
	pieces := len(cuts) - 1
	f, err := w.CreateFile(hdr, pieces)
	must(t, err)

	var wg sync.WaitGroup
	var last sync.WaitGroup
	last.Add(1)
	errs := make(chan error, pieces)
	for i := range pieces {
		wg.Go(func() {
			lo, hi := cuts[i], cuts[i+1]
			// Write each piece in uneven chunks.
			for off := lo; off < hi; {
				end := min(hi, off+1+(off*31)%70000)
				if _, err := f.WriteAt(data[off:end], int64(off)); err != nil {
					errs <- err
					return
				}
				off = end
			}
			if i == 0 {
				last.Wait() // piece 0 is done last
			}
			errs <- f.Done()
		})
	}
	for range pieces - 1 {
		must(t, <-errs)
	}
	// Not done yet: no metadata.
	p := filepath.Join(dir, "big")
	if fi, err := os.Stat(p); err != nil || fi.ModTime().Equal(mt2) || fi.Mode()&fs.ModeSetuid != 0 {
		t.Errorf("before the last piece: %v, %v", fi, err)
	}
	last.Done()
	must(t, <-errs)
	wg.Wait()
	if _, err := f.WriteAt([]byte("x"), int64(len(data))); err == nil {
		t.Error("WriteAt beyond the size succeeded")
	}
	wantMemberErr(t, f.Done(), "big", nil) // one Done too many
	must(t, w.Close())

	if got := readFile(t, p); got != string(data) {
		t.Error("wrong contents")
	}
	var st unix.Stat_t
	must(t, unix.Stat(p, &st))
	wantMode := uint32(0o4751)
	if os.Geteuid() != 0 {
		wantMode = 0o751 &^ uint32(w.umask)
	}
	if st.Mode&0o7777 != wantMode {
		t.Errorf("mode %04o, want %04o", st.Mode&0o7777, wantMode)
	}
	if !time.Unix(st.Mtim.Sec, st.Mtim.Nsec).Equal(mt2) {
		t.Errorf("mtime %v, want %v", time.Unix(st.Mtim.Sec, st.Mtim.Nsec), mt2)
	}
	if os.Geteuid() == 0 && (st.Uid != 321 || st.Gid != 654) {
		t.Errorf("owner %d:%d, want 321:654", st.Uid, st.Gid)
	}
}

// TestNotRoot checks what differs when not running as root: modes lose the
// umask and the setuid, setgid and sticky bits (as GNU tar as a user does),
// and device nodes are skipped with a warning.
func TestNotRoot(t *testing.T) {
	dir := t.TempDir()
	var warnings []string
	w := newWriter(t, dir, WriterOptions{Warn: func(msg string) { warnings = append(warnings, msg) }})
	w.euid, w.umask = 1000, 0o027
	must(t, writeEnt(w, reg("suid", 0o6755, "x")))
	must(t, writeEnt(w, dirEnt("sticky/", 0o1777, mt1)))
	must(t, writeEnt(w, fifo("p", 0o666)))
	must(t, writeEnt(w, device("null", tar.TypeChar, 1, 3)))
	must(t, w.Close())
	for name, want := range map[string]fs.FileMode{"suid": 0o750, "sticky": fs.ModeDir | 0o750, "p": fs.ModeNamedPipe | 0o640} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: %v, %v; want mode %v", name, fi, err, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "null")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("device created: %v", err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "null") {
		t.Errorf("warnings %q", warnings)
	}
}

// TestOwner checks owners: by name when the system knows it, numeric
// otherwise or with NumericOwner, and untouched without SameOwner.
func TestOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	e := reg("f", 0o644, "x")
	e.h.Uid, e.h.Gid, e.h.Uname, e.h.Gname = 4242, 4343, "daemon", "no-such-group-x"
	l := symlink("l", "f")
	l.h.Uid, l.h.Gid = 55, 66
	for _, tc := range []struct {
		opts             WriterOptions
		fUID, fGID, lUID uint32
		daemonUID        bool // f owned by daemon's uid
	}{
		{opts: WriterOptions{SameOwner: true}, fGID: 4343, lUID: 55, daemonUID: true},
		{opts: WriterOptions{SameOwner: true, NumericOwner: true}, fUID: 4242, fGID: 4343, lUID: 55},
		{opts: WriterOptions{}, fUID: 0, fGID: 0, lUID: 0},
	} {
		dir := t.TempDir()
		w := newWriter(t, dir, tc.opts)
		must(t, writeEnt(w, e))
		must(t, writeEnt(w, l))
		must(t, w.Close())
		want := tc.fUID
		if tc.daemonUID {
			want = lookupUID(t, "daemon")
		}
		var st unix.Stat_t
		must(t, unix.Lstat(filepath.Join(dir, "f"), &st))
		if st.Uid != want || st.Gid != tc.fGID {
			t.Errorf("%+v: f owned by %d:%d, want %d:%d", tc.opts, st.Uid, st.Gid, want, tc.fGID)
		}
		must(t, unix.Lstat(filepath.Join(dir, "l"), &st))
		if st.Uid != tc.lUID {
			t.Errorf("%+v: l owned by %d, want %d", tc.opts, st.Uid, tc.lUID)
		}
	}
}

func lookupUID(t *testing.T, name string) uint32 {
	w := &Writer{users: map[string]int{}}
	id, ok := w.lookupID(name, false)
	if !ok {
		t.Skipf("no user %s", name)
	}
	return uint32(id)
}

// TestTypes checks the handling of less common type flags.
func TestTypes(t *testing.T) {
	dir := t.TempDir()
	var warnings []string
	w := newWriter(t, dir, WriterOptions{Warn: func(msg string) { warnings = append(warnings, msg) }})
	for _, h := range []*tar.Header{
		{Name: "olddir/", Typeflag: tar.TypeRegA, Mode: 0o755, ModTime: mt1},
		{Name: "global", Typeflag: tar.TypeXGlobalHeader},
		{Name: "cont", Typeflag: tar.TypeCont, Size: 4, Mode: 0o644},
		{Name: "odd", Typeflag: 'Z', Size: 4, Mode: 0o644},
		{Name: "./", Typeflag: tar.TypeDir, Mode: 0o700},
	} {
		data := ""
		if h.Size > 0 {
			data = "data"
		}
		if err := w.WriteEntry(h, strings.NewReader(data)); err != nil {
			t.Errorf("%q: %v", h.Name, err)
		}
	}
	must(t, w.Close())
	if fi, err := os.Lstat(filepath.Join(dir, "olddir")); err != nil || !fi.IsDir() {
		t.Errorf("olddir: %v, %v", fi, err)
	}
	for _, name := range []string{"cont", "odd"} {
		if got := readFile(t, filepath.Join(dir, name)); got != "data" {
			t.Errorf("%s = %q", name, got)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "global")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("global header extracted: %v", err)
	}
	// GNU tar's notices: once for contiguous files, per member for unknown types.
	if want := []string{"Extracting contiguous files as regular files", "odd: Unknown file type 'Z', extracted as normal file"}; !slices.Equal(warnings, want) {
		t.Errorf("warnings %q, want %q", warnings, want)
	}
}

// TestConcurrentWriters writes many members from several goroutines at once.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, dir, defaultOpts())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				name := fmt.Sprintf("d%d/sub%d/f%d", i%3, i%5, g*100+i)
				if err := writeEnt(w, reg(name, 0o644, name)); err != nil {
					t.Error(err)
				}
				if err := writeEnt(w, dirEnt(fmt.Sprintf("d%d/", i%3), 0o755, mt1)); err != nil {
					t.Error(err)
				}
				// Duplicates of one path from all goroutines.
				if err := writeEntSeq(w, int64(1_000_000+g*100+i), reg("shared", 0o644, fmt.Sprint(g*100+i))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	must(t, w.Close())
	if got := readFile(t, filepath.Join(dir, "shared")); got != "749" {
		t.Errorf("shared = %q, want 749", got)
	}
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if n != 8*50+1 {
		t.Errorf("%d files, want %d", n, 8*50+1)
	}
}

func TestMemberErrorMessage(t *testing.T) {
	err := &MemberError{Member: "a/b", Op: "cannot open", Err: syscall.ENOENT}
	if got, want := err.Error(), "extract: a/b: cannot open: no such file or directory"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	err = &MemberError{Member: "x\ny", Err: ErrClosed}
	if got, want := err.Error(), `extract: "x\ny": writer closed`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
