package index

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/gzseek"
	"github.com/tarx-dev/tarx/internal/testarchive"
	bolt "go.etcd.io/bbolt"
)

// bigEntries returns files alternating text and incompressible data,
// totalling about size bytes, so that a build takes a while.
func bigEntries(size int) []testarchive.Entry {
	var entries []testarchive.Entry
	for i := 0; size > 0; i++ {
		n := min(size, 1<<20+i*4099)
		size -= n
		data := testarchive.Incompressible(int64(i), n)
		if i%2 == 0 {
			data = testarchive.Text(int64(i), n)
		}
		entries = append(entries, testarchive.Entry{
			Header: tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("big/file-%03d", i), Mode: 0o644, ModTime: time.Unix(1e9, 0)},
			Data:   data,
		})
	}
	return entries
}

// bigArchive returns a tar.gz of about size bytes of tar at GoLevel1,
// computed once per size.
var bigArchive = func() func(testing.TB, int) []byte {
	var mu sync.Mutex
	cache := make(map[int][]byte)
	return func(tb testing.TB, size int) []byte {
		tb.Helper()
		mu.Lock()
		defer mu.Unlock()
		if gz, ok := cache[size]; ok {
			return gz
		}
		gz := testarchive.Gzip(tb, testarchive.Tar(tb, bigEntries(size), tar.FormatPAX), testarchive.GoLevel1)
		cache[size] = gz
		return gz
	}
}()

// checkNoIndex checks that the directory of archive p holds only p.
func checkNoIndex(tb testing.TB, p string) {
	tb.Helper()
	des, err := os.ReadDir(filepath.Dir(p))
	if err != nil {
		tb.Fatal(err)
	}
	for _, de := range des {
		if de.Name() != filepath.Base(p) {
			tb.Errorf("file %s left beside the archive", de.Name())
		}
	}
}

// TestOpen_Canceled cancels a build from its first progress report.
func TestOpen_Canceled(t *testing.T) {
	t.Parallel()
	p := writeArchive(t, bigArchive(t, 12<<20))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	a, err := Open(ctx, p, Options{BuildOptions: BuildOptions{Progress: func(done, total int64) {
		calls++
		cancel()
	}}})
	if !errors.Is(err, context.Canceled) {
		if err == nil {
			a.Close()
		}
		t.Fatalf("Open canceled during the build: err = %v, want context.Canceled", err)
	}
	if calls == 0 {
		t.Fatal("no progress reported")
	}
	checkNoIndex(t, p)

	a = mustOpen(t, p, Options{})
	if got, want := a.Info().Members, int64(len(bigEntries(12<<20))); got != want {
		t.Errorf("after the canceled build: %d members, want %d", got, want)
	}

	// A context canceled before Open: nothing is built either.
	q := writeArchive(t, bigArchive(t, 12<<20))
	if a, err := Open(ctx, q, Options{}); !errors.Is(err, context.Canceled) {
		if err == nil {
			a.Close()
		}
		t.Errorf("Open with a canceled context: err = %v, want context.Canceled", err)
	}
	checkNoIndex(t, q)
}

// TestOpen_LeftoverTemp checks that a build removes the temporary files
// of killed builds of the same index, and only those.
func TestOpen_LeftoverTemp(t *testing.T) {
	gz, data := namedArchive(t, "a.bin", 1)
	p := writeArchive(t, gz)
	dir := filepath.Dir(p)
	leftovers := []string{"a.tar.gz.tarx.tmp-12345", "a.tar.gz.tarx.tmp-"}
	others := []string{"b.tar.gz.tarx.tmp-12345", "a.tar.gz.tarx.tmpx", "xa.tar.gz.tarx.tmp-1"}
	for _, name := range append(leftovers, others...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("half an index"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var r recorder
	openClose(t, p, &r, Options{}, "a.bin", data)
	for _, name := range leftovers {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("leftover %s not removed", name)
		}
	}
	for _, name := range others {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s, not a temporary file of this index: %v", name, err)
		}
	}
}

// Child roles for the build tests. The archive is in $TARX_TEST_ARCHIVE.

// childBuild opens the archive, printing "building" on standard output at
// the first progress report; the parent kills it then.
func childBuild() error {
	var once sync.Once
	a, err := Open(context.Background(), os.Getenv(envArchive), Options{BuildOptions: BuildOptions{Progress: func(done, total int64) {
		once.Do(func() { fmt.Println("building") })
	}}})
	if err != nil {
		return err
	}
	return a.Close()
}

// childResult is what the "open" child role prints.
type childResult struct {
	Info     Info
	Progress int64
}

