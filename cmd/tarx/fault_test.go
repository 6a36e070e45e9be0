package main

// Faults as the command line meets them: an archive or index changed
// behind tarx's back (where the cold extraction, --no-reindex, --index and
// verify are involved; what index.Open does with a stale or damaged index
// is tested in index), an unprivileged user with a read-only archive
// directory, a full disk, and tarx verify. Tests that need separate
// processes run tarx through tarxCommand (harness_test.go).

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	tarxindex "github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/testarchive"
	bolt "go.etcd.io/bbolt"
)

// regularArchive returns a tar.gz (compressed at level 0, so its size
// depends only on the sizes of the members) of regular files, the
// expected `tarx ls` output, and the contents by name.
func regularArchive(t *testing.T, seed int64, sizes ...int) (gz []byte, listing string, contents map[string][]byte) {
	t.Helper()
	var entries []testarchive.Entry
	var names strings.Builder
	for i, n := range sizes {
		name := fmt.Sprintf("dir%d/file-%03d.bin", i%3, i)
		entries = append(entries, regEntry(name, string(testarchive.Incompressible(seed+int64(i), n))))
		names.WriteString(name + "\n")
	}
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	return testarchive.Gzip(t, tarBytes, testarchive.GoLevel0), names.String(), testarchive.Contents(entries)
}

