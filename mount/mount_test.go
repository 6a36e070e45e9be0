//go:build linux

package mount

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/testarchive"
	"golang.org/x/sys/unix"
)

// fuseUsable skips the test, with the reason, when FUSE cannot be used.
func fuseUsable(t *testing.T) {
	t.Helper()
	if err := Usable(); err != nil {
		t.Skipf("FUSE is not usable here: %v", err)
	}
}

// openArchive opens the archive at p with its index (a small span, so
// reads resume at many checkpoints) and closes it when the test ends.
func openArchive(t *testing.T, p string) *index.Archive {
	t.Helper()
	a, err := index.Open(context.Background(), p, index.Options{BuildOptions: index.BuildOptions{Span: 128 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// logs collects the log lines of a mount.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) add(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }
func (l *logs) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// serve mounts a on a new directory, unmounting it when the test ends.
func serve(t *testing.T, a *index.Archive, opts Options) (*Server, string) {
	t.Helper()
	fuseUsable(t)
	dir := t.TempDir()
	s, err := Serve(context.Background(), a, dir, opts)
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Unmount(); err != nil {
			t.Errorf("Unmount: %v", err)
		}
		s.Wait()
	})
	return s, dir
}

// compareWithTar checks the mount of the archive at p against what GNU
// tar extracts from it: the tree (types, modes, owners, mtimes, sizes,
// contents, link targets, devices, holes, hard-link groups) and diff -r.
func compareWithTar(t *testing.T, p string, gz []byte) {
	t.Helper()
	ref := filepath.Join(t.TempDir(), "ref")
	// The mount shows owners by number, as tar --numeric-owner leaves
	// them (as root, tar would otherwise map owner names to local ids).
	testarchive.GNUTarExtract(t, p, ref, "--numeric-owner")
	_, dir := serve(t, openArchive(t, p), Options{Log: func(s string) { t.Log(s) }})
	testarchive.CompareTrees(t, gz, ref, dir)
	out, _ := exec.Command("diff", "-r", "--no-dereference", ref, dir).CombinedOutput()
	// diff names every pair of fifos; CompareTrees checked their types.
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "File ") && strings.Contains(line, " is a fifo while file ") && strings.HasSuffix(line, " is a fifo\n") {
			continue
		}
		t.Errorf("diff -r %s %s: %s", ref, dir, line)
	}
}

// TestMount_AgainstTar mounts the archives of the extraction tests (every
// producer, every entry type, sparse files, hard links, duplicates, long
// and unicode names) and the testdata archives with their plain tar
// twins, and compares each mount with GNU tar's extraction.
func TestMount_AgainstTar(t *testing.T) {
	fuseUsable(t)
	for i, c := range testarchive.Corpus() {
		if raceEnabled && i%3 != 0 {
			continue // every third producer (GNU tar, sparse, pigz, Go), all entry types
		}
		t.Run(c.Name, func(t *testing.T) {
			gz := c.Make(t)
			compareWithTar(t, testarchive.WriteArchive(t, gz), gz)
		})
	}
	for _, f := range testarchive.AllFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			compareWithTar(t, testarchive.WriteArchive(t, f.Data), f.Data)
		})
	}
}

// specialEntries are devices, a fifo, xattrs in both PAX spellings, a
// hard-link group of three, an unsafe name and a leading slash.
func specialEntries() []testarchive.Entry {
	mt := time.Unix(1700000000, 0)
	reg := func(name string, data string) testarchive.Entry {
		return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o640, Size: int64(len(data)), ModTime: mt, Uid: 1234, Gid: 5678}, Data: []byte(data)}
	}
	x := reg("x/attrs.txt", "with xattrs\n")
	x.Header.PAXRecords = map[string]string{
		"SCHILY.xattr.user.schily":        "one",
		"LIBARCHIVE.xattr.user.lib%20arc": "dHdv", // base64 "two"
	}
	return []testarchive.Entry{
		{Header: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null-ish", Mode: 0o600, Devmajor: 1, Devminor: 3, ModTime: mt}},
		{Header: tar.Header{Typeflag: tar.TypeBlock, Name: "dev/blk", Mode: 0o600, Devmajor: 259, Devminor: 300, ModTime: mt}},
		{Header: tar.Header{Typeflag: tar.TypeFifo, Name: "dev/fifo", Mode: 0o644, ModTime: mt}},
		x,
		reg("/abs/file", "leading slash\n"),
		reg("h/a", "hard-linked contents\n"),
		{Header: tar.Header{Typeflag: tar.TypeLink, Name: "h/b", Linkname: "h/a", ModTime: mt}},
		{Header: tar.Header{Typeflag: tar.TypeLink, Name: "h/c", Linkname: "./h/a", ModTime: mt}},
		reg("../escape", "never shown\n"),
		{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: "x/link", Linkname: "attrs.txt", ModTime: mt}},
	}
}