// childOpen waits until its standard input ends, so that the parent can
// start several at once, then opens the archive and prints a childResult.
func childOpen() error {
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		return err
	}
	var res childResult
	a, err := Open(context.Background(), os.Getenv(envArchive), Options{BuildOptions: BuildOptions{
		Progress: func(int64, int64) { res.Progress++ },
		Warn:     func(msg string) { fmt.Fprintln(os.Stderr, msg) },
	}})
	if err != nil {
		return err
	}
	defer a.Close()
	res.Info = a.Info()
	if _, err := a.Lookup("big/file-000"); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// TestOpen_Killed kills a process with SIGKILL in the middle of a build:
// its temporary file stays behind, and the next Open builds the index and
// removes it.
func TestOpen_Killed(t *testing.T) {
	t.Parallel()
	gz := bigArchive(t, 30<<20)
	p := writeArchive(t, gz)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := childCommand(ctx, testarchive.TestBinary(t), "build", envArchive+"="+p)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "building\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child: %q, %v\n%s", line, err, stderr.Bytes())
	}
	temps := tempFiles(t, filepath.Dir(p))
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v\n%s", err, stderr.Bytes())
	}
	// One build's: the index and the scratch file of its tree.
	if len(temps) != 2 || temps[1] != temps[0]+".tree" {
		t.Fatalf("temporary files during the build: %q, want an index and its .tree", temps)
	}
	if _, err := os.Stat(p + Suffix); err == nil {
		t.Fatal("the killed build finished its index")
	}
	if got := tempFiles(t, filepath.Dir(p)); !slices.Equal(got, temps) {
		t.Fatalf("temporary files after the kill: %q, want the killed build's", got)
	}

	var r recorder
	a, err := Open(ctx, p, r.options(Options{}))
	if err != nil {
		t.Fatalf("Open after the kill: %v", err)
	}
	defer a.Close()
	if w, built := r.reset(); !built || len(w) != 0 {
		t.Errorf("Open after the kill: built %v, warnings %q", built, w)
	}
	if got := tempFiles(t, filepath.Dir(p)); len(got) != 0 {
		t.Errorf("temporary files after the next build: %q", got)
	}
	entries := bigEntries(30 << 20)
	last := entries[len(entries)-1]
	m, err := a.Lookup(last.Header.Name)
	if err != nil {
		t.Fatal(err)
	}
	if got := readMember(t, a, m); !bytes.Equal(got, last.Data) {
		t.Errorf("%s: wrong contents", last.Header.Name)
	}
}

// TestOpen_ConcurrentGoroutines opens an unindexed archive from four
// goroutines at once: one builds, the others wait and use its index.
func TestOpen_ConcurrentGoroutines(t *testing.T) {
	p := writeArchive(t, bigArchive(t, 12<<20))
	const n = 4
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		infos    [n]Info
		errs     [n]error
		progress [n]atomic.Int64
		warnings atomic.Int64
	)
	for i := range n {
		wg.Go(func() {
			<-start
			a, err := Open(context.Background(), p, Options{BuildOptions: BuildOptions{
				Progress: func(int64, int64) { progress[i].Add(1) },
				Warn:     func(string) { warnings.Add(1) },
			}})
			if err != nil {
				errs[i] = err
				return
			}
			defer a.Close()
			infos[i] = a.Info()
			if _, err := a.Lookup("big/file-000"); err != nil {
				errs[i] = err
			}
		})
	}
	close(start)
	wg.Wait()
	builders := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		if infos[i] != infos[0] {
			t.Errorf("Open %d: Info %+v, want %+v", i, infos[i], infos[0])
		}
		if progress[i].Load() > 0 {
			builders++
		}
	}
	if builders != 1 {
		t.Errorf("%d of %d Opens built the index, want 1", builders, n)
	}
	if w := warnings.Load(); w != 0 {
		t.Errorf("%d warnings", w)
	}
	if got := tempFiles(t, filepath.Dir(p)); len(got) != 0 {
		t.Errorf("temporary files left: %q", got)
	}
}

// TestOpen_ConcurrentProcesses opens an unindexed archive from four
// processes at once: one builds, the others wait and use its index.
func TestOpen_ConcurrentProcesses(t *testing.T) {
	p := writeArchive(t, bigArchive(t, 12<<20))
	exe := testarchive.TestBinary(t)
	const n = 4
	type child struct {
		cmd            *exec.Cmd
		stdin          io.WriteCloser
		stdout, stderr bytes.Buffer
	}
	var children [n]*child
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := range children {
		c := &child{cmd: childCommand(ctx, exe, "open", envArchive+"="+p)}
		c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
		var err error
		if c.stdin, err = c.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children[i] = c
	}
	for _, c := range children {
		c.stdin.Close() // all start opening now
	}
	var results [n]childResult
	builders := 0
	for i, c := range children {
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, c.stderr.Bytes())
		}
		if c.stderr.Len() > 0 {
			t.Errorf("child %d: %s", i, c.stderr.Bytes())
		}
		if err := json.Unmarshal(c.stdout.Bytes(), &results[i]); err != nil {
			t.Fatalf("child %d: %v: %q", i, err, c.stdout.Bytes())
		}
		if results[i].Progress > 0 {
			builders++
		}
	}
	for i, res := range results {
		if !res.Info.Built.Equal(results[0].Info.Built) || res.Info.BuildDuration != results[0].Info.BuildDuration ||
			res.Info.IndexSize != results[0].Info.IndexSize || res.Info.Members != results[0].Info.Members {
			t.Errorf("child %d: Info %+v, child 0: %+v", i, res.Info, results[0].Info)
		}
	}
	if builders != 1 {
		t.Errorf("%d of %d processes built the index, want 1", builders, n)
	}
	if got := tempFiles(t, filepath.Dir(p)); len(got) != 0 {
		t.Errorf("temporary files left: %q", got)
	}
}