// setMtime sets the modification time of path.
func setMtime(t *testing.T, path string, mtime time.Time) {
	t.Helper()
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func mtimeOf(t *testing.T, path string) time.Time {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.ModTime()
}

// replaceKeepMtime overwrites path in place with data, keeping its mtime.
func replaceKeepMtime(t *testing.T, path string, data []byte) {
	t.Helper()
	mtime := mtimeOf(t, path)
	st, _ := os.Stat(path)
	if st.Size() != int64(len(data)) {
		t.Fatalf("replacement of %s has %d bytes, want %d (same size)", path, len(data), st.Size())
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	setMtime(t, path, mtime)
	if !mtimeOf(t, path).Equal(mtime) {
		t.Fatalf("mtime of %s not restored", path)
	}
}

// setIndexVersion sets meta/version of the bbolt index at path.
func setIndexVersion(t *testing.T, path string, version uint32) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		if meta == nil {
			return errors.New("no meta bucket")
		}
		if v := meta.Get([]byte("version")); len(v) != 4 {
			return fmt.Errorf("meta/version is %x, not a 4-byte version", v)
		}
		return meta.Put([]byte("version"), binary.BigEndian.AppendUint32(nil, version))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// viewIndex runs fn in a read-only transaction on the bbolt index at
// path.
func viewIndex(t *testing.T, path string, fn func(tx *bolt.Tx)) {
	t.Helper()
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error { fn(tx); return nil })
}

// indexUsed returns how many bytes of the bbolt file at path hold pages
// in use (the high-water mark); the rest of the file is preallocated.
func indexUsed(t *testing.T, path string) (used int) {
	t.Helper()
	viewIndex(t, path, func(tx *bolt.Tx) { used = int(tx.Size()) })
	return used
}

// indexVersion returns meta/version of the bbolt index at path, or 0.
func indexVersion(t *testing.T, path string) (v uint32) {
	t.Helper()
	viewIndex(t, path, func(tx *bolt.Tx) {
		if meta := tx.Bucket([]byte("meta")); meta != nil && len(meta.Get([]byte("version"))) == 4 {
			v = binary.BigEndian.Uint32(meta.Get([]byte("version")))
		}
	})
	return v
}

// TestStaleIndex changes the archive or its index behind tarx's back and
// checks what the command line makes of it: --no-reindex refuses in one
// line, the rebuild notice is one line, extract without a usable index
// takes the cold path, --index names the index rebuilt, and verify reports
// damage that ls and cat never meet. The plain stale, garbage, empty,
// zeroed and truncated indexes met by index.Open are tested in index
// (TestOpen_StaleSameSize, TestOpen_NoReindex, TestOpen_BadIndex,
// TestOpen_TruncatedIndex). tarx runs in separate processes here: a
// damaged bbolt file can make a reader fault, which would take the whole
// test binary down.
func TestStaleIndex(t *testing.T) {
	exe := testarchive.TestBinary(t)
	// Many small members, so that the index has many pages.
	sizes := []int{100 << 10, 300 << 10, 5000, 200 << 10}
	for range 400 {
		sizes = append(sizes, 100)
	}
	gzOld, listing, contentsOld := regularArchive(t, 1, sizes...)
	gzNew, listingNew, contentsNew := regularArchive(t, 50, sizes...)
	if len(gzOld) != len(gzNew) || listing != listingNew {
		t.Fatalf("the two archives differ in size (%d, %d) or names", len(gzOld), len(gzNew))
	}
	const member = "dir1/file-001.bin"
	const pageSize = 4096
	// rewrite replaces the index with f(its bytes, the size bbolt uses:
	// the pages past it are free).
	rewrite := func(t *testing.T, index string, f func(b []byte, used int) []byte) {
		used := indexUsed(t, index)
		b, err := os.ReadFile(index)
		if err != nil {
			t.Fatal(err)
		}
		if used > len(b) || used < 4*pageSize {
			t.Fatalf("index of %d bytes uses %d", len(b), used)
		}
		if err := os.WriteFile(index, f(b, used), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		damage    func(t *testing.T, archive, index string)
		indexFlag bool   // use a copy of the index, given with --index
		rebuild   string // the command that meets the damage: cat or extract
		notice    string // what the rebuild notice says
		// partial damage may spare what the commands read: the index may
		// then be used as it is, but must answer right (and not crash).
		partial bool
	}{
		{
			name:    "archive-replaced-extract",
			damage:  func(t *testing.T, archive, _ string) { replaceKeepMtime(t, archive, gzNew) },
			rebuild: "extract",
			notice:  "index is stale (the archive changed since it was indexed), rebuilding",
		},
		{
			name: "index-garbage-extract",
			damage: func(t *testing.T, _, index string) {
				rewrite(t, index, func(b []byte, _ int) []byte { return testarchive.Incompressible(7, len(b)) })
			},
			rebuild: "extract",
			notice:  "rebuilding",
		},
		{
			name: "index-truncated-to-4-pages",
			damage: func(t *testing.T, _, index string) {
				rewrite(t, index, func(b []byte, _ int) []byte { return b[:4*pageSize] })
			},
			partial: true,
			rebuild: "cat",
			notice:  "rebuilding",
		},
		{
			name: "index-garbage-after-meta-pages",
			damage: func(t *testing.T, _, index string) {
				rewrite(t, index, func(b []byte, _ int) []byte {
					copy(b[2*pageSize:], testarchive.Incompressible(8, len(b)))
					return b
				})
			},
			partial: true,
			rebuild: "cat",
			notice:  "rebuilding",
		},
		{
			name: "index-garbage-used-second-half",
			damage: func(t *testing.T, _, index string) {
				rewrite(t, index, func(b []byte, used int) []byte {
					copy(b[used/2/pageSize*pageSize:used], testarchive.Incompressible(9, len(b)))
					return b
				})
			},
			partial: true,
			rebuild: "cat",
			notice:  "rebuilding",
		},
		{
			name:      "index-old-version",
			indexFlag: true,
			damage: func(t *testing.T, _, index string) {
				setIndexVersion(t, index, 0)
			},
			rebuild: "cat",
			notice:  fmt.Sprintf("format version 0, want %d, rebuilding", tarxindex.FormatVersion),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "A.tar.gz")
			if err := os.WriteFile(archive, gzOld, 0o644); err != nil {
				t.Fatal(err)
			}
			setMtime(t, archive, time.Now().Add(-time.Hour).Truncate(time.Second).Add(123456789))
			ctx, cancel := context.WithTimeout(context.Background(), 2*cmdTimeout)
			defer cancel()
			var global []string
			proc := func(args ...string) result {
				t.Helper()
				return execTarx(t, tarxCommand(ctx, exe, append(slices.Clone(global), args...)...))
			}
			index := archive + ".tarx"
			checkSucceeded(t, proc("index", archive), "")
			if tt.indexFlag {
				// A copy of the index, given with --index.
				copyPath := filepath.Join(dir, "old.tarx")
				testarchive.CopyFile(t, index, copyPath, 0o644)
				index = copyPath
				global = []string{"--index", index}
			}
			tt.damage(t, archive, index)
			want := contentsOld
			if strings.HasPrefix(tt.name, "archive-replaced") {
				want = contentsNew
			}

			// --no-reindex refuses, with one line, and leaves the index
			// alone (or, for partial damage not met, answers right).
			before, _ := os.ReadFile(index)
			r := proc("--no-reindex", "ls", archive)
			t.Logf("--no-reindex: %v", r)
			if !tt.partial || r.code != 0 {
				checkOneLine(t, r, 1, archive+": ")
				if strings.Contains(r.stderr, "rebuilding") || strings.Contains(r.stderr, "<nil>") {
					t.Errorf("%v: says it is rebuilding with --no-reindex, or gives no reason", r)
				}
				if r.stdout != "" {
					t.Errorf("%v: listed %d bytes from a damaged or stale index", r, len(r.stdout))
				}
			} else if r.stdout != listing || r.stderr != "" {
				t.Errorf("%v: wrong answer from a damaged index", r)
			}
			r = proc("--no-reindex", "cat", archive, member)
			if !tt.partial || r.code != 0 {
				checkOneLine(t, r, 1, archive+": ")
				if r.stdout != "" {
					t.Errorf("%v: printed %d bytes from a damaged or stale index", r, len(r.stdout))
				}
			} else if r.stdout != string(want[member]) {
				t.Errorf("%v: wrong contents from a damaged index", r)
			}
			if after, _ := os.ReadFile(index); !bytes.Equal(after, before) {
				t.Errorf("--no-reindex changed the index")
			}

			// Without it: rebuilt, with one notice, and right.
			notice := tt.notice
			if tt.partial && !strings.Contains(execTarx(t, tarxCommand(ctx, exe, append(slices.Clone(global), "--no-reindex", "ls", archive)...)).stderr, "tarx: ") {
				notice = "" // the damage is not met: no rebuild
			}
			switch tt.rebuild {
			case "cat":
				r = proc("cat", archive, member)
				t.Logf("rebuild: %v", r)
				checkSucceeded(t, r, notice)
				if r.stdout != string(want[member]) {
					t.Errorf("%v: wrong contents after the rebuild", r)
				}
			case "extract":
				out := filepath.Join(dir, "out")
				r = proc("extract", archive, "-C", out)
				t.Logf("rebuild: %v", r)
				checkSucceeded(t, r, notice)
				if bad := wrongContents(t, out, want); len(bad) > 0 {
					t.Errorf("%v: extracted wrong files: %q", r, bad[:min(len(bad), 5)])
				}
			}
			r = proc("ls", archive)
			checkSucceeded(t, r, "") // rebuilt once: no notice now
			if r.stdout != listing {
				t.Errorf("%v: wrong listing after the rebuild", r)
			}
			if r := proc("verify", archive); tt.partial && notice == "" && r.code != 0 {
				// Damage that ls and cat never met (a bucket they do not
				// read) is still the index's: verify reads every page and
				// must say so in one line.
				checkOneLine(t, r, 1, archive+": ")
				if !strings.Contains(r.stderr, "damaged index") {
					t.Errorf("%v: verify does not say the index is damaged", r)
				}
			} else {
				checkSucceeded(t, r, "")
			}
			if tt.indexFlag {
				if v := indexVersion(t, index); v != tarxindex.FormatVersion {
					t.Errorf("the index given with --index has version %d after the rebuild", v)
				}
			}
			if temps := tempIndexes(t, dir); len(temps) > 0 {
				t.Errorf("temporary files left: %q", temps)
			}
		})
	}
}

