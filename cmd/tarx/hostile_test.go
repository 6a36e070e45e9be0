package main

// Hostile archives: path attacks, broken gzip, broken tar. Every case runs
// tarx in-process through run() under a timeout and checks that tarx
// answers with a clear one-line error (or, where GNU tar also accepts the
// archive, extracts it safely), that nothing outside the target directory
// was written or modified, and that nothing panicked or hung.

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// box is a sandbox for one hostile archive:
//
//	root/                 the test's own temporary directory (watched)
//	  base/               (watched)
//	    arch/A.tar.gz     the archive (and its index)
//	    work/             (watched)
//	      outside         sentinel file, must stay untouched
//	      dir*/           extraction targets
type box struct {
	root, base, arch, work string
	archive                string
	sentinel               string
	sentinelData           []byte
	sentinelTime           time.Time
	snap                   map[string][]string
	extra                  []fileState // other files that must not change
}

type fileState struct {
	path  string
	data  []byte
	mtime time.Time
}

func newBox(t *testing.T, gz []byte) *box {
	t.Helper()
	base := t.TempDir()
	b := &box{root: filepath.Dir(base), base: base, arch: filepath.Join(base, "arch"), work: filepath.Join(base, "work")}
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
func (b *box) target(t *testing.T, name string) string {
	t.Helper()
	d := filepath.Join(b.work, name)
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// watch records the entries of the directories around the targets, and
// the state of extra files that must not change.
func (b *box) watch(t *testing.T, extra ...string) {
	t.Helper()
	b.snap = map[string][]string{}
	for _, d := range []string{b.root, b.base, b.work} {
		b.snap[d] = dirNames(t, d)
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
		b.extra = append(b.extra, fileState{path: p, data: data, mtime: st.ModTime()})
	}
}

// check verifies that nothing outside the targets changed.
func (b *box) check(t *testing.T) {
	t.Helper()
	for d, before := range b.snap {
		if now := dirNames(t, d); !slices.Equal(now, before) {
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
	if n := nlink(st); n != 1 {
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
	for _, name := range dirNames(t, b.arch) {
		if strings.Contains(name, ".tmp-") {
			t.Errorf("temporary file %s left in %s", name, b.arch)
		}
	}
}

// normalize replaces the sandbox's paths in a tarx answer so that two
// runs in different directories compare.
func normalize(b *box, dirs []string, s string) string {
	for _, d := range dirs {
		s = strings.ReplaceAll(s, d, "DIR")
	}
	return strings.ReplaceAll(s, b.archive, "A")
}

// TestExtract_PathAttacks extracts archives whose members try to reach outside
// the target directory, cold (the index built on the way), warm (with the
// index), with get, and cold several times more (extraction must not
// depend on how members are spread over workers).
func TestExtract_PathAttacks(t *testing.T) {
	longName := strings.Repeat(strings.Repeat("d", 99)+"/", 50) + "deep.txt" // 5008 bytes
	tests := []struct {
		name    string
		entries func(b *box) []testarchive.Entry
		get     []string // names for tarx get (nil: get is not run)
		// mayPass: exit 0 is acceptable (GNU tar accepts the archive); the
		// member must then land inside the target.
		mayPass bool
		// wantErr: with a non-zero exit, an error line contains one of these.
		wantErr []string
		// check inspects a target directory after a run.
		check func(t *testing.T, b *box, dir string, r result)
		extra []string // files outside the sandbox that must not change
	}{
		{
			name:    "dotdot",
			entries: func(*box) []testarchive.Entry { return []testarchive.Entry{regEntry("../x", "evil")} },
			get:     []string{"../x"},
			wantErr: []string{"../x: member name contains '..'"},
			check:   checkEmpty,
		},
		{
			name:    "dotdot-outside",
			entries: func(*box) []testarchive.Entry { return []testarchive.Entry{regEntry("../outside", "evil")} },
			get:     []string{"../outside"},
			wantErr: []string{"../outside: member name contains '..'"},
			check:   checkEmpty,
		},
		{
			name:    "inner-dotdot",
			entries: func(*box) []testarchive.Entry { return []testarchive.Entry{regEntry("a/../../x", "evil")} },
			get:     []string{"a/../../x"},
			wantErr: []string{"a/../../x: member name contains '..'"},
			check:   checkEmpty,
		},
		{
			name: "absolute",
			entries: func(b *box) []testarchive.Entry {
				return []testarchive.Entry{regEntry(filepath.Join(b.work, "abs-x"), "stripped")}
			},
			get:     []string{"ABS"},
			mayPass: true,
			check: func(t *testing.T, b *box, dir string, r result) {
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
			entries: func(b *box) []testarchive.Entry {
				return []testarchive.Entry{symlinkEntry("l", b.work), regEntry("l/outside", "evil")}
			},
			get:     []string{"l", "l/outside"},
			wantErr: []string{"l/outside: parent l is a symbolic link in the archive: unsafe path"},
			check:   checkNotThroughLink("l", "l/outside"),
		},
		{
			name: "symlink-relative",
			entries: func(b *box) []testarchive.Entry {
				// From DIR/l, ../../.. is the test's temporary directory,
				// in which base/work/outside is the sentinel.
				return []testarchive.Entry{
					symlinkEntry("l", "../../.."),
					regEntry("l/"+filepath.Base(b.base)+"/work/outside", "evil"),
				}
			},
			get:     []string{"l"},
			wantErr: []string{": parent l is a symbolic link in the archive: unsafe path"},
			check:   checkNotThroughLink("l", ""),
		},
		{
			name: "hardlink-dotdot",
			entries: func(*box) []testarchive.Entry {
				return []testarchive.Entry{hardlinkEntry("h", "../outside"), regEntry("h", "evil")}
			},
			get:     []string{"h"},
			wantErr: []string{"h: hard link target ../outside: unsafe path"},
			check:   checkRegular("h", "evil"),
		},
		{
			name: "hardlink-etc-passwd",
			entries: func(*box) []testarchive.Entry {
				return []testarchive.Entry{hardlinkEntry("h", "/etc/passwd"), regEntry("h", "evil")}
			},
			get: []string{"h"},
			// The target is stripped to etc/passwd inside the directory (as
			// GNU tar does), and the later regular member replaces the link.
			mayPass: true,
			check:   checkRegular("h", "evil"),
			extra:   []string{"/etc/passwd"},
		},
		{
			name: "hardlink-absolute-sentinel",
			entries: func(b *box) []testarchive.Entry {
				return []testarchive.Entry{hardlinkEntry("h", b.sentinel), regEntry("h", "evil")}
			},
			get:     []string{"h"},
			mayPass: true,
			check:   checkRegular("h", "evil"),
		},
		{
			name: "symlink-then-regular",
			entries: func(b *box) []testarchive.Entry {
				return []testarchive.Entry{symlinkEntry("s", b.sentinel), regEntry("s", "evil")}
			},
			get:     []string{"s"},
			mayPass: true, // GNU tar and tarx: the later member replaces the link
			check:   checkRegular("s", "evil"),
		},
		{
			name: "symlink-then-regular-relative",
			entries: func(*box) []testarchive.Entry {
				return []testarchive.Entry{symlinkEntry("s", "../outside"), regEntry("s", "evil")}
			},
			get:     []string{"s"},
			mayPass: true,
			check:   checkRegular("s", "evil"),
		},
		{
			name: "long-pax-path",
			entries: func(*box) []testarchive.Entry {
				return []testarchive.Entry{regEntry(longName, "deep")}
			},
			get:     []string{longName},
			mayPass: true, // extracted correctly, or refused with a clear error
			check: func(t *testing.T, b *box, dir string, r result) {
				if r.code != 0 {
					return
				}
				data, err := readUnder(dir, longName)
				if err != nil || string(data) != "deep" {
					t.Errorf("%v: the %d-byte path was not extracted correctly: %q, %.200v", r, len(longName), data, err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBox(t, nil)
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

			results := map[string]result{}
			for _, a := range attempts {
				r := runTarx(t, a.args...)
				results[a.what] = r
				t.Logf("%s: exit %d, stderr %q", a.what, r.code, r.stderr)
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
					t.Logf("%s tree: %q", a.what, treeOf(t, a.dir))
				}
			}

			// The same archive must extract the same way whether the index
			// exists or not, and on every run.
			ref := results["warm"]
			refTree := treeOf(t, dirs["warm"])
			for what, r := range results {
				if what == "get" || what == "warm" {
					continue
				}
				dirList := []string{dirs[what], dirs["warm"]}
				if r.code != ref.code || normalize(b, dirList, strings.Join(r.errorLines(), "\n")) != normalize(b, dirList, strings.Join(ref.errorLines(), "\n")) {
					t.Errorf("extract without an index (%s) and with it (warm) differ:\n  %s: exit %d, %q\n  warm: exit %d, %q",
						what, what, r.code, r.errorLines(), ref.code, ref.errorLines())
				}
				if tree := treeOf(t, dirs[what]); !slices.Equal(tree, refTree) {
					t.Errorf("extract %s left %q, with the index (warm): %q", what, tree, refTree)
				}
			}
		})
	}
}

// checkEmpty checks that nothing was extracted.
func checkEmpty(t *testing.T, _ *box, dir string, r result) {
	t.Helper()
	if tree := treeOf(t, dir); len(tree) != 0 {
		t.Errorf("%v: extracted %q", r, tree)
	}
}

// checkRegular checks that name ends up a regular file holding data (with one
// link: not a hard link to anything).
func checkRegular(name, data string) func(*testing.T, *box, string, result) {
	return func(t *testing.T, _ *box, dir string, r result) {
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
		if n := nlink(st); n != 1 {
			t.Errorf("%v: %s has %d links", r, name, n)
		}
	}
}

// checkNotThroughLink checks that if link exists it is the symbolic link, and
// that no regular file was written below it (through it or in its place).
func checkNotThroughLink(link, below string) func(*testing.T, *box, string, result) {
	return func(t *testing.T, _ *box, dir string, r result) {
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

// sampleArchive is a small, valid archive with a few members, and its members'
// contents.
func sampleArchive(t *testing.T) (tarBytes []byte, contents map[string][]byte) {
	t.Helper()
	entries := []testarchive.Entry{
		regEntry("a.txt", string(testarchive.Text(1, 20<<10))),
		regEntry("b.bin", string(testarchive.Incompressible(2, 30<<10))),
		{Header: tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(1e9, 0)}},
		regEntry("d/c.txt", string(testarchive.Text(3, 50<<10))),
		regEntry("e.txt", string(testarchive.Text(4, 3000))),
	}
	return testarchive.Tar(t, entries, tar.FormatPAX), testarchive.Contents(entries)
}

// corruptions are hostile gzip files made from a good one, gz. Also used
// for the fuzz seed corpora.
func corruptions(gz []byte) []struct {
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

// TestBrokenGzip: every command refuses a broken gzip file with one line
// naming it, and never hands back wrong bytes.
func TestBrokenGzip(t *testing.T) {
	tarBytes, contents := sampleArchive(t)
	gz := testarchive.Gzip(t, tarBytes, testarchive.GoLevel6)
	var listing string
	for _, e := range testarchive.Read(t, tarBytes) {
		listing += e.Header.Name + "\n"
	}
	for _, c := range corruptions(gz) {
		t.Run(c.name, func(t *testing.T) {
			b := newBox(t, c.data)
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
			var first result
			for i, args := range cmds {
				r := runTarx(t, args...)
				t.Logf("%v", r)
				checkOneLine(t, r, 1, b.archive+": ")
				if i == 0 {
					first = r
				} else {
					checkSameAnswer(t, r, first)
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
			for _, bad := range wrongContents(t, dir, contents) {
				t.Logf("NOTE: extract (no index) failed as it should, but left %s with wrong contents", bad)
			}
		})
	}
}

// checkSameAnswer checks that r reported the same problem as ref: a broken
// archive is the same problem whichever command meets it.
func checkSameAnswer(t *testing.T, r, ref result) {
	t.Helper()
	if r.code != 0 && ref.code != 0 && r.stderr != ref.stderr {
		t.Errorf("tarx %s and tarx %s describe the same damage differently:\n  %s: %q\n  %s: %q",
			r.args[0], ref.args[0], r.args[0], r.stderr, ref.args[0], ref.stderr)
	}
}

// TestBrokenTar: good gzip around a broken tar stream.
func TestBrokenTar(t *testing.T) {
	tarBytes, contents := sampleArchive(t)
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
			b := newBox(t, testarchive.Gzip(t, tt.tar, testarchive.GoLevel6))
			dir := b.target(t, "dir")
			b.watch(t)
			var first result
			for i, args := range [][]string{
				{"ls", b.archive},
				{"index", b.archive},
				{"extract", b.archive, "-C", dir},
				{"cat", b.archive, "a.txt"},
				{"get", b.archive, "a.txt", "-C", dir},
				{"verify", b.archive},
			} {
				r := runTarx(t, args...)
				t.Logf("%v", r)
				checkOneLine(t, r, 1, b.archive+": ")
				if i == 0 {
					first = r
				} else {
					checkSameAnswer(t, r, first)
				}
				b.check(t)
			}
			// The members before the damage are intact: what extract
			// wrote of them must be right.
			for _, bad := range wrongContents(t, dir, contents) {
				t.Errorf("extract left %s with wrong contents", bad)
			}
		})
	}
}

// corpusFile formats values in the Go fuzzing corpus file format.
func corpusFile(values ...any) []byte {
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
			panic(fmt.Sprintf("corpusFile: %T", v))
		}
	}
	return []byte(s.String())
}

// seedCorpus returns the seed corpus files for the fuzz targets, keyed by
// their path relative to the module root.
func seedCorpus(t *testing.T) map[string][]byte {
	files := map[string][]byte{}
	// A small archive, so that the seeds run fast.
	entries := []testarchive.Entry{
		regEntry("a.txt", string(testarchive.Text(1, 3000))),
		regEntry("b.bin", string(testarchive.Incompressible(2, 700))),
	}
	small := testarchive.Tar(t, entries, tar.FormatPAX)
	for _, style := range []testarchive.Style{testarchive.GoLevel6, testarchive.GoLevel0} {
		gz := testarchive.Gzip(t, small, style)
		for _, c := range corruptions(gz) {
			name := fmt.Sprintf("hostile-%s-%s", style, c.name)
			files["gzseek/testdata/fuzz/FuzzScanResume/"+name] = corpusFile(c.data)
			if style == testarchive.GoLevel6 {
				head := c.data[:min(len(c.data), 64)]
				files["gzseek/testdata/fuzz/FuzzParseHeader/"+name] = corpusFile(head)
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
		files["gzseek/testdata/fuzz/FuzzParseHeader/"+name] = corpusFile(h)
		files["gzseek/testdata/fuzz/FuzzScanResume/"+name] = corpusFile(h)
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
	files["gzseek/testdata/fuzz/FuzzScanResume/hostile-stored-nlen-mismatch"] = corpusFile(stored(5, 5, "hello"))
	files["gzseek/testdata/fuzz/FuzzScanResume/hostile-stored-len-past-end"] = corpusFile(stored(0xfff0, ^uint16(0xfff0), "short"))
	files["gzseek/testdata/fuzz/FuzzScanResume/hostile-reserved-block-type"] = corpusFile([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0})

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
			files[fmt.Sprintf("extract/testdata/fuzz/FuzzSanitizeName/hostile-%02d-strip%d", i, strip)] = corpusFile(n, strip)
		}
	}
	return files
}

// TestFuzzCorpus checks that the seed corpora written from seedCorpus are
// in place. With TARX_HX_WRITE_CORPUS=1 it (re)writes them.
func TestFuzzCorpus(t *testing.T) {
	files := seedCorpus(t)
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