// TestOpen_BrokenArchive checks that archives that cannot be indexed fail
// with an error saying which layer is broken, and leave no index or
// temporary file behind.
func TestOpen_BrokenArchive(t *testing.T) {
	t.Parallel()
	tarBytes := mixedTar(t, tar.FormatPAX)
	gz := testarchive.Gzip(t, tarBytes, testarchive.GoLevel6)
	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-8] ^= 1
	badTar := bytes.Clone(tarBytes)
	copy(badTar[512*3:], bytes.Repeat([]byte{'x'}, 512)) // a header block, inside the first members
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"not-gzip", []byte("this is not a gzip file, just text\n"), ErrArchiveFormat},
		{"empty", nil, ErrArchiveFormat},
		{"bzip2", append([]byte("BZh91AY&SY"), make([]byte, 600)...), ErrArchiveFormat},
		{"gzip-magic-only", append([]byte{0x1f, 0x8b, 0}, make([]byte, 600)...), gzseek.ErrHeader},
		{"plain-bad-tar-header", badTar, ErrTar},
		{"plain-truncated", tarBytes[:len(tarBytes)/2+100], ErrTar},
		{"truncated", gz[:len(gz)/2], gzseek.ErrTruncated},
		{"bad-crc", badCRC, gzseek.ErrChecksum},
		{"trailing-garbage", append(bytes.Clone(gz), "garbage after the gzip member"...), gzseek.ErrTrailingData},
		{"not-tar", testarchive.Gzip(t, bytes.Repeat([]byte("not a tar header "), 100), testarchive.GoLevel6), ErrTar},
		{"bad-tar-header", testarchive.Gzip(t, badTar, testarchive.GoLevel6), ErrTar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeArchive(t, tt.data)
			a, err := Open(context.Background(), p, Options{})
			if err == nil {
				a.Close()
				t.Fatal("Open succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			checkNoIndex(t, p)
		})
	}
}

// TestBuild_Jobs checks that a build inflating in parallel writes the
// same checkpoints and members as a sequential one.
func TestBuild_Jobs(t *testing.T) {
	t.Parallel()
	p := writeArchive(t, bigArchive(t, 30<<20))
	type built struct {
		info    Info
		members []*Member
		cps     [][2][]byte
	}
	var got []built
	for _, jobs := range []int{1, 2} {
		a, err := Build(context.Background(), p, Options{IndexPath: filepath.Join(t.TempDir(), "i.tarx"), BuildOptions: BuildOptions{Jobs: jobs}})
		if err != nil {
			t.Fatalf("jobs %d: %v", jobs, err)
		}
		b := built{info: a.Info(), members: members(t, a)}
		err = a.db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketCheckpoints).ForEach(func(k, v []byte) error {
				b.cps = append(b.cps, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
				return nil
			})
		})
		a.Close()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	seq, par := got[0], got[1]
	if seq.info.Checkpoints < 4 || seq.info.ArchiveSize < 2*gzseek.DefaultChunkSize {
		t.Fatalf("archive too small to decode in parallel: %d bytes, %d checkpoints", seq.info.ArchiveSize, seq.info.Checkpoints)
	}
	if par.info.Checkpoints != seq.info.Checkpoints || par.info.WindowBytes != seq.info.WindowBytes ||
		par.info.Members != seq.info.Members || par.info.UncompressedSize != seq.info.UncompressedSize {
		t.Errorf("parallel build info %+v, sequential %+v", par.info, seq.info)
	}
	if len(par.cps) != len(seq.cps) {
		t.Fatalf("%d checkpoints, sequential %d", len(par.cps), len(seq.cps))
	}
	for i := range seq.cps {
		if !bytes.Equal(par.cps[i][0], seq.cps[i][0]) || !bytes.Equal(par.cps[i][1], seq.cps[i][1]) {
			t.Fatalf("checkpoint %d differs", i)
		}
	}
	if len(par.members) != len(seq.members) {
		t.Fatalf("%d members, sequential %d", len(par.members), len(seq.members))
	}
	for i := range seq.members {
		if d := diffMember(par.members[i], seq.members[i]); d != "" {
			t.Fatalf("member %d: %s", i, d)
		}
	}
}