// TestMount_Special checks devices, fifos, link counts, inode numbers of
// hard links, xattrs and the one notice about an unsafe name.
func TestMount_Special(t *testing.T) {
	fuseUsable(t)
	entries := specialEntries()
	gz := testarchive.External(t, testarchive.Tar(t, entries, tar.FormatPAX), "gzip-6")
	p := testarchive.WriteArchive(t, gz)
	var l logs
	_, dir := serve(t, openArchive(t, p), Options{Log: l.add})

	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, "dev/null-ish"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
		t.Errorf("char device: %v, mode %#o, rdev %#x", err, st.Mode, st.Rdev)
	}
	if err := unix.Lstat(filepath.Join(dir, "dev/blk"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFBLK || st.Rdev != unix.Mkdev(259, 300) {
		t.Errorf("block device: %v, mode %#o, rdev %#x want %#x", err, st.Mode, st.Rdev, unix.Mkdev(259, 300))
	}
	if err := unix.Lstat(filepath.Join(dir, "dev/fifo"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("fifo: %v, mode %#o", err, st.Mode)
	}
	var inos []uint64
	for _, n := range []string{"h/a", "h/b", "h/c"} {
		if err := unix.Lstat(filepath.Join(dir, n), &st); err != nil || st.Nlink != 3 {
			t.Errorf("%s: %v, nlink %d, want 3", n, err, st.Nlink)
		}
		inos = append(inos, st.Ino)
	}
	if inos[0] != inos[1] || inos[0] != inos[2] {
		t.Errorf("hard links have inodes %v, want one", inos)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "h/c")); err != nil || string(b) != "hard-linked contents\n" {
		t.Errorf("h/c reads %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "abs/file")); err != nil || string(b) != "leading slash\n" {
		t.Errorf("abs/file reads %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "escape")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("../escape shows as escape: %v", err)
	}
	if err := unix.Lstat(filepath.Join(dir, "x/attrs.txt"), &st); err != nil || st.Uid != 1234 || st.Gid != 5678 || st.Mode&0o7777 != 0o640 || st.Mtim.Sec != 1700000000 {
		t.Errorf("x/attrs.txt: %v, owner %d:%d, mode %#o, mtime %d", err, st.Uid, st.Gid, st.Mode, st.Mtim.Sec)
	}
	if target, err := os.Readlink(filepath.Join(dir, "x/link")); err != nil || target != "attrs.txt" {
		t.Errorf("x/link -> %q, %v", target, err)
	}

	f := filepath.Join(dir, "x/attrs.txt")
	buf := make([]byte, 256)
	n, err := unix.Listxattr(f, buf)
	if err != nil {
		t.Fatalf("listxattr: %v", err)
	}
	if got := strings.Split(strings.TrimSuffix(string(buf[:n]), "\x00"), "\x00"); strings.Join(got, ",") != "user.lib arc,user.schily" {
		t.Errorf("listxattr = %q", got)
	}
	for name, want := range map[string]string{"user.schily": "one", "user.lib arc": "two"} {
		n, err := unix.Getxattr(f, name, buf)
		if err != nil || string(buf[:n]) != want {
			t.Errorf("getxattr %s = %q, %v; want %q", name, buf[:n], err, want)
		}
	}
	if _, err := unix.Getxattr(f, "user.none", buf); !errors.Is(err, unix.ENODATA) {
		t.Errorf("getxattr of a missing name: %v, want ENODATA", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new"), nil, 0o644); err == nil {
		t.Error("created a file in a read-only mount")
	}
	found := 0
	for _, line := range l.get() {
		if strings.Contains(line, "unsafe names") {
			found++
		}
	}
	if found != 1 {
		t.Errorf("%d notices of the unsafe name, want 1: %q", found, l.get())
	}
}

// bigArchive is an archive with big files of varied compressibility and
// returns it with the contents by name.
func bigArchive(t *testing.T) ([]byte, map[string][]byte) {
	size := 3 << 20
	if raceEnabled {
		size = 1200 << 10
	}
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 21, SmallFiles: 100, BigFiles: 4, BigSize: size})
	gz := testarchive.External(t, testarchive.Tar(t, entries, tar.FormatPAX), "gzip-6")
	return gz, testarchive.Contents(entries)
}

// TestMount_Pread reads big files at random offsets with pread and
// compares with the source bytes.
func TestMount_Pread(t *testing.T) {
	fuseUsable(t)
	gz, want := bigArchive(t)
	_, dir := serve(t, openArchive(t, testarchive.WriteArchive(t, gz)), Options{Decoders: 4})
	rng := rand.New(rand.NewPCG(5, 6))
	checked := 0
	for name, data := range want {
		if len(data) < 1<<20 {
			continue
		}
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			off := rng.IntN(len(data))
			p := make([]byte, rng.IntN(200<<10)+1)
			n, err := f.ReadAt(p, int64(off))
			want := data[off:min(off+len(p), len(data))]
			if n != len(want) || (err != nil && err != io.EOF) || !bytes.Equal(p[:n], want) {
				t.Fatalf("%s: pread %d at %d = %d, %v", name, len(p), off, n, err)
			}
			checked++
		}
		f.Close()
	}
	if checked == 0 {
		t.Fatal("no big files")
	}
}

// TestMount_Concurrent runs 64 readers of different files at once, with
// fewer decoders than readers, each reading its file whole and at random
// offsets.
func TestMount_Concurrent(t *testing.T) {
	fuseUsable(t)
	size := 256 << 10
	if raceEnabled {
		size = 96 << 10
	}
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 22, SmallFiles: 40, BigFiles: 64, BigSize: size})
	gz := testarchive.External(t, testarchive.Tar(t, entries, tar.FormatPAX), "gzip-6")
	want := testarchive.Contents(entries)
	_, dir := serve(t, openArchive(t, testarchive.WriteArchive(t, gz)), Options{Decoders: 8})
	var names []string
	for name, data := range want {
		if len(data) == size {
			names = append(names, name)
		}
	}
	if len(names) < 64 {
		t.Fatalf("%d big files, want 64", len(names))
	}
	readAtOnce(t, dir, 64, func(i int) string { return names[i] }, func(i int, f *os.File) error {
		data := want[names[i]]
		if err := checkPreads(f, data, rand.New(rand.NewPCG(uint64(i), 7)), 10, 32<<10); err != nil {
			return err
		}
		if b, err := io.ReadAll(io.NewSectionReader(f, 0, int64(len(data)))); err != nil || !bytes.Equal(b, data) {
			return fmt.Errorf("whole read: %v", err)
		}
		return nil
	})
}