// TestUnprivileged uses an archive in a read-only directory as user
// nobody: the index goes to the user's cache directory.
func TestUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run tarx as another user")
	}
	const uid, gid = 65534, 65534
	base := otherUserDir(t)
	// The test binary, where the other user can run it.
	bin := filepath.Join(base, "bin")
	os.Mkdir(bin, 0o755)
	exe := filepath.Join(bin, "tarx")
	testarchive.CopyFile(t, testarchive.TestBinary(t), exe, 0o755)

	ro := filepath.Join(base, "ro")
	os.Mkdir(ro, 0o755)
	gz, listing, contents := regularArchive(t, 300, 200<<10, 10<<10, 50<<10)
	archive := filepath.Join(ro, "A.tar.gz")
	if err := os.WriteFile(archive, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o755) })

	home := filepath.Join(base, "home")
	cache := filepath.Join(home, "cache")
	out := filepath.Join(home, "out")
	for _, d := range []string{home, cache} {
		os.Mkdir(d, 0o755)
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	asNobody := func(args ...string) result {
		cmd := tarxCommand(ctx, exe, args...)
		cmd.Dir = home
		cmd.Env = append(slices.DeleteFunc(cmd.Env, func(e string) bool {
			return strings.HasPrefix(e, "HOME=") || strings.HasPrefix(e, "XDG_CACHE_HOME=")
		}), "HOME="+home, "XDG_CACHE_HOME="+cache)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
		r := execTarx(t, cmd)
		t.Logf("%v", r)
		return r
	}

	r := asNobody("ls", archive)
	checkSucceeded(t, r, "")
	if r.stdout != listing {
		t.Errorf("%v: listed %q, want %q", r, r.stdout, listing)
	}
	r = asNobody("info", archive)
	checkSucceeded(t, r, "")
	var ipath string
	for l := range strings.SplitSeq(r.stdout, "\n") {
		if v, ok := strings.CutPrefix(l, "index:"); ok {
			ipath = strings.TrimSpace(v)
		}
	}
	if !strings.HasPrefix(ipath, filepath.Join(cache, "tarx")+"/") {
		t.Errorf("tarx info says the index is at %q, want it in %s", ipath, filepath.Join(cache, "tarx"))
	}
	if st, err := os.Stat(ipath); err != nil {
		t.Errorf("index: %v", err)
	} else if st.Sys().(*syscall.Stat_t).Uid != uid {
		t.Errorf("index %s is not owned by the user", ipath)
	}
	if names := dirNames(t, ro); !slices.Equal(names, []string{"A.tar.gz"}) {
		t.Errorf("read-only directory holds %q", names)
	}
	r = asNobody("cat", archive, "dir1/file-001.bin")
	checkSucceeded(t, r, "")
	if r.stdout != string(contents["dir1/file-001.bin"]) {
		t.Errorf("cat as the user: wrong contents")
	}
	r = asNobody("extract", archive, "-C", out)
	checkSucceeded(t, r, "")
	if bad := wrongContents(t, out, contents); len(bad) > 0 || len(treeOf(t, out)) != 6 {
		t.Errorf("extract as the user: %q, wrong: %q", treeOf(t, out), bad)
	}
	r = asNobody("verify", archive)
	checkSucceeded(t, r, "")
}

