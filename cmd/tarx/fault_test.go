package main

// Faults: a build killed with SIGKILL, an archive or index changed behind
// tarx's back, concurrent first use, an unprivileged user with a read-only
// archive directory, a full disk, and tarx verify.
//
// Tests that need separate processes re-execute the test binary: with
// TARX_HX_EXEC=1 in its environment it runs tarx's run() on its arguments
// instead of the tests (see init below).

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
	bolt "go.etcd.io/bbolt"
)

const hxExecEnv = "TARX_HX_EXEC"

func init() {
	if os.Getenv(hxExecEnv) != "1" {
		return
	}
	// Run as the tarx command, as main does.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, append([]string{"tarx"}, os.Args[1:]...), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// hxExe returns the path of the test binary, which runs as tarx with
// TARX_HX_EXEC=1.
func hxExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary: %v", err)
	}
	return exe
}

// hxCommand returns a command running tarx with args in a new process.
func hxCommand(ctx context.Context, exe string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), hxExecEnv+"=1", hxGorace())
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// hxGorace returns the GORACE setting for child processes: with -race, a
// process sleeps a second at exit by default, which would add up.
func hxGorace() string {
	return "GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

// hxExec runs tarx in a new process and returns what it answered.
func hxExec(t *testing.T, cmd *exec.Cmd) hxResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := hxResult{args: cmd.Args[1:], stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("tarx %s: %v (stderr %q)", strings.Join(r.args, " "), err, r.stderr)
	}
	for _, crash := range []string{"panic:", "fatal error:", "unexpected fault address", "WARNING: DATA RACE"} {
		if strings.Contains(r.stderr, crash) {
			first, _, _ := strings.Cut(r.stderr[strings.Index(r.stderr, crash):], "\n")
			t.Errorf("tarx %s crashed (exit %d): %s", strings.Join(r.args, " "), r.code, first)
			r.stderr = first + "\n" // keep the messages short
			break
		}
	}
	return r
}

// hxRegularArchive returns a tar.gz (compressed at level 0, so its size
// depends only on the sizes of the members) of regular files, the
// expected `tarx ls` output, and the contents by name.
func hxRegularArchive(t *testing.T, seed int64, sizes ...int) (gz []byte, listing string, contents map[string][]byte) {
	t.Helper()
	var entries []testarchive.Entry
	var names strings.Builder
	for i, n := range sizes {
		name := fmt.Sprintf("dir%d/file-%03d.bin", i%3, i)
		entries = append(entries, hxReg(name, string(testarchive.Incompressible(seed+int64(i), n))))
		names.WriteString(name + "\n")
	}
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	return testarchive.Gzip(t, tarBytes, testarchive.GoLevel0), names.String(), testarchive.Contents(entries)
}

// hxTemps returns the temporary index files in dir.
func hxTemps(t *testing.T, dir string) []string {
	t.Helper()
	var temps []string
	for _, n := range hxList(t, dir) {
		if strings.Contains(n, ".tarx.tmp-") {
			temps = append(temps, n)
		}
	}
	return temps
}

// hxSucceeds checks a command that must succeed, with no stderr output
// but the one notice wantNotice if not empty.
func hxSucceeds(t *testing.T, r hxResult, wantNotice string) {
	t.Helper()
	hxCheckLines(t, r)
	if r.code != 0 {
		t.Errorf("%v: want exit 0", r)
	}
	lines := r.lines()
	switch {
	case wantNotice == "" && len(lines) > 0:
		t.Errorf("%v: unexpected stderr", r)
	case wantNotice != "" && (len(lines) != 1 || !strings.Contains(lines[0], wantNotice)):
		t.Errorf("%v: want one notice saying %q", r, wantNotice)
	}
}