// readAtOnce opens the files name(i) under dir for i in [0, n) and
// runs read on each at once, reporting the errors.
func readAtOnce(t *testing.T, dir string, n int, name func(int) string, read func(int, *os.File) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			f, err := os.Open(filepath.Join(dir, name(i)))
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			if err := read(i, f); err != nil {
				errs <- fmt.Errorf("%s: %w", name(i), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// checkPreads makes reads preads of up to maxLen bytes at random offsets
// of f and compares them with data, its contents.
func checkPreads(f *os.File, data []byte, rng *rand.Rand, reads, maxLen int) error {
	for range reads {
		off := rng.IntN(len(data))
		p := make([]byte, rng.IntN(maxLen)+1)
		n, err := f.ReadAt(p, int64(off))
		if (err != nil && err != io.EOF) || !bytes.Equal(p[:n], data[off:min(off+len(p), len(data))]) {
			return fmt.Errorf("pread %d at %d: %d, %v", len(p), off, n, err)
		}
	}
	return nil
}

// TestMount_UnmountBlockedReader unmounts while a read is blocked in the
// server: Unmount returns, the reader gets an error, and the mount point
// is released.
func TestMount_UnmountBlockedReader(t *testing.T) {
	fuseUsable(t)
	gz, want := bigArchive(t)
	a := openArchive(t, testarchive.WriteArchive(t, gz))
	dir := t.TempDir()
	blocked := make(chan struct{})
	var once sync.Once
	s, err := Serve(context.Background(), a, dir, Options{beforeRead: func(ctx context.Context) {
		once.Do(func() { close(blocked) })
		<-ctx.Done() // until the unmount
	}})
	if err != nil {
		t.Fatal(err)
	}
	var name string
	for n, d := range want {
		if len(d) > 1<<20 {
			name = n
		}
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := os.ReadFile(filepath.Join(dir, name))
		readErr <- err
	}()
	select {
	case <-blocked:
	case <-time.After(20 * time.Second):
		t.Fatal("the read never reached the server")
	}
	unmounted := make(chan error, 1)
	go func() { unmounted <- s.Unmount() }()
	select {
	case err := <-unmounted:
		if err != nil {
			t.Errorf("Unmount: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Unmount hangs while a reader is blocked")
	}
	select {
	case err := <-readErr:
		if err == nil {
			t.Error("the blocked read succeeded")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the blocked reader never returned")
	}
	done := make(chan struct{})
	go func() { s.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop")
	}
	if mounted(t, dir) {
		t.Errorf("%s is still mounted", dir)
	}
}

// mounted reports whether dir is a mount point.
func mounted(t *testing.T, dir string) bool {
	t.Helper()
	ok, err := Mounted(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestMount_Corrupt changes one byte of a member behind the index's
// back: reads covering it fail with EIO, the server logs one line, and
// no wrong byte is served; other files read right.
func TestMount_Corrupt(t *testing.T) {
	fuseUsable(t)
	entries := testarchive.CorruptibleEntries()
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	p := testarchive.WriteArchive(t, testarchive.Gzip(t, tarBytes, testarchive.BGZF))
	a := openArchive(t, p)
	m, err := a.Lookup("middle")
	if err != nil {
		t.Fatal(err)
	}
	testarchive.Corrupt(t, p, tarBytes, m.DataOffset+200<<10)
	var l logs
	_, dir := serve(t, a, Options{Log: l.add})
	f, err := os.Open(filepath.Join(dir, "middle"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Around the changed byte, and the whole file.
	buf := make([]byte, 4096)
	if n, err := f.ReadAt(buf, 200<<10-100); !errors.Is(err, syscall.EIO) {
		t.Errorf("pread over the changed byte = %d, %v; want EIO", n, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "middle")); !errors.Is(err, syscall.EIO) {
		t.Errorf("reading the changed file: %d bytes, %v; want EIO", len(b), err)
	} else if !bytes.Equal(b, entries[1].Data[:len(b)]) {
		t.Error("wrong bytes were served before the error")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "tail")); err != nil || !bytes.Equal(b, entries[2].Data) {
		t.Errorf("an unchanged file: %v", err)
	}
	lines := l.get()
	if len(lines) != 1 || !strings.Contains(lines[0], "middle") || !strings.Contains(lines[0], "checksum") {
		t.Errorf("log = %q, want one line about middle's checksum", lines)
	}
}

// TestMount_ReadOnlyDir mounts an archive in a read-only directory (a
// read-only bind mount, which binds root too): its index goes to the
// cache directory, and the mount matches GNU tar.
func TestMount_ReadOnlyDir(t *testing.T) {
	fuseUsable(t)
	if os.Geteuid() != 0 {
		t.Skip("a read-only bind mount needs root")
	}
	gz := testarchive.Corpus()[1].Make(t)
	src := testarchive.WriteArchive(t, gz)
	ro := t.TempDir()
	if err := unix.Mount(filepath.Dir(src), ro, "", unix.MS_BIND, ""); err != nil {
		t.Skipf("bind mount: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(ro, unix.MNT_DETACH) })
	if err := unix.Mount("", ro, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount read-only: %v", err)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	p := filepath.Join(ro, "a.tar.gz")
	if err := os.WriteFile(filepath.Join(ro, "probe"), nil, 0o644); err == nil {
		t.Fatal("the read-only directory is writable")
	}
	compareWithTar(t, p, gz)
	if _, err := os.Stat(p + index.Suffix); err == nil {
		t.Error("an index was written beside the archive")
	}
}

// TestMount_Writes checks that the mount refuses every write with EROFS,
// also once the kernel opens files without asking the server (the first
// open, read-only, tells it so), and that a file opened again reads the
// same.
func TestMount_Writes(t *testing.T) {
	fuseUsable(t)
	gz, want := bigArchive(t)
	_, dir := serve(t, openArchive(t, testarchive.WriteArchive(t, gz)), Options{})
	var name string
	for n := range want {
		name = n
		break
	}
	p := filepath.Join(dir, name)
	for i := range 3 {
		if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, want[name]) {
			t.Fatalf("read %d of %s: %v", i, name, err)
		}
		for _, flag := range []int{os.O_WRONLY, os.O_RDWR, os.O_RDONLY | os.O_TRUNC, os.O_WRONLY | os.O_APPEND} {
			if f, err := os.OpenFile(p, flag, 0); !errors.Is(err, syscall.EROFS) {
				t.Errorf("open %s with flags %#x: %v, want EROFS", name, flag, err)
				if err == nil {
					f.Close()
				}
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "new"), nil, 0o644); !errors.Is(err, syscall.EROFS) {
			t.Errorf("creating a file: %v, want EROFS", err)
		}
	}
}

// TestMount_SharedCache runs readers of the same big files at once, whole
// and at random offsets, through a cache much smaller than the files and
// two decoders: the readers share decoded blocks, decoders read ahead and
// blocks are evicted under them, and every byte must still be right.
func TestMount_SharedCache(t *testing.T) {
	fuseUsable(t)
	gz, want := bigArchive(t)
	_, dir := serve(t, openArchive(t, testarchive.WriteArchive(t, gz)), Options{Decoders: 2, CacheSize: 1 << 20})
	var names []string
	for name, data := range want {
		if len(data) >= 1<<20 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		t.Fatal("no big files")
	}
	name := func(i int) string { return names[i%len(names)] }
	readAtOnce(t, dir, 16, name, func(i int, f *os.File) error {
		data := want[name(i)]
		if i%2 == 0 {
			if b, err := io.ReadAll(f); err != nil || !bytes.Equal(b, data) {
				return fmt.Errorf("whole read: %d bytes, %v", len(b), err)
			}
			return nil
		}
		return checkPreads(f, data, rand.New(rand.NewPCG(uint64(i), 8)), 30, 300<<10)
	})
}

// listEntries returns, for a directory of n entries at dir, members of
// every type the listing resolves (files, directories, symbolic links,
// fifos, devices, hard links, a dangling hard link, a name replaced by a
// later member), with the names, types and targets of hard links that a
// listing must show.
func listEntries(dir string, n int) (entries []testarchive.Entry, want map[string]uint32, links map[string]string) {
	mt := time.Unix(1700000000, 0)
	want, links = map[string]uint32{}, map[string]string{}
	for i := range n {
		name := fmt.Sprintf("%s/e%04d", dir, i)
		h := tar.Header{Name: name, Mode: 0o644, ModTime: mt}
		typ := uint32(unix.S_IFREG)
		switch i % 7 {
		case 0, 1:
			h.Typeflag, h.Size = tar.TypeReg, 1
		case 2:
			h.Typeflag, h.Linkname, typ = tar.TypeSymlink, "e0000", unix.S_IFLNK
		case 3:
			h.Typeflag, typ = tar.TypeFifo, unix.S_IFIFO
		case 4:
			h.Typeflag, h.Name, typ = tar.TypeDir, name+"/", unix.S_IFDIR
		case 5:
			h.Typeflag, h.Devmajor, h.Devminor, typ = tar.TypeChar, 1, 3, unix.S_IFCHR
		case 6:
			h.Typeflag, h.Linkname = tar.TypeLink, fmt.Sprintf("%s/e%04d", dir, i-6)
			links[name] = h.Linkname
		}
		e := testarchive.Entry{Header: h}
		if h.Size > 0 {
			e.Data = []byte{'x'}
		}
		entries = append(entries, e)
		want[name] = typ
	}
	entries = append(entries,
		testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeLink, Name: dir + "/dangling", Linkname: dir + "/none", ModTime: mt}},
		// e0001 becomes a symbolic link: the last member of a path wins.
		testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: dir + "/e0001", Linkname: "e0000", ModTime: mt}})
	want[dir+"/e0001"] = unix.S_IFLNK
	return entries, want, links
}

// getdents lists the directory at p with getdents64 and a buffer of size
// bytes (many READDIRs for a small one), twice, rewinding in between: it
// returns each name's d_type as file type bits and its d_ino.
func getdents(t *testing.T, p string, size int) (types map[string]uint32, inos map[string]uint64) {
	t.Helper()
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	dtype := map[uint8]uint32{unix.DT_REG: unix.S_IFREG, unix.DT_DIR: unix.S_IFDIR, unix.DT_LNK: unix.S_IFLNK, unix.DT_FIFO: unix.S_IFIFO, unix.DT_CHR: unix.S_IFCHR, unix.DT_BLK: unix.S_IFBLK}
	var first map[string]uint32
	for pass := range 2 {
		types, inos = map[string]uint32{}, map[string]uint64{}
		buf := make([]byte, size)
		for {
			n, err := unix.Getdents(fd, buf)
			if err != nil {
				t.Fatalf("getdents %s: %v", p, err)
			}
			if n == 0 {
				break
			}
			for b := buf[:n]; len(b) > 0; {
				ino := binary.NativeEndian.Uint64(b)
				reclen := binary.NativeEndian.Uint16(b[16:])
				name := string(bytes.TrimRight(b[19:reclen], "\x00"))
				if name != "." && name != ".." {
					if _, dup := types[name]; dup {
						t.Errorf("pass %d: %s listed twice", pass, name)
					}
					types[name], inos[name] = dtype[b[18]], ino
				}
				b = b[reclen:]
			}
		}
		if pass == 0 {
			first = types
			if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
				t.Fatal(err)
			}
		} else if !maps.Equal(first, types) {
			t.Errorf("%s lists %d entries after a rewind, %d before", p, len(types), len(first))
		}
	}
	return types, inos
}

// TestMount_Listing lists a directory smaller than plusEntries and one
// bigger (whose READDIRPLUS entries come without attributes), with
// getdents buffers of several sizes: every entry once, with the type and
// inode number that lstat gives, dangling hard links left out, hard links
// sharing their target's inode, and names the listing lacks not found.
func TestMount_Listing(t *testing.T) {
	fuseUsable(t)
	small, wantSmall, linksSmall := listEntries("small", 20)
	big, wantBig, linksBig := listEntries("big", plusEntries+300)
	gz := testarchive.External(t, testarchive.Tar(t, append(small, big...), tar.FormatPAX), "gzip-6")
	for _, size := range []int{1 << 9, 32 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			_, dir := serve(t, openArchive(t, testarchive.WriteArchive(t, gz)), Options{})
			for _, c := range []struct {
				dir   string
				want  map[string]uint32
				links map[string]string
			}{{"small", wantSmall, linksSmall}, {"big", wantBig, linksBig}} {
				types, inos := getdents(t, filepath.Join(dir, c.dir), size)
				if len(types) != len(c.want) {
					t.Errorf("%s lists %d entries, want %d", c.dir, len(types), len(c.want))
				}
				for name, typ := range c.want {
					base := path.Base(name)
					var st unix.Stat_t
					if err := unix.Lstat(filepath.Join(dir, name), &st); err != nil {
						t.Errorf("lstat %s: %v", name, err)
						continue
					}
					if types[base] != typ || st.Mode&unix.S_IFMT != typ || inos[base] != st.Ino {
						t.Errorf("%s: listed as type %#o ino %d, lstat type %#o ino %d, want type %#o", name, types[base], inos[base], st.Mode&unix.S_IFMT, st.Ino, typ)
					}
					if target, ok := c.links[name]; ok {
						var tst unix.Stat_t
						if err := unix.Lstat(filepath.Join(dir, target), &tst); err != nil || tst.Ino != st.Ino || st.Nlink != 2 {
							t.Errorf("hard link %s: ino %d nlink %d, target %s ino %d (%v)", name, st.Ino, st.Nlink, target, tst.Ino, err)
						}
					}
				}
				for _, name := range []string{"dangling", "none", "e9999"} {
					if _, err := os.Lstat(filepath.Join(dir, c.dir, name)); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("%s/%s: %v, want not found", c.dir, name, err)
					}
				}
			}
		})
	}
}
