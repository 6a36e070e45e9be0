package main

// Hostile archives: path attacks, broken gzip, broken tar. Every case runs
// tarx in-process through run() under a timeout and checks that tarx
// answers with a clear one-line error (or, where GNU tar also accepts the
// archive, extracts it safely), that nothing outside the target directory
// was written or modified, and that nothing panicked or hung.
//
// Helpers are prefixed hx to keep clear of the other tests of the package.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// hxTimeout bounds one in-process tarx command.
const hxTimeout = 45 * time.Second

// hxResult is what one tarx command line answered.
type hxResult struct {
	args   []string
	code   int
	stdout string
	stderr string
}

func (r hxResult) String() string {
	return fmt.Sprintf("tarx %s: exit %d, stderr %q", strings.Join(r.args, " "), r.code, r.stderr)
}

// lines returns the non-empty lines of stderr.
func (r hxResult) lines() []string {
	var out []string
	for l := range strings.SplitSeq(r.stderr, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// errorLines returns the stderr lines that are not warnings (about leading
// slashes being removed or an index being rebuilt).
func (r hxResult) errorLines() []string {
	var out []string
	for _, l := range r.lines() {
		if !hxIsNotice(l) {
			out = append(out, l)
		}
	}
	return out
}

func hxIsNotice(l string) bool {
	return strings.Contains(l, "Removing leading `") || strings.HasSuffix(l, ", rebuilding")
}

// hxSyncBuffer is a bytes.Buffer safe for the concurrent writes of
// extraction workers (os.Stderr is).
type hxSyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *hxSyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *hxSyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hxRun runs tarx with args in-process and fails the test if it panics or
// does not finish in time.
func hxRun(t *testing.T, args ...string) hxResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hxTimeout)
	defer cancel()
	var stdout, stderr hxSyncBuffer
	type outcome struct {
		code  int
		panic any
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- outcome{code: -1, panic: p}
			}
		}()
		done <- outcome{code: run(ctx, append([]string{"tarx"}, args...), &stdout, &stderr)}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(hxTimeout + 15*time.Second):
		t.Fatalf("tarx %s: still running %v after its context expired (hang)", strings.Join(args, " "), hxTimeout+15*time.Second)
	}
	res := hxResult{args: args, code: o.code, stdout: stdout.String(), stderr: stderr.String()}
	if o.panic != nil {
		t.Fatalf("tarx %s: panic: %v", strings.Join(args, " "), o.panic)
	}
	if ctx.Err() != nil {
		t.Fatalf("%v: did not finish within %v (hang)", res, hxTimeout)
	}
	if strings.Contains(res.stderr, "panic") || strings.Contains(res.stderr, "goroutine ") {
		t.Errorf("%v: stderr mentions a panic", res)
	}
	return res
}

// hxCheckLines checks that every stderr line starts with "tarx: ".
func hxCheckLines(t *testing.T, r hxResult) {
	t.Helper()
	for _, l := range r.lines() {
		if !strings.HasPrefix(l, "tarx: ") {
			t.Errorf("%v: stderr line %q does not start with \"tarx: \"", r, l)
		}
	}
}

// hxFailsOneLine checks a command that must fail with exactly one error
// line, which names the archive path.
func hxFailsOneLine(t *testing.T, r hxResult, path string) {
	t.Helper()
	hxCheckLines(t, r)
	if r.code == 0 {
		t.Errorf("%v: exit 0, want an error", r)
	}
	if r.code == 2 || r.code == 130 || r.code < 0 {
		t.Errorf("%v: exit %d, want 1 (an error about the archive)", r, r.code)
	}
	lines := r.lines()
	if len(lines) != 1 {
		t.Errorf("%v: %d stderr lines, want exactly one", r, len(lines))
		return
	}
	if want := "tarx: " + path + ": "; !strings.HasPrefix(lines[0], want) {
		t.Errorf("%v: error line %q does not start with %q", r, lines[0], want)
	}
}

// hxBox is a sandbox for one hostile archive:
//
//	root/                 the test's own temporary directory (watched)
//	  base/               (watched)
//	    arch/A.tar.gz     the archive (and its index)
//	    work/             (watched)
//	      outside         sentinel file, must stay untouched
//	      dir*/           extraction targets
type hxBox struct {
	root, base, arch, work string
	archive                string
	sentinel               string
	sentinelData           []byte
	sentinelTime           time.Time
	snap                   map[string][]string
	extra                  []hxFileState // other files that must not change
}