// TestHxKillDuringIndex kills tarx with SIGKILL while it builds the index
// of a 40 MB archive; the next use must work and clean up.
func TestHxKillDuringIndex(t *testing.T) {
	exe := hxExe(t)
	// 40 members of the same 1 MiB of random bytes, in stored deflate
	// blocks: 40 MB that are quick to make even with -race.
	chunk := testarchive.Incompressible(100, 1<<20)
	var entries []testarchive.Entry
	var listing strings.Builder
	for i := range 40 {
		name := fmt.Sprintf("dir%d/file-%03d.bin", i%3, i)
		entries = append(entries, testarchive.Entry{Header: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, ModTime: time.Unix(1e9, 0)}, Data: chunk})
		listing.WriteString(name + "\n")
	}
	gz := hxStoredGzip(testarchive.Tar(t, entries, tar.FormatPAX))
	for _, delay := range []time.Duration{0, 30 * time.Millisecond} {
		t.Run(fmt.Sprintf("after-%v", delay), func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "A.tar.gz")
			if err := os.WriteFile(archive, gz, 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), hxTimeout)
			defer cancel()
			cmd := hxCommand(ctx, exe, "ls", archive)
			cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			var seen []string
		poll:
			for {
				select {
				case err := <-exited:
					t.Fatalf("tarx finished (%v) before its temporary index file was seen: archive too small for this machine?", err)
				case <-ctx.Done():
					t.Fatal("no temporary index file appeared")
				default:
				}
				if seen = hxTemps(t, dir); len(seen) > 0 {
					break poll
				}
				time.Sleep(500 * time.Microsecond)
			}
			time.Sleep(delay)
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			err := <-exited
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("tarx was not killed mid-build: %v", err)
			}
			t.Logf("killed with %q in %s", seen, dir)

			r := hxRun(t, "ls", archive)
			hxSucceeds(t, r, "")
			if r.stdout != listing.String() {
				t.Errorf("ls after the kill listed %d bytes, want %d", len(r.stdout), listing.Len())
			}
			if temps := hxTemps(t, dir); len(temps) > 0 {
				t.Errorf("temporary files left after the next use: %q", temps)
			}
			if want := []string{"A.tar.gz", "A.tar.gz.tarx"}; !slices.Equal(hxList(t, dir), want) {
				t.Errorf("directory holds %q, want %q", hxList(t, dir), want)
			}
			r = hxRun(t, "cat", archive, "dir2/file-038.bin")
			hxSucceeds(t, r, "")
			if r.stdout != string(chunk) {
				t.Errorf("cat after the kill: wrong contents")
			}
		})
	}
}

// hxStoredGzip compresses data into one gzip member of stored deflate
// blocks.
func hxStoredGzip(data []byte) []byte {
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}
	for rest := data; ; {
		n := min(len(rest), 0xffff)
		final := byte(0)
		if n == len(rest) {
			final = 1
		}
		out = append(out, final)
		out = binary.LittleEndian.AppendUint16(out, uint16(n))
		out = binary.LittleEndian.AppendUint16(out, ^uint16(n))
		out = append(out, rest[:n]...)
		rest = rest[n:]
		if final == 1 {
			break
		}
	}
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(data))
	return binary.LittleEndian.AppendUint32(out, uint32(len(data)))
}