// changedMembers returns the members of tarBytes whose contents differ
// in what the damaged gzip file gz decompresses to (read past checksum
// errors, as far as the deflate data can be decoded).
func changedMembers(t *testing.T, tarBytes, gz []byte) []string {
	t.Helper()
	zr := flate.NewReader(bytes.NewReader(gz[10:])) // the header has no optional fields
	got, _ := io.ReadAll(zr)
	var changed []string
	tr := tar.NewReader(bytes.NewReader(tarBytes))
	var off int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return changed
		}
		if err != nil {
			t.Fatal(err)
		}
		// Short names and sizes multiple of 512: one header block each.
		start, end := off+512, off+512+h.Size
		off = (end + 511) &^ 511
		if end > int64(len(got)) || !bytes.Equal(got[start:end], tarBytes[start:end]) {
			changed = append(changed, h.Name)
		}
	}
}

// TestDiskFull extracts 10 MB into a 2 MB tmpfs.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	base := t.TempDir()
	small := filepath.Join(base, "small")
	os.Mkdir(small, 0o755)
	if err := syscall.Mount("tmpfs", small, "tmpfs", 0, "size=2m"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(small, 0); err != nil {
			syscall.Unmount(small, syscall.MNT_DETACH)
		}
	})
	gz, _, contents := regularArchive(t, 400, 6<<20, 1<<20, 1<<20, 1<<20, 1<<20, 300<<10)
	arch := filepath.Join(base, "arch")
	os.Mkdir(arch, 0o755)
	archive := filepath.Join(arch, "A.tar.gz")
	if err := os.WriteFile(archive, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args func(dir string) []string
	}{
		{"cold", func(dir string) []string { return []string{"extract", archive, "-C", dir} }},
		{"warm", func(dir string) []string { return []string{"extract", archive, "-C", dir} }},
		{"get", func(dir string) []string { return []string{"get", archive, "dir0", "-C", dir} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(small, tt.name)
			r := runTarx(t, tt.args(dir)...)
			t.Logf("%v", r)
			if r.code != 1 {
				t.Errorf("%v: want exit 1", r)
			}
			lines := r.lines()
			if len(lines) == 0 {
				t.Errorf("%v: no error line", r)
			}
			seen := map[string]bool{}
			for _, l := range lines {
				if !strings.HasSuffix(l, ": no space left on device") || !strings.HasPrefix(l, "tarx: "+archive+": ") {
					t.Errorf("%v: line %q is not a clear \"no space left on device\" error about the archive", r, l)
				}
				if strings.Contains(l, "archive read error") {
					t.Errorf("%v: a write error is reported as an archive read error: %q", r, l)
				}
				if seen[l] {
					t.Errorf("%v: line %q repeated", r, l)
				}
				seen[l] = true
			}
			// What is left must be complete and right.
			if bad := wrongContents(t, dir, contents); len(bad) > 0 {
				t.Errorf("left incomplete or wrong files: %q", bad)
			}
			if temps := tempIndexes(t, arch); len(temps) > 0 {
				t.Errorf("temporary files left: %q", temps)
			}
			v := runTarx(t, "verify", archive)
			checkSucceeded(t, v, "")
			// Make room for the next case.
			os.RemoveAll(dir)
		})
	}
}