type hxFileState struct {
	path  string
	data  []byte
	mtime time.Time
}

func hxNewBox(t *testing.T, gz []byte) *hxBox {
	t.Helper()
	base := t.TempDir()
	b := &hxBox{root: filepath.Dir(base), base: base, arch: filepath.Join(base, "arch"), work: filepath.Join(base, "work")}
	for _, d := range []string{b.arch, b.work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b.archive = filepath.Join(b.arch, "A.tar.gz")
	if err := os.WriteFile(b.archive, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	b.sentinel = filepath.Join(b.work, "outside")
	b.sentinelData = []byte("sentinel: must not change\n")
	b.sentinelTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.WriteFile(b.sentinel, b.sentinelData, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(b.sentinel, b.sentinelTime, b.sentinelTime); err != nil {
		t.Fatal(err)
	}
	return b
}

// target returns a new extraction directory under work. It is created now,
// so that extracting into it does not change work itself.
func (b *hxBox) target(t *testing.T, name string) string {
	t.Helper()
	d := filepath.Join(b.work, name)
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// watch records the entries of the directories around the targets, and
// the state of extra files that must not change.
func (b *hxBox) watch(t *testing.T, extra ...string) {
	t.Helper()
	b.snap = map[string][]string{}
	for _, d := range []string{b.root, b.base, b.work} {
		b.snap[d] = hxList(t, d)
	}
	for _, p := range extra {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b.extra = append(b.extra, hxFileState{path: p, data: data, mtime: st.ModTime()})
	}
}

// check verifies that nothing outside the targets changed.
func (b *hxBox) check(t *testing.T) {
	t.Helper()
	for d, before := range b.snap {
		if now := hxList(t, d); !slices.Equal(now, before) {
			t.Errorf("entries of %s changed: %q, were %q", d, now, before)
		}
	}
	st, err := os.Lstat(b.sentinel)
	if err != nil {
		t.Fatalf("sentinel: %v", err)
	}
	if !st.Mode().IsRegular() || !st.ModTime().Equal(b.sentinelTime) {
		t.Errorf("sentinel %s changed: mode %v, mtime %v", b.sentinel, st.Mode(), st.ModTime())
	}
	if data, _ := os.ReadFile(b.sentinel); !bytes.Equal(data, b.sentinelData) {
		t.Errorf("sentinel %s overwritten: %q", b.sentinel, data)
	}
	if n := hxNlink(st); n != 1 {
		t.Errorf("sentinel %s has %d links: a hard link to it was made", b.sentinel, n)
	}
	for _, f := range b.extra {
		st, err := os.Stat(f.path)
		if err != nil {
			t.Errorf("%s: %v", f.path, err)
			continue
		}
		data, _ := os.ReadFile(f.path)
		if !bytes.Equal(data, f.data) || !st.ModTime().Equal(f.mtime) {
			t.Errorf("%s was modified", f.path)
		}
	}
	// No temporary index file may be left beside the archive.
	for _, name := range hxList(t, b.arch) {
		if strings.Contains(name, ".tmp-") {
			t.Errorf("temporary file %s left in %s", name, b.arch)
		}
	}
}

func hxList(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// hxTree describes what is under dir: one line per entry, sorted. It
// walks with os.Root handles, so paths longer than PATH_MAX work.
func hxTree(t *testing.T, dir string) []string {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var out []string
	hxWalk(t, root, "", &out)
	slices.Sort(out)
	return out
}

func hxWalk(t *testing.T, root *os.Root, prefix string, out *[]string) {
	t.Helper()
	d, err := root.Open(".")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		rel := prefix + e.Name()
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			target, _ := root.Readlink(e.Name())
			*out = append(*out, rel+" -> "+target)
		case e.IsDir():
			*out = append(*out, rel+"/")
			sub, err := root.OpenRoot(e.Name())
			if err != nil {
				t.Fatal(err)
			}
			hxWalk(t, sub, rel+"/", out)
			sub.Close()
		default:
			data, _ := root.ReadFile(e.Name())
			*out = append(*out, fmt.Sprintf("%s (%d bytes, %08x)", rel, len(data), hxCRC(data)))
		}
	}
}

// hxReadFile reads name under dir through an os.Root (name may be longer
// than PATH_MAX).
func hxReadFile(dir, name string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.ReadFile(name)
}

func hxCRC(b []byte) uint32 {
	var h uint32 = 2166136261
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

func hxNlink(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// hxReg, hxSymlink and hxHardlink are shorthands for testarchive entries.
func hxReg(name, data string) testarchive.Entry {
	return testarchive.Entry{Header: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, ModTime: time.Unix(1e9, 0)}, Data: []byte(data)}
}

func hxSymlink(name, target string) testarchive.Entry {
	return testarchive.Entry{Header: tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777, ModTime: time.Unix(1e9, 0)}}
}

func hxHardlink(name, target string) testarchive.Entry {
	return testarchive.Entry{Header: tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: target, Mode: 0o644, ModTime: time.Unix(1e9, 0)}}
}

// hxNormalize replaces the sandbox's paths in a tarx answer so that two
// runs in different directories compare.
func hxNormalize(b *hxBox, dirs []string, s string) string {
	for _, d := range dirs {
		s = strings.ReplaceAll(s, d, "DIR")
	}
	return strings.ReplaceAll(s, b.archive, "A")
}

// TestHxPathAttacks extracts archives whose members try to reach outside
// the target directory, cold (the index built on the way), warm (with the
// index), with get, and cold several times more (extraction must not
// depend on how members are spread over workers).
func TestHxPathAttacks(t *testing.T) {
	longName := strings.Repeat(strings.Repeat("d", 99)+"/", 50) + "deep.txt" // 5008 bytes
	tests := []struct {
		name    string
		entries func(b *hxBox) []testarchive.Entry
		get     []string // names for tarx get (nil: get is not run)
		// mayPass: exit 0 is acceptable (GNU tar accepts the archive); the
		// member must then land inside the target.
		mayPass bool
		// wantErr: with a non-zero exit, an error line contains one of these.
		wantErr []string
		// check inspects a target directory after a run.
		check func(t *testing.T, b *hxBox, dir string, r hxResult)
		extra []string // files outside the sandbox that must not change
	}{
		{
			name:    "dotdot",
			entries: func(*hxBox) []testarchive.Entry { return []testarchive.Entry{hxReg("../x", "evil")} },
			get:     []string{"../x"},
			wantErr: []string{"../x: member name contains '..'"},
			check:   hxEmpty,
		},
		{
			name:    "dotdot-outside",
			entries: func(*hxBox) []testarchive.Entry { return []testarchive.Entry{hxReg("../outside", "evil")} },
			get:     []string{"../outside"},
			wantErr: []string{"../outside: member name contains '..'"},
			check:   hxEmpty,
		},
		{
			name:    "inner-dotdot",
			entries: func(*hxBox) []testarchive.Entry { return []testarchive.Entry{hxReg("a/../../x", "evil")} },
			get:     []string{"a/../../x"},
			wantErr: []string{"a/../../x: member name contains '..'"},
			check:   hxEmpty,
		},
		{
			name: "absolute",
			entries: func(b *hxBox) []testarchive.Entry {
				return []testarchive.Entry{hxReg(filepath.Join(b.work, "abs-x"), "stripped")}
			},
			get:     []string{"ABS"},
			mayPass: true,
			check: func(t *testing.T, b *hxBox, dir string, r hxResult) {
				if r.code != 0 {
					return
				}
				if !strings.Contains(r.stderr, "tarx: Removing leading `/' from member names") {
					t.Errorf("%v: no warning about the leading /", r)
				}
				p := filepath.Join(dir, strings.TrimPrefix(filepath.Join(b.work, "abs-x"), "/"))
				if data, err := os.ReadFile(p); err != nil || string(data) != "stripped" {
					t.Errorf("%v: absolute member not extracted at %s inside the target: %q, %v", r, p, data, err)
				}
			},
		},
		{
			name: "symlink-absolute",
			entries: func(b *hxBox) []testarchive.Entry {
				return []testarchive.Entry{hxSymlink("l", b.work), hxReg("l/outside", "evil")}
			},
			get:     []string{"l", "l/outside"},
			wantErr: []string{"l/outside: parent l is a symbolic link in the archive: unsafe path"},
			check:   hxNotThroughLink("l", "l/outside"),
		},
		{
			name: "symlink-relative",
			entries: func(b *hxBox) []testarchive.Entry {
				// From DIR/l, ../../.. is the test's temporary directory,
				// in which base/work/outside is the sentinel.
				return []testarchive.Entry{
					hxSymlink("l", "../../.."),
					hxReg("l/"+filepath.Base(b.base)+"/work/outside", "evil"),
				}
			},
			get:     []string{"l"},
			wantErr: []string{": parent l is a symbolic link in the archive: unsafe path"},
			check:   hxNotThroughLink("l", ""),
		},
		{
			name: "hardlink-dotdot",
			entries: func(*hxBox) []testarchive.Entry {
				return []testarchive.Entry{hxHardlink("h", "../outside"), hxReg("h", "evil")}
			},
			get:     []string{"h"},
			wantErr: []string{"h: hard link target ../outside: unsafe path"},
			check:   hxRegular("h", "evil"),
		},
		{
			name: "hardlink-etc-passwd",
			entries: func(*hxBox) []testarchive.Entry {
				return []testarchive.Entry{hxHardlink("h", "/etc/passwd"), hxReg("h", "evil")}
			},
			get: []string{"h"},
			// The target is stripped to etc/passwd inside the directory (as
			// GNU tar does), and the later regular member replaces the link.
			mayPass: true,
			check:   hxRegular("h", "evil"),
			extra:   []string{"/etc/passwd"},
		},
		{
			name: "hardlink-absolute-sentinel",
			entries: func(b *hxBox) []testarchive.Entry {
				return []testarchive.Entry{hxHardlink("h", b.sentinel), hxReg("h", "evil")}
			},
			get:     []string{"h"},
			mayPass: true,
			check:   hxRegular("h", "evil"),
		},
		{
			name: "symlink-then-regular",
			entries: func(b *hxBox) []testarchive.Entry {
				return []testarchive.Entry{hxSymlink("s", b.sentinel), hxReg("s", "evil")}
			},
			get:     []string{"s"},
			mayPass: true, // GNU tar and tarx: the later member replaces the link
			check:   hxRegular("s", "evil"),
		},
		{
			name: "symlink-then-regular-relative",
			entries: func(*hxBox) []testarchive.Entry {
				return []testarchive.Entry{hxSymlink("s", "../outside"), hxReg("s", "evil")}
			},
			get:     []string{"s"},
			mayPass: true,
			check:   hxRegular("s", "evil"),
		},
		{
			name: "long-pax-path",
			entries: func(*hxBox) []testarchive.Entry {
				return []testarchive.Entry{hxReg(longName, "deep")}
			},
			get:     []string{longName},
			mayPass: true, // extracted correctly, or refused with a clear error
			check: func(t *testing.T, b *hxBox, dir string, r hxResult) {
				if r.code != 0 {
					return
				}
				data, err := hxReadFile(dir, longName)
				if err != nil || string(data) != "deep" {
					t.Errorf("%v: the %d-byte path was not extracted correctly: %q, %.200v", r, len(longName), data, err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := hxNewBox(t, nil)
			entries := tt.entries(b)
			gz := testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel6)
			if err := os.WriteFile(b.archive, gz, 0o644); err != nil {
				t.Fatal(err)
			}
			get := slices.Clone(tt.get)
			for i, g := range get {
				if g == "ABS" {
					get[i] = entries[0].Header.Name
				}
			}
			type attempt struct {
				what string
				dir  string
				args []string
			}
			var attempts []attempt
			dirs := map[string]string{}
			add := func(what string, args func(dir string) []string) {
				d := b.target(t, "dir-"+what)
				dirs[what] = d
				attempts = append(attempts, attempt{what, d, args(d)})
			}
			add("cold", func(d string) []string { return []string{"extract", b.archive, "-C", d} })
			add("warm", func(d string) []string { return []string{"extract", b.archive, "-C", d} })
			if get != nil {
				add("get", func(d string) []string { return append([]string{"get", b.archive}, append(get, "-C", d)...) })
			}
			// Cold again, with fresh indexes: members go to workers by a
			// random hash, so each run may spread them differently.
			reruns := 6
			if strings.HasPrefix(tt.name, "symlink-") {
				reruns = 10 // where the spreading matters
			}
			for i := range reruns {
				ipath := filepath.Join(b.arch, fmt.Sprintf("again-%d.tarx", i))
				add(fmt.Sprintf("cold%d", i), func(d string) []string {
					return []string{"--index", ipath, "extract", b.archive, "-C", d}
				})
			}
			b.watch(t, tt.extra...)

			results := map[string]hxResult{}
			for _, a := range attempts {
				r := hxRun(t, a.args...)
				results[a.what] = r
				t.Logf("%s: exit %d, stderr %q", a.what, r.code, r.stderr)
				hxCheckLines(t, r)
				errs := r.errorLines()
				switch {
				case r.code == 0 && !tt.mayPass:
					t.Errorf("%s: %v: exit 0, want an error", a.what, r)
				case r.code == 0 && len(errs) > 0:
					t.Errorf("%s: %v: exit 0 with error lines %q", a.what, r, errs)
				case r.code != 0 && len(errs) != 1:
					t.Errorf("%s: %v: %d error lines, want exactly one (one bad member)", a.what, r, len(errs))
				case r.code != 0 && r.code != 1:
					t.Errorf("%s: %v: exit %d, want 1", a.what, r, r.code)
				case r.code != 0 && tt.wantErr != nil && !slices.ContainsFunc(tt.wantErr, func(w string) bool { return strings.Contains(errs[0], w) }):
					t.Errorf("%s: %v: error line %q does not say %q", a.what, r, errs[0], tt.wantErr)
				}
				if r.code != 0 && len(errs) > 0 && !strings.HasPrefix(errs[0], "tarx: "+b.archive+": ") {
					t.Errorf("%s: %v: error line does not name the archive", a.what, r)
				}
				if tt.check != nil {
					tt.check(t, b, a.dir, r)
				}
				b.check(t)
				if t.Failed() {
					t.Logf("%s tree: %q", a.what, hxTree(t, a.dir))
				}
			}

			// The same archive must extract the same way whether the index
			// exists or not, and on every run.
			ref := results["warm"]
			refTree := hxTree(t, dirs["warm"])
			for what, r := range results {
				if what == "get" || what == "warm" {
					continue
				}
				dirList := []string{dirs[what], dirs["warm"]}
				if r.code != ref.code || hxNormalize(b, dirList, strings.Join(r.errorLines(), "\n")) != hxNormalize(b, dirList, strings.Join(ref.errorLines(), "\n")) {
					t.Errorf("extract without an index (%s) and with it (warm) differ:\n  %s: exit %d, %q\n  warm: exit %d, %q",
						what, what, r.code, r.errorLines(), ref.code, ref.errorLines())
				}
				if tree := hxTree(t, dirs[what]); !slices.Equal(tree, refTree) {
					t.Errorf("extract %s left %q, with the index (warm): %q", what, tree, refTree)
				}
			}
		})
	}
}

// hxEmpty checks that nothing was extracted.
func hxEmpty(t *testing.T, _ *hxBox, dir string, r hxResult) {
	t.Helper()
	if tree := hxTree(t, dir); len(tree) != 0 {
		t.Errorf("%v: extracted %q", r, tree)
	}
}

// hxRegular checks that name ends up a regular file holding data (with one
// link: not a hard link to anything).
func hxRegular(name, data string) func(*testing.T, *hxBox, string, hxResult) {
	return func(t *testing.T, _ *hxBox, dir string, r hxResult) {
		t.Helper()
		p := filepath.Join(dir, name)
		st, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%v: %v", r, err)
			return
		}
		if !st.Mode().IsRegular() {
			t.Errorf("%v: %s is %v, want a regular file", r, name, st.Mode())
			return
		}
		if got, _ := os.ReadFile(p); string(got) != data {
			t.Errorf("%v: %s holds %q, want %q", r, name, got, data)
		}
		if n := hxNlink(st); n != 1 {
			t.Errorf("%v: %s has %d links", r, name, n)
		}
	}
}

// hxNotThroughLink checks that if link exists it is the symbolic link, and
// that no regular file was written below it (through it or in its place).
func hxNotThroughLink(link, below string) func(*testing.T, *hxBox, string, hxResult) {
	return func(t *testing.T, _ *hxBox, dir string, r hxResult) {
		t.Helper()
		st, err := os.Lstat(filepath.Join(dir, link))
		if err == nil && st.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%v: %s is %v, not the archive's symbolic link (a member was created below it instead)", r, link, st.Mode())
		}
		if below != "" {
			if _, err := os.Lstat(filepath.Join(dir, below)); err == nil && st != nil && st.Mode()&fs.ModeSymlink == 0 {
				t.Errorf("%v: %s was extracted below %s", r, below, link)
			}
		}
	}
}

// hxSample is a small, valid archive with a few members, and its members'
// contents.
func hxSample(t *testing.T) (tarBytes []byte, contents map[string][]byte) {
	t.Helper()
	entries := []testarchive.Entry{
		hxReg("a.txt", string(testarchive.Text(1, 20<<10))),
		hxReg("b.bin", string(testarchive.Incompressible(2, 30<<10))),
		{Header: tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(1e9, 0)}},
		hxReg("d/c.txt", string(testarchive.Text(3, 50<<10))),
		hxReg("e.txt", string(testarchive.Text(4, 3000))),
	}
	return testarchive.Tar(t, entries, tar.FormatPAX), testarchive.Contents(entries)
}

