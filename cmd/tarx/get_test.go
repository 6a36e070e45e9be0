package main

// Acceptance tests of "tarx get" and "tarx cat", and of what get, cat and
// extract do when a member's data no longer matches its checksum.

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/testarchive"
	"golang.org/x/sys/unix"
)

// getMtime is the mtime of the members of getArchive.
var getMtime = time.Date(2019, 6, 7, 8, 9, 10, 0, time.UTC)

// getArchive returns the archive of the get tests and its members'
// contents: a small tree, a 5 MiB member, a hard link and a symlink.
func getArchive(t *testing.T) (gz []byte, contents map[string][]byte) {
	t.Helper()
	reg := func(name string, mode int64, data []byte) testarchive.Entry {
		return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, ModTime: getMtime}, Data: data}
	}
	dir := func(name string, mode int64) testarchive.Entry {
		return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: getMtime}}
	}
	// 5 MiB of alternating text and random runs.
	var big []byte
	for i := int64(0); len(big) < 5<<20; i++ {
		if i%2 == 0 {
			big = append(big, testarchive.Text(100+i, 40_000)...)
		} else {
			big = append(big, testarchive.Incompressible(100+i, 60_000)...)
		}
	}
	big = big[:5<<20]
	entries := []testarchive.Entry{
		dir("dir/", 0o755),
		reg("dir/a.txt", 0o640, testarchive.Text(1, 3000)),
		dir("dir/sub/", 0o750),
		reg("dir/sub/b.txt", 0o644, testarchive.Text(2, 5000)),
		dir("dir/sub/deep/", 0o700),
		reg("dir/sub/deep/c.txt", 0o600, testarchive.Text(3, 700)),
		reg("dir/sub/d.bin", 0o644, testarchive.Incompressible(4, 9000)),
		reg("dir/top.md", 0o644, []byte("# not a .txt\n")),
		dir("other/", 0o755),
		reg("other/e.txt", 0o644, testarchive.Text(5, 1234)),
		reg("big.bin", 0o644, big),
		{Header: tar.Header{Typeflag: tar.TypeLink, Name: "hl", Linkname: "dir/a.txt", Mode: 0o640, ModTime: getMtime}},
		{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: "sym", Linkname: "dir/a.txt", Mode: 0o777, ModTime: getMtime}},
	}
	return testarchive.External(t, testarchive.Tar(t, entries, tar.FormatPAX), "gzip-6"), testarchive.Contents(entries)
}