// hxSetMtime sets the modification time of path.
func hxSetMtime(t *testing.T, path string, mtime time.Time) {
	t.Helper()
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func hxMtime(t *testing.T, path string) time.Time {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.ModTime()
}

// hxReplace overwrites path in place with data, keeping its mtime.
func hxReplace(t *testing.T, path string, data []byte) {
	t.Helper()
	mtime := hxMtime(t, path)
	st, _ := os.Stat(path)
	if st.Size() != int64(len(data)) {
		t.Fatalf("replacement of %s has %d bytes, want %d (same size)", path, len(data), st.Size())
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	hxSetMtime(t, path, mtime)
	if !hxMtime(t, path).Equal(mtime) {
		t.Fatalf("mtime of %s not restored", path)
	}
}

// hxSetIndexVersion sets meta/version of the bbolt index at path.
func hxSetIndexVersion(t *testing.T, path string, version uint32) {
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

// hxIndexUsed returns how many bytes of the bbolt file at path hold pages
// in use (the high-water mark); the rest of the file is preallocated.
func hxIndexUsed(t *testing.T, path string) int {
	t.Helper()
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var size int64
	db.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil })
	return int(size)
}

func hxIndexVersion(t *testing.T, path string) uint32 {
	t.Helper()
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v uint32
	db.View(func(tx *bolt.Tx) error {
		if meta := tx.Bucket([]byte("meta")); meta != nil && len(meta.Get([]byte("version"))) == 4 {
			v = binary.BigEndian.Uint32(meta.Get([]byte("version")))
		}
		return nil
	})
	return v
}

// TestHxStaleIndex changes the archive or its index behind tarx's back.
// tarx runs in separate processes here: a damaged bbolt file can make a
// reader fault, which would take the whole test binary down.
func TestHxStaleIndex(t *testing.T) {
	exe := hxExe(t)
	// Many small members, so that the index has many pages.
	sizes := []int{100 << 10, 300 << 10, 5000, 200 << 10}
	for range 400 {
		sizes = append(sizes, 100)
	}
	gzOld, listing, contentsOld := hxRegularArchive(t, 1, sizes...)
	gzNew, listingNew, contentsNew := hxRegularArchive(t, 50, sizes...)
	if len(gzOld) != len(gzNew) || listing != listingNew {
		t.Fatalf("the two archives differ in size (%d, %d) or names", len(gzOld), len(gzNew))
	}
	const member = "dir1/file-001.bin"
	const pageSize = 4096
	// rewrite replaces the index with f(its bytes, the size bbolt uses:
	// the pages past it are free).
	rewrite := func(t *testing.T, index string, f func(b []byte, used int) []byte) {
		used := hxIndexUsed(t, index)
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
			name:    "archive-replaced",
			damage:  func(t *testing.T, archive, _ string) { hxReplace(t, archive, gzNew) },
			rebuild: "cat",
			notice:  "index is stale (the archive changed since it was indexed), rebuilding",
		},
		{
			name:    "archive-replaced-extract",
			damage:  func(t *testing.T, archive, _ string) { hxReplace(t, archive, gzNew) },
			rebuild: "extract",
			notice:  "index is stale (the archive changed since it was indexed), rebuilding",
		},
		{
			name: "index-garbage",
			damage: func(t *testing.T, _, index string) {
				rewrite(t, index, func(b []byte, _ int) []byte { return testarchive.Incompressible(7, len(b)) })
			},
			rebuild: "cat",
			notice:  "rebuilding",
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
			name: "index-text",
			damage: func(t *testing.T, _, index string) {
				rewrite(t, index, func([]byte, int) []byte { return []byte("not an index\n") })
			},
			rebuild: "cat",
			notice:  "rebuilding",
		},
		{
			name:    "index-empty",
			damage:  func(t *testing.T, _, index string) { rewrite(t, index, func([]byte, int) []byte { return nil }) },
			rebuild: "cat",
			notice:  "rebuilding",
		},
		{
			name: "index-zeroed-meta-pages",
			damage: func(t *testing.T, _, index string) {
				rewrite(t, index, func(b []byte, _ int) []byte { clear(b[:2*pageSize]); return b })
			},
			rebuild: "cat",
			notice:  "rebuilding",
		},
		{
			// As a copy interrupted by a full disk leaves it.
			name: "index-truncated-last-page",
			damage: func(t *testing.T, _, index string) {
				rewrite(t, index, func(b []byte, used int) []byte { return b[:used-pageSize] })
			},
			partial: true,
			rebuild: "cat",
			notice:  "rebuilding",
		},
		{
			name: "index-truncated-half",
			damage: func(t *testing.T, _, index string) {
				rewrite(t, index, func(b []byte, used int) []byte { return b[:used/2/pageSize*pageSize] })
			},
			partial: true,
			rebuild: "cat",
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
				hxSetIndexVersion(t, index, 0)
			},
			rebuild: "cat",
			notice:  "format version 0, want 1, rebuilding",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "A.tar.gz")
			if err := os.WriteFile(archive, gzOld, 0o644); err != nil {
				t.Fatal(err)
			}
			hxSetMtime(t, archive, time.Now().Add(-time.Hour).Truncate(time.Second).Add(123456789))
			ctx, cancel := context.WithTimeout(context.Background(), 2*hxTimeout)
			defer cancel()
			var global []string
			proc := func(args ...string) hxResult {
				t.Helper()
				return hxExec(t, hxCommand(ctx, exe, append(slices.Clone(global), args...)...))
			}
			index := archive + ".tarx"
			hxSucceeds(t, proc("index", archive), "")
			if tt.indexFlag {
				// A copy of the index, given with --index.
				copyPath := filepath.Join(dir, "old.tarx")
				hxCopyFile(t, index, copyPath, 0o644)
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
				hxFailsOneLine(t, r, archive)
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
				hxFailsOneLine(t, r, archive)
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
			if tt.partial && !strings.Contains(hxExec(t, hxCommand(ctx, exe, append(slices.Clone(global), "--no-reindex", "ls", archive)...)).stderr, "tarx: ") {
				notice = "" // the damage is not met: no rebuild
			}
			switch tt.rebuild {
			case "cat":
				r = proc("cat", archive, member)
				t.Logf("rebuild: %v", r)
				hxSucceeds(t, r, notice)
				if r.stdout != string(want[member]) {
					t.Errorf("%v: wrong contents after the rebuild", r)
				}
			case "extract":
				out := filepath.Join(dir, "out")
				r = proc("extract", archive, "-C", out)
				t.Logf("rebuild: %v", r)
				hxSucceeds(t, r, notice)
				if bad := hxWrongContents(t, out, want); len(bad) > 0 {
					t.Errorf("%v: extracted wrong files: %q", r, bad[:min(len(bad), 5)])
				}
			}
			r = proc("ls", archive)
			hxSucceeds(t, r, "") // rebuilt once: no notice now
			if r.stdout != listing {
				t.Errorf("%v: wrong listing after the rebuild", r)
			}
			if r := proc("verify", archive); tt.partial && notice == "" && r.code != 0 {
				// Damage that ls and cat never met (a bucket they do not
				// read) is still the index's: verify reads every page and
				// must say so in one line.
				hxFailsOneLine(t, r, archive)
				if !strings.Contains(r.stderr, "damaged index") {
					t.Errorf("%v: verify does not say the index is damaged", r)
				}
			} else {
				hxSucceeds(t, r, "")
			}
			if tt.indexFlag {
				if v := hxIndexVersion(t, index); v != 1 {
					t.Errorf("the index given with --index has version %d after the rebuild", v)
				}
			}
			if temps := hxTemps(t, dir); len(temps) > 0 {
				t.Errorf("temporary files left: %q", temps)
			}
		})
	}
}