// hxCorruptions are hostile gzip files made from a good one, gz. Also used
// for the fuzz seed corpora.
func hxCorruptions(gz []byte) []struct {
	name string
	data []byte
} {
	n := len(gz)
	mod := func(f func(b []byte) []byte) []byte { return f(slices.Clone(gz)) }
	flip := func(off int, mask byte) []byte {
		return mod(func(b []byte) []byte { b[off] ^= mask; return b })
	}
	return []struct {
		name string
		data []byte
	}{
		{"empty", []byte{}},
		{"not-gzip", []byte(strings.Repeat("this is not a gzip file, just text\n", 40))},
		{"gzip-magic-only", gz[:2]},
		{"header-cut", gz[:6]},
		{"reserved-flag", flip(3, 0x20)},
		{"bad-method", flip(2, 0x01)},
		{"truncated-middle", gz[:n/2]},
		{"trailer-cut", gz[:n-8]},
		{"trailer-half", gz[:n-3]},
		{"flip-early", flip(16, 0x04)},
		{"flip-middle", flip(n/2, 0x10)},
		{"flip-late", flip(n-40, 0x01)},
		{"wrong-crc32", flip(n-8, 0x01)},
		{"wrong-isize", flip(n-4, 0x01)},
		{"trailing-garbage", append(slices.Clone(gz), "garbage after the gzip data\n"...)},
		{"trailing-partial-member", append(slices.Clone(gz), gz[:12]...)},
		{"second-member-broken", append(slices.Clone(gz), gz[:n/3]...)},
	}
}