// TestBuild_SparseWindows builds with sparse windows: they must be
// smaller, every member must read back, and Verify must accept them.
func TestBuild_SparseWindows(t *testing.T) {
	t.Parallel()
	entries := bigEntries(6 << 20)
	p := writeArchive(t, testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel6))
	var sizes []int64
	for _, sparse := range []bool{false, true} {
		opts := Options{IndexPath: filepath.Join(t.TempDir(), "i.tarx"), BuildOptions: BuildOptions{Span: 256 << 10, FullWindows: !sparse}}
		a, err := Build(context.Background(), p, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		info := a.Info()
		if info.SparseWindows != sparse {
			t.Errorf("Info.SparseWindows = %v, want %v", info.SparseWindows, sparse)
		}
		sizes = append(sizes, info.WindowBytes)
		ms := members(t, a)
		for i, m := range ms {
			if got := readMember(t, a, m); !bytes.Equal(got, entries[i].Data) {
				t.Fatalf("sparse %v: member %s reads back wrong", sparse, m.Name())
			}
		}
		problems, err := a.Verify(context.Background(), nil)
		if err != nil || len(problems) > 0 {
			t.Fatalf("sparse %v: Verify: %v %v", sparse, err, problems)
		}
	}
	t.Logf("window bytes: %d full, %d sparse", sizes[0], sizes[1])
	if sizes[1] >= sizes[0] {
		t.Errorf("sparse windows take %d bytes, full ones %d", sizes[1], sizes[0])
	}
}

// TestBuild_DefaultSpan checks which span and windows a build chooses when
// BuildOptions leaves them open: 1 MiB with sparse windows when the archive
// can be read again, 4 MiB with whole windows from a stream, with
// FullWindows, and for a plain tar.
func TestBuild_DefaultSpan(t *testing.T) {
	entries := bigEntries(3 << 20)
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	gz := writeArchive(t, testarchive.Gzip(t, tarBytes, testarchive.GoLevel6))
	plain := writeArchive(t, tarBytes)
	tests := []struct {
		name       string
		path       string
		stream     bool
		opts       BuildOptions
		span       int64
		sparse     bool
		checkpoint int64 // at least this many
	}{
		{"gzip", gz, false, BuildOptions{}, DefaultSpan, true, 3},
		{"gzip full windows", gz, false, BuildOptions{FullWindows: true}, DefaultStreamSpan, false, 1},
		{"gzip span given", gz, false, BuildOptions{Span: 256 << 10}, 256 << 10, true, 12},
		{"gzip stream", gz, true, BuildOptions{}, DefaultStreamSpan, false, 1},
		{"plain", plain, false, BuildOptions{}, DefaultStreamSpan, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ipath := filepath.Join(t.TempDir(), "i.tarx")
			var info Info
			if tt.stream {
				f, err := os.Open(tt.path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				// A reader that is not an io.ReaderAt, as a pipe is.
				if info, err = Scan(context.Background(), struct{ io.Reader }{f}, ipath, tt.opts); err != nil {
					t.Fatal(err)
				}
			} else {
				a, err := Build(context.Background(), tt.path, Options{IndexPath: ipath, BuildOptions: tt.opts})
				if err != nil {
					t.Fatal(err)
				}
				info = a.Info()
				a.Close()
			}
			if info.Span != tt.span || info.SparseWindows != tt.sparse || info.Checkpoints < tt.checkpoint {
				t.Errorf("span %d, sparse %v, %d checkpoints; want span %d, sparse %v, at least %d checkpoints",
					info.Span, info.SparseWindows, info.Checkpoints, tt.span, tt.sparse, tt.checkpoint)
			}
		})
	}
}

// TestDefaultJobs checks that a build inflates in parallel by default
// only where there are at least minParallelCores cores.
func TestDefaultJobs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range []struct{ procs, want int }{{1, 1}, {2, 1}, {3, 3}, {8, 8}} {
		runtime.GOMAXPROCS(c.procs)
		if got := DefaultJobs(); got != c.want {
			t.Errorf("GOMAXPROCS %d: DefaultJobs() = %d, want %d", c.procs, got, c.want)
		}
		if got := (&BuildOptions{}).jobs(); got != c.want {
			t.Errorf("GOMAXPROCS %d: BuildOptions{}.jobs() = %d, want %d", c.procs, got, c.want)
		}
		if got := (&BuildOptions{Jobs: 2}).jobs(); got != 2 {
			t.Errorf("GOMAXPROCS %d: BuildOptions{Jobs: 2}.jobs() = %d", c.procs, got)
		}
	}
}