// TestHxConcurrentFirstUse starts four processes on an archive that has
// no index yet.
func TestHxConcurrentFirstUse(t *testing.T) {
	exe := hxExe(t)
	sizes := make([]int, 24)
	for i := range sizes {
		sizes[i] = 300 << 10
	}
	gz, listing, _ := hxRegularArchive(t, 200, sizes...)
	dir := t.TempDir()
	archive := filepath.Join(dir, "A.tar.gz")
	if err := os.WriteFile(archive, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hxTimeout)
	defer cancel()
	const n = 4
	results := make([]hxResult, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		cmd := hxCommand(ctx, exe, "ls", archive)
		wg.Go(func() {
			<-start
			results[i] = hxExecNoFatal(cmd)
		})
	}
	close(start)
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal("the processes did not finish in time (deadlock?)")
	}
	for i, r := range results {
		t.Logf("process %d: exit %d, stderr %q", i, r.code, r.stderr)
		hxSucceeds(t, r, "")
		if r.stdout != listing {
			t.Errorf("process %d listed %d bytes, want %d", i, len(r.stdout), len(listing))
		}
		if r.stdout != results[0].stdout {
			t.Errorf("processes 0 and %d listed different things", i)
		}
	}
	if want := []string{"A.tar.gz", "A.tar.gz.tarx"}; !slices.Equal(hxList(t, dir), want) {
		t.Errorf("directory holds %q, want %q", hxList(t, dir), want)
	}
	hxSucceeds(t, hxRun(t, "verify", archive), "")
}

// hxExecNoFatal is hxExec for other goroutines: a start failure is an exit
// code of -1.
func hxExecNoFatal(cmd *exec.Cmd) hxResult {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := hxResult{args: cmd.Args[1:], stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		r.code = -1
		r.stderr += "tarx: (test) " + err.Error() + "\n"
	}
	return r
}

// TestHxUnprivileged uses an archive in a read-only directory as user
// nobody: the index goes to the user's cache directory.
func TestHxUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run tarx as another user")
	}
	const uid, gid = 65534, 65534
	base := t.TempDir()
	// Let the other user through the temporary directories.
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The test binary, where the other user can run it.
	bin := filepath.Join(base, "bin")
	os.Mkdir(bin, 0o755)
	exe := filepath.Join(bin, "tarx")
	hxCopyFile(t, hxExe(t), exe, 0o755)

	ro := filepath.Join(base, "ro")
	os.Mkdir(ro, 0o755)
	gz, listing, contents := hxRegularArchive(t, 300, 200<<10, 10<<10, 50<<10)
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
	ctx, cancel := context.WithTimeout(context.Background(), hxTimeout)
	defer cancel()
	asNobody := func(args ...string) hxResult {
		cmd := hxCommand(ctx, exe, args...)
		cmd.Dir = home
		cmd.Env = append(slices.DeleteFunc(os.Environ(), func(e string) bool {
			return strings.HasPrefix(e, "HOME=") || strings.HasPrefix(e, "XDG_CACHE_HOME=")
		}), hxExecEnv+"=1", hxGorace(), "HOME="+home, "XDG_CACHE_HOME="+cache)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
		r := hxExec(t, cmd)
		t.Logf("%v", r)
		return r
	}

	r := asNobody("ls", archive)
	hxSucceeds(t, r, "")
	if r.stdout != listing {
		t.Errorf("%v: listed %q, want %q", r, r.stdout, listing)
	}
	r = asNobody("info", archive)
	hxSucceeds(t, r, "")
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
	if names := hxList(t, ro); !slices.Equal(names, []string{"A.tar.gz"}) {
		t.Errorf("read-only directory holds %q", names)
	}
	r = asNobody("cat", archive, "dir1/file-001.bin")
	hxSucceeds(t, r, "")
	if r.stdout != string(contents["dir1/file-001.bin"]) {
		t.Errorf("cat as the user: wrong contents")
	}
	r = asNobody("extract", archive, "-C", out)
	hxSucceeds(t, r, "")
	if bad := hxWrongContents(t, out, contents); len(bad) > 0 || len(hxTree(t, out)) != 6 {
		t.Errorf("extract as the user: %q, wrong: %q", hxTree(t, out), bad)
	}
	r = asNobody("verify", archive)
	hxSucceeds(t, r, "")
}