// TestHxBrokenGzip: every command refuses a broken gzip file with one line
// naming it, and never hands back wrong bytes.
func TestHxBrokenGzip(t *testing.T) {
	tarBytes, contents := hxSample(t)
	gz := testarchive.Gzip(t, tarBytes, testarchive.GoLevel6)
	var listing string
	for _, e := range testarchive.Read(t, tarBytes) {
		listing += e.Header.Name + "\n"
	}
	for _, c := range hxCorruptions(gz) {
		t.Run(c.name, func(t *testing.T) {
			b := hxNewBox(t, c.data)
			dir := b.target(t, "dir")
			b.watch(t)
			cmds := [][]string{
				{"ls", b.archive},
				{"index", b.archive},
				{"extract", b.archive, "-C", dir},
				{"cat", b.archive, "d/c.txt"},
				{"get", b.archive, "a.txt", "-C", dir},
				{"verify", b.archive},
			}
			// The index build reads gzip and tar on separate goroutines:
			// the answer must not depend on which one notices first. A cut
			// file is where they race (and mostly only with -race), so
			// try those more often.
			repeat := 3
			if strings.Contains(c.name, "truncated") || strings.Contains(c.name, "broken") {
				repeat = 30
			}
			for range repeat {
				cmds = append(cmds, []string{"ls", b.archive})
			}
			var first hxResult
			for i, args := range cmds {
				r := hxRun(t, args...)
				t.Logf("%v", r)
				hxFailsOneLine(t, r, b.archive)
				if i == 0 {
					first = r
				} else {
					hxSameAnswer(t, r, first)
				}
				if args[0] == "cat" && !strings.HasPrefix(string(contents["d/c.txt"]), r.stdout) {
					t.Errorf("%v: wrote %d bytes that are not the member's contents", r, len(r.stdout))
				}
				// As tar -t does, ls lists the members before the damage,
				// then fails: never a member the archive does not have.
				if args[0] == "ls" && !strings.HasPrefix(listing, r.stdout) {
					t.Errorf("%v: listed %q, not a start of %q", r, r.stdout, listing)
				}
				b.check(t)
				if _, err := os.Stat(b.archive + ".tarx"); err == nil {
					t.Errorf("%v: left an index of a broken archive", r)
				}
			}
			// An error was reported, which is what is asked. But note when
			// the extraction without an index left files with wrong bytes
			// (written before the gzip CRC at the end could be checked; GNU
			// tar does the same).
			for _, bad := range hxWrongContents(t, dir, contents) {
				t.Logf("NOTE: extract (no index) failed as it should, but left %s with wrong contents", bad)
			}
		})
	}
}