// TestVerify checks tarx verify on a good archive and on archives whose
// contents changed after indexing while their identity (size, mtime, first
// and last 64 KiB) stayed the same. The other commands must not hand back
// the changed bytes as good either.
func TestVerify(t *testing.T) {
	head := regEntry("head.bin", string(testarchive.Incompressible(1, 100<<10)))
	mid := regEntry("mid.bin", string(testarchive.Incompressible(2, 300<<10)))
	tail := regEntry("tail.bin", string(testarchive.Incompressible(3, 100<<10)))
	swapped := mid
	swapped.Data = append(slices.Clone(mid.Data[150<<10:]), mid.Data[:150<<10]...)
	entries := []testarchive.Entry{head, mid, tail}
	contents := testarchive.Contents(entries)
	tarOf := func(es ...testarchive.Entry) []byte { return testarchive.Tar(t, es, tar.FormatPAX) }
	full, fullSwapped := tarOf(head, mid, tail), tarOf(head, swapped, tail)

	// Three gzip members: head, the middle member, tail (and the tar end).
	// The tar stream is cut at member boundaries.
	b1 := 512 + len(head.Data)
	b2 := b1 + 512 + len(mid.Data)
	if !bytes.HasPrefix(full[b1:], []byte("mid.bin\x00")) || !bytes.HasPrefix(full[b2:], []byte("tail.bin\x00")) {
		t.Fatalf("unexpected tar layout")
	}
	multi := func(tb []byte) []byte {
		var gz []byte
		for _, part := range [][]byte{tb[:b1], tb[b1:b2], tb[b2:]} {
			gz = append(gz, testarchive.Gzip(t, part, testarchive.GoLevel0)...)
		}
		return gz
	}
	single := testarchive.Gzip(t, full, testarchive.GoLevel0)
	singleSwapped := testarchive.Gzip(t, fullSwapped, testarchive.GoLevel0)
	copy(singleSwapped[len(singleSwapped)-8:], single[len(single)-8:]) // keep the trailer: same last 64 KiB

	// A compressed archive with one bit flipped in the middle.
	textEntries := []testarchive.Entry{
		regEntry("t1.txt", string(testarchive.Text(1, 1<<20))),
		regEntry("t2.txt", string(testarchive.Text(2, 1<<20))),
		regEntry("t3.txt", string(testarchive.Text(3, 1<<20))),
	}
	text := testarchive.Gzip(t, tarOf(textEntries...), testarchive.GoLevel6)
	textFlipped := slices.Clone(text)
	textFlipped[len(text)/2] ^= 0x08

	textChanged := changedMembers(t, tarOf(textEntries...), textFlipped)
	if !slices.Contains(textChanged, "t2.txt") {
		t.Fatalf("test setup: the flipped bit changes %q, not t2.txt", textChanged)
	}

	tests := []struct {
		name     string
		good     []byte
		bad      []byte
		contents map[string][]byte
		changed  string   // the member whose contents changed
		all      []string // all members whose contents changed
	}{
		{"multi-member-consistent", multi(full), multi(fullSwapped), contents, "mid.bin", []string{"mid.bin"}},
		{"single-member-trailer-kept", single, singleSwapped, contents, "mid.bin", []string{"mid.bin"}},
		{"bit-flipped", text, textFlipped, testarchive.Contents(textEntries), "t2.txt", textChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const fp = 64 << 10
			if len(tt.good) != len(tt.bad) || !bytes.Equal(tt.good[:fp], tt.bad[:fp]) || !bytes.Equal(tt.good[len(tt.good)-fp:], tt.bad[len(tt.bad)-fp:]) || bytes.Equal(tt.good, tt.bad) {
				t.Fatalf("test setup: the changed archive must keep size and first and last 64 KiB")
			}
			b := newBox(t, tt.good)
			r := runTarx(t, "verify", b.archive)
			checkSucceeded(t, r, "")
			if !strings.HasPrefix(r.stdout, b.archive+": OK: ") {
				t.Errorf("%v: stdout %q", r, r.stdout)
			}
			if rep := verifyJSON(t, b.archive, 0); !rep.OK || len(rep.Problems) != 0 || rep.Members != 3 {
				t.Errorf("verify --json of the good archive: %+v", rep)
			}
			replaceKeepMtime(t, b.archive, tt.bad)
			index, _ := os.ReadFile(b.archive + ".tarx")
			dirGet, dirExtract := b.target(t, "get"), b.target(t, "extract")
			b.watch(t)

			// ls needs only the index: it works.
			checkSucceeded(t, runTarx(t, "ls", b.archive), "")

			r = runTarx(t, "verify", b.archive)
			t.Logf("%v", r)
			if r.code != 1 {
				t.Errorf("%v: want exit 1", r)
			}
			if len(r.lines()) == 0 {
				t.Errorf("%v: no line names the problem", r)
			}
			for _, l := range r.lines() {
				if !strings.HasPrefix(l, "tarx: "+b.archive+": ") || strings.Contains(l, "rebuilding") {
					t.Errorf("%v: line %q", r, l)
				}
			}
			if rep := verifyJSON(t, b.archive, 1); rep.OK || len(rep.Problems) != len(r.lines()) {
				t.Errorf("verify --json: %+v, want the %d problems of %v", rep, len(r.lines()), r)
			}
			if tt.name != "single-member-trailer-kept" && !strings.Contains(r.stderr, tt.changed) {
				t.Errorf("%v: does not name %s", r, tt.changed)
			}
			if tt.name == "single-member-trailer-kept" && !strings.Contains(r.stderr, tt.changed) && !strings.Contains(r.stderr, "checksum") {
				t.Errorf("%v: names neither %s nor a checksum", r, tt.changed)
			}
			for _, l := range r.lines() {
				// No member was added or removed.
				if strings.Contains(l, "not in the archive") || strings.Contains(l, "not in the index") {
					t.Errorf("%v: wrongly reports a missing member: %q", r, l)
				}
			}
			if after, _ := os.ReadFile(b.archive + ".tarx"); !bytes.Equal(after, index) {
				t.Errorf("verify changed the index")
			}

			// cat: an error, or the right bytes.
			r = runTarx(t, "cat", b.archive, tt.changed)
			t.Logf("cat: exit %d, %d bytes, stderr %q", r.code, len(r.stdout), r.stderr)
			switch {
			case r.code == 0 && r.stdout != string(tt.contents[tt.changed]):
				t.Errorf("cat %s: exit 0 with wrong bytes", tt.changed)
			case r.code != 0:
				checkOneLine(t, r, 1, b.archive+": ")
			}
			// get and extract: an error, and no file with wrong bytes.
			for _, c := range []struct {
				args []string
				bad  []string // the members that must be reported, one line each
			}{
				{[]string{"get", b.archive, tt.changed, "-C", dirGet}, []string{tt.changed}},
				{[]string{"extract", b.archive, "-C", dirExtract}, tt.all},
			} {
				args := c.args
				r = runTarx(t, args...)
				t.Logf("%v", r)
				if r.code == 0 {
					t.Errorf("%v: exit 0", r)
				}
				errs := r.errorLines()
				if len(errs) != len(c.bad) {
					t.Errorf("%v: %d error lines, want one for each of %q", r, len(errs), c.bad)
				}
				for _, m := range c.bad {
					// The member's own line: index's checked reader names it.
					if !slices.ContainsFunc(errs, func(l string) bool {
						return strings.HasPrefix(l, "tarx: "+b.archive+": index: ") && strings.Contains(l, ": "+m+": ")
					}) {
						t.Errorf("%v: no line for %s", r, m)
					}
				}
				if bad := wrongContents(t, args[len(args)-1], tt.contents); len(bad) > 0 {
					t.Errorf("%v: left %q", r, bad)
				}
			}
			b.check(t)
		})
	}
}

// verifyJSON runs verify --json, wants exit status code, and returns the
// report it printed.
func verifyJSON(t *testing.T, archive string, code int) verifyReport {
	t.Helper()
	r := runTarx(t, "verify", "--json", archive)
	var rep verifyReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != code || rep.Archive != archive {
		t.Errorf("%v: stdout %q (%v), want one JSON object and exit %d", r, r.stdout, err, code)
	}
	return rep
}