// hxChangedMembers returns the members of tarBytes whose contents differ
// in what the damaged gzip file gz decompresses to (read past checksum
// errors, as far as the deflate data can be decoded).
func hxChangedMembers(t *testing.T, tarBytes, gz []byte) []string {
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

func hxCopyFile(t *testing.T, src, dst string, perm os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestHxDiskFull extracts 10 MB into a 2 MB tmpfs.
func TestHxDiskFull(t *testing.T) {
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
	gz, _, contents := hxRegularArchive(t, 400, 6<<20, 1<<20, 1<<20, 1<<20, 1<<20, 300<<10)
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
			r := hxRun(t, tt.args(dir)...)
			t.Logf("%v", r)
			hxCheckLines(t, r)
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
			if bad := hxWrongContents(t, dir, contents); len(bad) > 0 {
				t.Errorf("left incomplete or wrong files: %q", bad)
			}
			if temps := hxTemps(t, arch); len(temps) > 0 {
				t.Errorf("temporary files left: %q", temps)
			}
			v := hxRun(t, "verify", archive)
			hxSucceeds(t, v, "")
			// Make room for the next case.
			os.RemoveAll(dir)
		})
	}
}

// TestHxVerify checks tarx verify on a good archive and on archives whose
// contents changed after indexing while their identity (size, mtime, first
// and last 64 KiB) stayed the same. The other commands must not hand back
// the changed bytes as good either.
func TestHxVerify(t *testing.T) {
	head := hxReg("head.bin", string(testarchive.Incompressible(1, 100<<10)))
	mid := hxReg("mid.bin", string(testarchive.Incompressible(2, 300<<10)))
	tail := hxReg("tail.bin", string(testarchive.Incompressible(3, 100<<10)))
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
		hxReg("t1.txt", string(testarchive.Text(1, 1<<20))),
		hxReg("t2.txt", string(testarchive.Text(2, 1<<20))),
		hxReg("t3.txt", string(testarchive.Text(3, 1<<20))),
	}
	text := testarchive.Gzip(t, tarOf(textEntries...), testarchive.GoLevel6)
	textFlipped := slices.Clone(text)
	textFlipped[len(text)/2] ^= 0x08

	textChanged := hxChangedMembers(t, tarOf(textEntries...), textFlipped)
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
			b := hxNewBox(t, tt.good)
			r := hxRun(t, "verify", b.archive)
			hxSucceeds(t, r, "")
			if !strings.HasPrefix(r.stdout, b.archive+": OK: ") {
				t.Errorf("%v: stdout %q", r, r.stdout)
			}
			hxReplace(t, b.archive, tt.bad)
			index, _ := os.ReadFile(b.archive + ".tarx")
			dirGet, dirExtract := b.target(t, "get"), b.target(t, "extract")
			b.watch(t)

			// ls needs only the index: it works.
			hxSucceeds(t, hxRun(t, "ls", b.archive), "")

			r = hxRun(t, "verify", b.archive)
			t.Logf("%v", r)
			hxCheckLines(t, r)
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
			r = hxRun(t, "cat", b.archive, tt.changed)
			t.Logf("cat: exit %d, %d bytes, stderr %q", r.code, len(r.stdout), r.stderr)
			switch {
			case r.code == 0 && r.stdout != string(tt.contents[tt.changed]):
				t.Errorf("cat %s: exit 0 with wrong bytes", tt.changed)
			case r.code != 0:
				hxFailsOneLine(t, r, b.archive)
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
				r = hxRun(t, args...)
				t.Logf("%v", r)
				hxCheckLines(t, r)
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
				if bad := hxWrongContents(t, args[len(args)-1], tt.contents); len(bad) > 0 {
					t.Errorf("%v: left %q", r, bad)
				}
			}
			b.check(t)
		})
	}
}