// hxSameAnswer checks that r reported the same problem as ref: a broken
// archive is the same problem whichever command meets it.
func hxSameAnswer(t *testing.T, r, ref hxResult) {
	t.Helper()
	if r.code != 0 && ref.code != 0 && r.stderr != ref.stderr {
		t.Errorf("tarx %s and tarx %s describe the same damage differently:\n  %s: %q\n  %s: %q",
			r.args[0], ref.args[0], r.args[0], r.stderr, ref.args[0], ref.stderr)
	}
}

// hxWrongContents returns the regular files under dir that do not hold
// the contents of the member of their name.
func hxWrongContents(t *testing.T, dir string, contents map[string][]byte) []string {
	t.Helper()
	var bad []string
	for _, e := range hxTree(t, dir) {
		name, _, ok := strings.Cut(e, " (")
		if !ok {
			continue // a directory or a link
		}
		got, _ := hxReadFile(dir, name)
		if want, ok := contents[name]; !ok || !bytes.Equal(got, want) {
			bad = append(bad, fmt.Sprintf("%s (%d bytes, member has %d)", name, len(got), len(want)))
		}
	}
	return bad
}

// TestHxBrokenTar: good gzip around a broken tar stream.
func TestHxBrokenTar(t *testing.T) {
	tarBytes, contents := hxSample(t)
	// Offsets of the second member's header: after a PAX record? The
	// sample's names are short and ASCII, so every member is one 512-byte
	// header plus its data.
	second := 512 + (20<<10+511)&^511
	lastHdr := bytes.LastIndex(tarBytes, []byte("e.txt\x00"))
	if lastHdr < 0 || lastHdr%512 != 0 {
		t.Fatalf("cannot find the last header: %d", lastHdr)
	}
	fixChecksum := func(b []byte, off int) {
		h := b[off : off+512]
		copy(h[148:156], "        ")
		sum := 0
		for _, c := range h {
			sum += int(c)
		}
		copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	}
	tests := []struct {
		name string
		tar  []byte
	}{
		{"bad-header-checksum", func() []byte {
			b := slices.Clone(tarBytes)
			b[second] ^= 0x01 // name changes, checksum does not
			return b
		}()},
		{"size-beyond-data", func() []byte {
			b := slices.Clone(tarBytes)
			copy(b[lastHdr+124:lastHdr+136], fmt.Sprintf("%011o\x00", 1<<20))
			fixChecksum(b, lastHdr)
			return b
		}()},
		{"cut-in-member", tarBytes[:second+512+5000]},
		{"cut-in-header", tarBytes[:second+100]},
		{"huge-size-field", func() []byte {
			b := slices.Clone(tarBytes)
			copy(b[lastHdr+124:lastHdr+136], "77777777777\x00")
			fixChecksum(b, lastHdr)
			return b
		}()},
		{"text-file", testarchive.Text(9, 10<<10)},
		{"binary-noise", testarchive.Incompressible(9, 10<<10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := hxNewBox(t, testarchive.Gzip(t, tt.tar, testarchive.GoLevel6))
			dir := b.target(t, "dir")
			b.watch(t)
			var first hxResult
			for i, args := range [][]string{
				{"ls", b.archive},
				{"index", b.archive},
				{"extract", b.archive, "-C", dir},
				{"cat", b.archive, "a.txt"},
				{"get", b.archive, "a.txt", "-C", dir},
				{"verify", b.archive},
			} {
				r := hxRun(t, args...)
				t.Logf("%v", r)
				hxFailsOneLine(t, r, b.archive)
				if i == 0 {
					first = r
				} else {
					hxSameAnswer(t, r, first)
				}
				b.check(t)
			}
			// The members before the damage are intact: what extract
			// wrote of them must be right.
			for _, bad := range hxWrongContents(t, dir, contents) {
				t.Errorf("extract left %s with wrong contents", bad)
			}
		})
	}
}