// pathsUnder returns every path under root, slash-separated, sorted.
func pathsUnder(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// ---------------------------------------------------------------------------
// 5. get to disk.

func TestGet(t *testing.T) {
	gz, contents := getArchive(t)
	for _, k := range bothCompressions(t, gz) {
		t.Run(k.name, func(t *testing.T) { testGet(t, k.data, contents) })
	}
}

func testGet(t *testing.T, archive []byte, contents map[string][]byte) {
	a := indexedArchive(t, archive)
	if n := checkpointsInside(t, a, "big.bin"); n < 8 {
		t.Fatalf("only %d checkpoints inside big.bin", n)
	}
	tests := []struct {
		name  string
		args  []string          // after ARCHIVE
		sub   string            // -C is this below the test's directory (missing)
		paths []string          // everything left under -C
		files map[string]string // file in -C -> member whose contents it has
		modes map[string]fs.FileMode
	}{
		{
			name:  "exact name",
			args:  []string{"dir/sub/b.txt"},
			paths: []string{"dir", "dir/sub", "dir/sub/b.txt"},
			files: map[string]string{"dir/sub/b.txt": "dir/sub/b.txt"},
			modes: map[string]fs.FileMode{"dir/sub/b.txt": 0o644},
		},
		{
			name:  "glob with **",
			args:  []string{"dir/**/*.txt"},
			paths: []string{"dir", "dir/a.txt", "dir/sub", "dir/sub/b.txt", "dir/sub/deep", "dir/sub/deep/c.txt"},
			files: map[string]string{"dir/a.txt": "dir/a.txt", "dir/sub/b.txt": "dir/sub/b.txt", "dir/sub/deep/c.txt": "dir/sub/deep/c.txt"},
			modes: map[string]fs.FileMode{"dir/a.txt": 0o640, "dir/sub/deep/c.txt": 0o600},
		},
		{
			name:  "directory selects everything under it",
			args:  []string{"dir/sub"},
			paths: []string{"dir", "dir/sub", "dir/sub/b.txt", "dir/sub/d.bin", "dir/sub/deep", "dir/sub/deep/c.txt"},
			files: map[string]string{"dir/sub/b.txt": "dir/sub/b.txt", "dir/sub/d.bin": "dir/sub/d.bin", "dir/sub/deep/c.txt": "dir/sub/deep/c.txt"},
			modes: map[string]fs.FileMode{"dir/sub": fs.ModeDir | 0o750, "dir/sub/deep": fs.ModeDir | 0o700},
		},
		{
			name:  "strip-components",
			args:  []string{"dir/sub", "--strip-components", "1"},
			paths: []string{"sub", "sub/b.txt", "sub/d.bin", "sub/deep", "sub/deep/c.txt"},
			files: map[string]string{"sub/b.txt": "dir/sub/b.txt", "sub/d.bin": "dir/sub/d.bin", "sub/deep/c.txt": "dir/sub/deep/c.txt"},
			modes: map[string]fs.FileMode{"sub": fs.ModeDir | 0o750},
		},
		{
			name:  "-C created if missing",
			args:  []string{"other/e.txt"},
			sub:   "new/deeper",
			paths: []string{"other", "other/e.txt"},
			files: map[string]string{"other/e.txt": "other/e.txt"},
		},
		{
			name:  "member bigger than the span",
			args:  []string{"big.bin"},
			paths: []string{"big.bin"},
			files: map[string]string{"big.bin": "big.bin"},
			modes: map[string]fs.FileMode{"big.bin": 0o644},
		},
		{
			name:  "several names",
			args:  []string{"other", "dir/a.txt"},
			paths: []string{"dir", "dir/a.txt", "other", "other/e.txt"},
			files: map[string]string{"dir/a.txt": "dir/a.txt", "other/e.txt": "other/e.txt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), tt.sub)
			args := append([]string{"get", a}, tt.args...)
			mustRun(t, append(args, "-C", out)...)
			if got := pathsUnder(t, out); !slices.Equal(got, tt.paths) {
				t.Errorf("extracted %q, want %q", got, tt.paths)
			}
			for file, member := range tt.files {
				p := filepath.Join(out, file)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Error(err)
					continue
				}
				if !bytes.Equal(b, contents[member]) {
					t.Errorf("%s: wrong contents (%d bytes, want %d)", file, len(b), len(contents[member]))
				}
				if fi, err := os.Stat(p); err == nil && !fi.ModTime().Equal(getMtime) {
					t.Errorf("%s: mtime %v, want %v", file, fi.ModTime(), getMtime)
				}
			}
			for file, mode := range tt.modes {
				if fi, err := os.Lstat(filepath.Join(out, file)); err != nil || fi.Mode() != mode {
					t.Errorf("%s: mode %v (%v), want %v", file, fi.Mode(), err, mode)
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// 5. get -O and cat.

func TestGet_ToStdout(t *testing.T) {
	gz, contents := getArchive(t)
	for _, k := range bothCompressions(t, gz) {
		t.Run(k.name, func(t *testing.T) { testGetToStdout(t, k.data, contents) })
	}
}

func testGetToStdout(t *testing.T, archive []byte, contents map[string][]byte) {
	a := indexedArchive(t, archive)
	cat := func(names ...string) string {
		var b []byte
		for _, n := range names {
			b = append(b, contents[n]...)
		}
		return string(b)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"archive order, not argument order", []string{"get", a, "other/e.txt", "dir/a.txt", "-O"}, cat("dir/a.txt", "other/e.txt")},
		{"hard link writes nothing, as tar -xO", []string{"get", a, "hl", "-O"}, ""},
		{"glob", []string{"get", "-O", a, "dir/**/*.txt"}, cat("dir/a.txt", "dir/sub/b.txt", "dir/sub/deep/c.txt")},
		{"directory", []string{"get", a, "dir/sub", "--to-stdout"}, cat("dir/sub/b.txt", "dir/sub/deep/c.txt", "dir/sub/d.bin")},
		{"member bigger than the span", []string{"get", a, "big.bin", "-O"}, cat("big.bin")},
		{"big member then a hard link", []string{"get", a, "big.bin", "hl", "-O"}, cat("big.bin")},
		{"cat", []string{"cat", a, "dir/sub/b.txt"}, cat("dir/sub/b.txt")},
		{"cat big", []string{"cat", a, "big.bin"}, cat("big.bin")},
		{"cat hard link", []string{"cat", a, "hl"}, cat("dir/a.txt")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTarx(t, tt.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("%v", r)
			}
			if r.stdout != tt.want {
				t.Errorf("wrote %d bytes, want %d bytes (%s)", len(r.stdout), len(tt.want), firstDiff([]byte(r.stdout), []byte(tt.want)))
			}
		})
	}
}

// firstDiff describes where got first differs from want.
func firstDiff(got, want []byte) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at byte %d", i)
		}
	}
	return "one is a prefix of the other"
}

// ---------------------------------------------------------------------------
// 5. A name that matches nothing.

func TestGet_NotFound(t *testing.T) {
	gz, contents := getArchive(t)
	a := indexedArchive(t, gz)
	wantErr := "tarx: " + a + ": nosuch: not found in archive\n"

	t.Run("get", func(t *testing.T) {
		out := t.TempDir()
		r := runTarx(t, "get", a, "dir/a.txt", "nosuch", "-C", out)
		if r.code != 1 || r.stderr != wantErr {
			t.Errorf("%v\nwant exit 1 and %q", r, wantErr)
		}
		if b, err := os.ReadFile(filepath.Join(out, "dir/a.txt")); err != nil || !bytes.Equal(b, contents["dir/a.txt"]) {
			t.Errorf("the member that exists was not extracted: %v", err)
		}
	})
	t.Run("get -O", func(t *testing.T) {
		r := runTarx(t, "get", a, "nosuch", "dir/a.txt", "-O")
		if r.code != 1 || r.stderr != wantErr {
			t.Errorf("%v\nwant exit 1 and %q", r, wantErr)
		}
		if r.stdout != string(contents["dir/a.txt"]) {
			t.Errorf("the member that exists was not written (%d bytes)", len(r.stdout))
		}
	})
	t.Run("cat", func(t *testing.T) {
		r := runTarx(t, "cat", a, "nosuch")
		if r.code != 1 || r.stderr != wantErr || r.stdout != "" {
			t.Errorf("%v\nwant exit 1 and %q", r, wantErr)
		}
	})
}

// ---------------------------------------------------------------------------
// 5. Sparse members: holes on disk, zeros on standard output.

func TestGet_Sparse(t *testing.T) {
	for _, format := range []string{"gnu", "posix"} {
		t.Run(format, func(t *testing.T) {
			tarBytes, want := testarchive.GNUSparse(t, format)
			a := indexedArchive(t, testarchive.External(t, tarBytes, "gzip-6"))
			out := t.TempDir()
			mustRun(t, "get", a, "sparse", "-C", out)
			for name, data := range want {
				if !strings.HasPrefix(name, "sparse/") {
					continue
				}
				p := filepath.Join(out, name)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Error(err)
					continue
				}
				if !bytes.Equal(b, data) {
					t.Errorf("%s on disk: wrong contents (%d bytes, want %d)", name, len(b), len(data))
				}
				var st unix.Stat_t
				if err := unix.Stat(p, &st); err != nil {
					t.Fatal(err)
				}
				if st.Blocks*512 >= st.Size {
					t.Errorf("%s: %d bytes allocated for %d: no holes", name, st.Blocks*512, st.Size)
				}

				r := runTarx(t, "get", a, name, "-O")
				if r.code != 0 || r.stderr != "" {
					t.Errorf("get -O %s: %v", name, r)
				} else if r.stdout != string(data) {
					t.Errorf("get -O %s: wrong contents (%d bytes, want %d)", name, len(r.stdout), len(data))
				}
			}
			if _, err := os.Lstat(filepath.Join(out, "plain.txt")); err == nil {
				t.Error("plain.txt extracted, but not asked for")
			}
		})
	}
}