// hxCorpusFile formats values in the Go fuzzing corpus file format.
func hxCorpusFile(values ...any) []byte {
	var s strings.Builder
	s.WriteString("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&s, "[]byte(%s)\n", strconv.Quote(string(v)))
		case string:
			fmt.Fprintf(&s, "string(%s)\n", strconv.Quote(v))
		case int:
			fmt.Fprintf(&s, "int(%d)\n", v)
		default:
			panic(fmt.Sprintf("hxCorpusFile: %T", v))
		}
	}
	return []byte(s.String())
}

// hxCorpus returns the seed corpus files for the fuzz targets, keyed by
// their path relative to the module root.
func hxCorpus(t *testing.T) map[string][]byte {
	files := map[string][]byte{}
	// A small archive, so that the seeds run fast.
	entries := []testarchive.Entry{
		hxReg("a.txt", string(testarchive.Text(1, 3000))),
		hxReg("b.bin", string(testarchive.Incompressible(2, 700))),
	}
	small := testarchive.Tar(t, entries, tar.FormatPAX)
	for _, style := range []testarchive.Style{testarchive.GoLevel6, testarchive.GoLevel0} {
		gz := testarchive.Gzip(t, small, style)
		for _, c := range hxCorruptions(gz) {
			name := fmt.Sprintf("hostile-%s-%s", style, c.name)
			files["gzseek/testdata/fuzz/FuzzScanResume/"+name] = hxCorpusFile(c.data)
			if style == testarchive.GoLevel6 {
				head := c.data[:min(len(c.data), 64)]
				files["gzseek/testdata/fuzz/FuzzParseHeader/"+name] = hxCorpusFile(head)
			}
		}
	}
	// Headers that claim more than they hold.
	headers := map[string][]byte{
		"hostile-extra-huge-xlen":   {0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 'A', 'B'},
		"hostile-name-unterminated": append([]byte{0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3}, strings.Repeat("n", 50)...),
		"hostile-all-flags-cut":     {0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3, 2, 0},
		"hostile-hcrc-wrong":        {0x1f, 0x8b, 8, 0x02, 0, 0, 0, 0, 0, 3, 0xde, 0xad},
		"hostile-reserved-bits":     {0x1f, 0x8b, 8, 0xe0, 0, 0, 0, 0, 0, 3},
	}
	for name, h := range headers {
		files["gzseek/testdata/fuzz/FuzzParseHeader/"+name] = hxCorpusFile(h)
		files["gzseek/testdata/fuzz/FuzzScanResume/"+name] = hxCorpusFile(h)
	}
	// A deflate stream with a stored block whose LEN and NLEN disagree,
	// and one whose length runs past the end.
	stored := func(length, nlength uint16, payload string) []byte {
		b := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x01}
		b = binary.LittleEndian.AppendUint16(b, length)
		b = binary.LittleEndian.AppendUint16(b, nlength)
		b = append(b, payload...)
		return append(b, 0, 0, 0, 0, byte(len(payload)), 0, 0, 0)
	}
	files["gzseek/testdata/fuzz/FuzzScanResume/hostile-stored-nlen-mismatch"] = hxCorpusFile(stored(5, 5, "hello"))
	files["gzseek/testdata/fuzz/FuzzScanResume/hostile-stored-len-past-end"] = hxCorpusFile(stored(0xfff0, ^uint16(0xfff0), "short"))
	files["gzseek/testdata/fuzz/FuzzScanResume/hostile-reserved-block-type"] = hxCorpusFile([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0})

	names := []string{
		"../x", "a/../../x", "/tmp/x", "//etc/passwd", "///tmp/../etc/passwd", "../outside",
		"/etc/passwd", "l/outside", "../../..", "./../x", "a/..", "a/../", "..//x", "x/..",
		".../x", "a/.../b", "./.", "/", "//", "/./../x", "a/b/../../../x", "..\x00x", "a\x00/../x",
		"C:\\windows\\system32", "..\\..\\x", "a/\u202e/x", "a/\n/x",
		strings.Repeat(strings.Repeat("d", 99)+"/", 50) + "deep.txt",
		strings.Repeat("../", 100) + "x",
		strings.Repeat("./", 200) + "x",
		"/" + strings.Repeat("/", 300) + "x",
	}
	for i, n := range names {
		for _, strip := range []int{0, 1, 3} {
			files[fmt.Sprintf("extract/testdata/fuzz/FuzzSanitizeName/hostile-%02d-strip%d", i, strip)] = hxCorpusFile(n, strip)
		}
	}
	return files
}

// TestHxFuzzCorpus checks that the seed corpora written from hxCorpus are
// in place. With TARX_HX_WRITE_CORPUS=1 it (re)writes them.
func TestHxFuzzCorpus(t *testing.T) {
	files := hxCorpus(t)
	write := os.Getenv("TARX_HX_WRITE_CORPUS") == "1"
	for rel, data := range files {
		p := filepath.Join("..", "..", filepath.FromSlash(rel))
		if write {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("seed corpus file missing (run with TARX_HX_WRITE_CORPUS=1): %v", err)
			continue
		}
		if !bytes.HasPrefix(got, []byte("go test fuzz v1\n")) {
			t.Errorf("%s: not a fuzz corpus file", rel)
		}
	}
}