// checkpointsInside returns how many checkpoints of the index of the
// archive a lie strictly inside the data of member name.
func checkpointsInside(t *testing.T, a, name string) int {
	t.Helper()
	arch, err := index.Open(context.Background(), a, index.Options{NoBuild: true})
	if err != nil {
		t.Fatal(err)
	}
	defer arch.Close()
	m, err := arch.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	cps, err := arch.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cps {
		if c > m.DataOffset && c < m.DataEnd {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------
// 6. Checksum mismatch: the archive is replaced, after indexing, by one of
// the same identity (size, mtime, first and last 64 KiB) whose middle
// member differs.

// forceCRC changes b[pos:pos+4] so that the CRC-32 of b is want. The
// CRC of a buffer of fixed length is affine in its bits, so the four bytes
// are the solution of 32 linear equations over GF(2).
func forceCRC(t *testing.T, b []byte, pos int, want uint32) {
	t.Helper()
	clear(b[pos : pos+4])
	c0 := crc32.ChecksumIEEE(b)
	type row struct{ vec, comb uint32 }
	var basis [32]*row // by highest set bit of vec
	for i := range 32 {
		b[pos+i/8] ^= 1 << (i % 8)
		v, c := crc32.ChecksumIEEE(b)^c0, uint32(1)<<i
		b[pos+i/8] ^= 1 << (i % 8)
		for bit := 31; bit >= 0 && v != 0; bit-- {
			if v>>bit&1 == 0 {
				continue
			}
			if basis[bit] == nil {
				basis[bit] = &row{v, c}
				break
			}
			v, c = v^basis[bit].vec, c^basis[bit].comb
		}
	}
	v, sol := c0^want, uint32(0)
	for bit := 31; bit >= 0 && v != 0; bit-- {
		if v>>bit&1 == 0 {
			continue
		}
		if basis[bit] == nil {
			t.Fatal("forceCRC: no solution")
		}
		v, sol = v^basis[bit].vec, sol^basis[bit].comb
	}
	for i := range 4 {
		b[pos+i] = byte(sol >> (8 * i))
	}
	if got := crc32.ChecksumIEEE(b); got != want {
		t.Fatalf("forceCRC: CRC %08x, want %08x", got, want)
	}
}

func TestChecksumMismatch(t *testing.T) {
	const victim = "mid/victim.bin"
	reg := func(name string, data []byte) testarchive.Entry {
		return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, ModTime: getMtime}, Data: data}
	}
	build := func(victimData []byte) []testarchive.Entry {
		var es []testarchive.Entry
		for i := range 4 {
			es = append(es, reg(fmt.Sprintf("a/first-%d.bin", i), testarchive.Incompressible(int64(10+i), 30<<10)))
		}
		es = append(es, reg(victim, victimData))
		for i := range 4 {
			es = append(es, reg(fmt.Sprintf("z/last-%d.bin", i), testarchive.Incompressible(int64(20+i), 30<<10)))
		}
		return es
	}
	// The victim's size leaves 412 bytes of padding after its data.
	const victimSize = 200<<10 + 100
	orig := testarchive.Incompressible(1, victimSize)
	entriesX := build(orig)
	tarX := testarchive.Tar(t, entriesX, tar.FormatPAX)

	// Y: the victim's bytes differ, and four bytes of the padding after
	// them are chosen so that the whole tar has X's CRC-32, which the gzip
	// trailer holds. (Forcing it inside the victim's data would give the
	// victim X's CRC-32 too: a difference with a CRC of zero has one over
	// any range that contains it.)
	changed := testarchive.Incompressible(2, victimSize)
	tarY := testarchive.Tar(t, build(changed), tar.FormatPAX)
	off := bytes.Index(tarY, changed[:64])
	if off < 0 || len(tarY) != len(tarX) {
		t.Fatal("cannot find the victim's data in the tar")
	}
	forceCRC(t, tarY, off+victimSize+8, crc32.ChecksumIEEE(tarX))
	if crc32.ChecksumIEEE(orig) == crc32.ChecksumIEEE(changed) {
		t.Fatal("the victim's two versions have the same CRC-32")
	}
	// Stored deflate blocks: the same input size gives the same layout.
	gzX := testarchive.Gzip(t, tarX, testarchive.GoLevel0)
	gzY := testarchive.Gzip(t, tarY, testarchive.GoLevel0)
	const fp = 64 << 10
	if len(gzX) != len(gzY) || !bytes.Equal(gzX[:fp], gzY[:fp]) || !bytes.Equal(gzX[len(gzX)-fp:], gzY[len(gzY)-fp:]) || bytes.Equal(gzX, gzY) {
		t.Fatal("the two archives do not have the same identity, or are equal")
	}

	// Index X, then overwrite it in place with Y and restore its mtime.
	a := indexedArchive(t, gzX)
	if n := checkpointsInside(t, a, victim); n < 2 {
		t.Fatalf("%d checkpoints inside %s: extract would not split it", n, victim)
	}
	if r := runTarx(t, "cat", a, victim); r.code != 0 || r.stdout != string(orig) {
		t.Fatalf("cat before the change: %v", r)
	}
	fi, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a, gzY, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(a, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	indexBefore, err := os.ReadFile(a + ".tarx")
	if err != nil {
		t.Fatal(err)
	}

	// failed checks that r is a failure that names the victim.
	failed := func(t *testing.T, r result) {
		t.Helper()
		t.Logf("stderr: %s", r.stderr)
		if r.code != 1 {
			t.Errorf("exit status %d, want 1", r.code)
		}
		if !strings.Contains(r.stderr, victim) || !strings.Contains(strings.ToLower(r.stderr), "checksum") {
			t.Errorf("no checksum error naming %s:\n%s", victim, r.stderr)
		}
		if strings.Contains(r.stderr, "stale") || strings.Contains(r.stderr, "rebuild") {
			t.Errorf("the index was rebuilt: the archive's identity changed:\n%s", r.stderr)
		}
	}
	// others checks that the other members were extracted into out.
	others := func(t *testing.T, out string) {
		t.Helper()
		for _, e := range entriesX {
			if e.Header.Name == victim {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(out, e.Header.Name)); err != nil || !bytes.Equal(b, e.Data) {
				t.Errorf("%s not extracted right: %v", e.Header.Name, err)
			}
		}
	}
	noVictim := func(t *testing.T, out string) {
		t.Helper()
		if _, err := os.Lstat(filepath.Join(out, victim)); err == nil {
			t.Errorf("%s left on disk", victim)
		}
	}

	t.Run("get -O", func(t *testing.T) {
		failed(t, runTarx(t, "get", a, victim, "-O"))
	})
	t.Run("cat", func(t *testing.T) {
		failed(t, runTarx(t, "cat", a, victim))
	})
	t.Run("get", func(t *testing.T) {
		out := t.TempDir()
		failed(t, runTarx(t, "get", a, victim, "-C", out))
		noVictim(t, out)
	})
	t.Run("get with others", func(t *testing.T) {
		out := t.TempDir()
		failed(t, runTarx(t, "get", a, "a", victim, "z", "-C", out))
		noVictim(t, out)
		others(t, out)
	})
	t.Run("extract", func(t *testing.T) {
		for _, jobs := range []string{"1", "4"} {
			out := t.TempDir()
			failed(t, runTarx(t, "extract", a, "-C", out, "-j", jobs))
			noVictim(t, out)
			others(t, out)
		}
	})
	t.Run("other members still readable", func(t *testing.T) {
		r := runTarx(t, "cat", a, "z/last-3.bin")
		if r.code != 0 || r.stdout != string(entriesX[len(entriesX)-1].Data) {
			t.Errorf("%v", r)
		}
	})
	if after, err := os.ReadFile(a + ".tarx"); err != nil || !bytes.Equal(after, indexBefore) {
		t.Errorf("the index file changed: %v", err)
	}
}
