package main

// Acceptance tests of sharded extraction: shards run as separate processes,
// each with the environment its scheduler sets, against an archive and its
// published index on a local HTTP server, then --finish; the tree must be
// GNU tar's.

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// shardSpan is the checkpoint span of the test indexes: small, so that
// the test archives have many checkpoints and members cross shards.
const shardSpan = "64K"

// countingServer serves dir over HTTP, counting the bytes of the archive
// bodies it sends (not the index's) and, while slow is set, sending them
// slowly.
type countingServer struct {
	url   string
	bytes atomic.Int64
	slow  atomic.Bool
	sent  chan struct{} // receives once bytes were sent while slow
}

func newCountingServer(t *testing.T, dir string) *countingServer {
	s := &countingServer{sent: make(chan struct{}, 1)}
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".tarx") {
			files.ServeHTTP(w, r)
			return
		}
		files.ServeHTTP(&countingWriter{ResponseWriter: w, s: s}, r)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

type countingWriter struct {
	http.ResponseWriter
	s *countingServer
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if !c.s.slow.Load() {
		n, err := c.ResponseWriter.Write(p)
		c.s.bytes.Add(int64(n))
		return n, err
	}
	var n int
	for len(p) > 0 {
		k := min(len(p), 4<<10)
		m, err := c.ResponseWriter.Write(p[:k])
		n += m
		c.s.bytes.Add(int64(m))
		if err != nil {
			return n, err
		}
		c.ResponseWriter.(http.Flusher).Flush()
		select {
		case c.s.sent <- struct{}{}:
		default:
		}
		time.Sleep(20 * time.Millisecond)
		p = p[k:]
	}
	return n, nil
}

// publish writes gz with its index (of shardSpan) into a new directory
// served over HTTP and returns the server and the archive's URL.
func publish(t *testing.T, gz []byte) (*countingServer, string) {
	t.Helper()
	p := writeArchive(t, "archive.tar.gz", gz)
	mustRun(t, "index", p, "--span", shardSpan)
	s := newCountingServer(t, filepath.Dir(p))
	return s, s.url + "/" + filepath.Base(p)
}

// scheduler sets a task's environment as one scheduler sets it, and the
// arguments tarx then needs.
type scheduler struct {
	name string
	task func(k, n int) (env, args []string)
}

var schedulers = []scheduler{
	{"kubernetes", func(k, n int) ([]string, []string) {
		return []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(k)}, []string{"--shard", "auto", "--shards", strconv.Itoa(n)}
	}},
	{"slurm", func(k, n int) ([]string, []string) {
		// sbatch --array=1-N: IDs from 1.
		return []string{"SLURM_ARRAY_JOB_ID=77", "SLURM_ARRAY_TASK_ID=" + strconv.Itoa(k+1), "SLURM_ARRAY_TASK_MIN=1",
			"SLURM_ARRAY_TASK_MAX=" + strconv.Itoa(n), "SLURM_ARRAY_TASK_COUNT=" + strconv.Itoa(n)}, []string{"--shard", "auto"}
	}},
	{"aws-batch", func(k, n int) ([]string, []string) {
		return []string{"AWS_BATCH_JOB_ARRAY_INDEX=" + strconv.Itoa(k)}, []string{"--shard", "auto", "--shards", strconv.Itoa(n)}
	}},
	{"gnu-parallel", func(k, n int) ([]string, []string) {
		return []string{"PARALLEL_SEQ=" + strconv.Itoa(k+1)}, []string{"--shard", "auto", "--shards", strconv.Itoa(n)}
	}},
	{"explicit", func(k, n int) ([]string, []string) {
		return nil, []string{"--shard", fmt.Sprintf("%d/%d", k, n)}
	}},
}

// shardCommand returns the command of task k of n under sc, extracting
// url into dir (args before them: the command and its selection).
func shardCommand(t *testing.T, ctx context.Context, sc scheduler, k, n int, args ...string) *exec.Cmd {
	env, flags := sc.task(k, n)
	cmd := tarxCommand(ctx, testarchive.TestBinary(t), append(args, flags...)...)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// runShards runs the n shards of args at once, each in its own process,
// and fails the test unless all succeed silently.
func runShards(t *testing.T, sc scheduler, n int, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	var wg sync.WaitGroup
	results := make([]result, n)
	for k := range n {
		wg.Go(func() { results[k] = execTarx(t, shardCommand(t, ctx, sc, k, n, args...)) })
	}
	wg.Wait()
	for _, r := range results {
		checkSucceeded(t, r, "")
	}
}

// checkNoRecords checks that --finish removed the shards' records.
func checkNoRecords(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(dir, ".tarx-shards")); !os.IsNotExist(err) {
		t.Errorf("%s/.tarx-shards is still there after --finish: %v", dir, err)
	}
}

func TestShards_MatchGNUTar(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	for i, tc := range testarchive.Corpus() {
		t.Run(tc.Name, func(t *testing.T) {
			gz := tc.Make(t)
			_, url := publish(t, gz)
			ref := filepath.Join(t.TempDir(), "ref")
			testarchive.GNUTarExtract(t, writeArchive(t, "ref.tar.gz", gz), ref)
			for j, n := range []int{1, 3, 7} {
				sc := schedulers[(i+j)%len(schedulers)]
				t.Run(fmt.Sprintf("%d-%s", n, sc.name), func(t *testing.T) {
					dir := filepath.Join(t.TempDir(), "out")
					runShards(t, sc, n, "extract", url, "-C", dir)
					mustRun(t, "extract", url, "-C", dir, "--finish")
					testarchive.CompareTrees(t, gz, ref, dir)
					checkNoRecords(t, dir)
				})
			}
		})
	}
}

// crossingArchive is an archive whose members cross shards every way:
// big files over several shard boundaries, hard links and symbolic links
// whose targets are in other shards, a directory written by many shards
// with a mode that forbids writing, and paths named again far apart.
func crossingArchive(t *testing.T, wholeSize int) []byte {
	t.Helper()
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 5, SmallFiles: 60, BigFiles: 5, BigSize: 400 << 10})
	at := time.Unix(1_650_000_000, 0)
	reg := func(name string, data []byte) testarchive.Entry {
		return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, ModTime: at}, Data: data}
	}
	first := []testarchive.Entry{
		{Header: tar.Header{Typeflag: tar.TypeDir, Name: "ro/", Mode: 0o555, ModTime: at}},
		reg("ro/early", []byte("early\n")),
		reg("again", []byte("first again\n")),
		reg("becomes-link", []byte("a file, then a symbolic link\n")),
		reg("whole", testarchive.Incompressible(1, wholeSize)), // crosses several shards
		{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: "to-late", Linkname: "late", ModTime: at}},
	}
	last := []testarchive.Entry{
		reg("ro/late", testarchive.Text(2, 300<<10)),
		reg("late", []byte("late\n")),
		{Header: tar.Header{Typeflag: tar.TypeLink, Name: "link-to-whole", Linkname: "whole", ModTime: at}},
		{Header: tar.Header{Typeflag: tar.TypeLink, Name: "ro/link-to-early", Linkname: "ro/early", ModTime: at}},
		reg("again", []byte("second again, the one that wins\n")),
		{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: "becomes-link", Linkname: "whole", ModTime: at}},
	}
	all := append(append(first, entries...), last...)
	return testarchive.External(t, testarchive.Tar(t, all, tar.FormatPAX), "gzip-6")
}

func TestShards_Crossing(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	// Big enough for shards to be many remote blocks (256 KiB) each.
	gz := crossingArchive(t, 8<<20)
	srv, url := publish(t, gz)
	ref := filepath.Join(t.TempDir(), "ref")
	archive := writeArchive(t, "ref.tar.gz", gz)
	testarchive.GNUTarExtract(t, archive, ref)

	// The plan: 7 shards, members split over their boundaries.
	var plan struct {
		Shards []struct {
			Members, Split, Bytes int64
		}
		Balance float64
	}
	r := mustRun(t, "plan", url, "--shards", "7", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || len(plan.Shards) != 7 {
		t.Fatalf("plan --json: %v: %s", err, r.stdout)
	}
	split := 0
	for _, s := range plan.Shards {
		split += int(s.Split)
	}
	if split < 4 {
		t.Errorf("plan splits %d members over shard boundaries, want several: %s", split, r.stdout)
	}
	if again := mustRun(t, "plan", url, "--shards", "7", "--json"); again.stdout != r.stdout {
		t.Errorf("the plan changed between two runs:\n%s\n%s", r.stdout, again.stdout)
	}

	// Each shard, alone, fetches its share of the archive: the compressed
	// range of its spans (which the plan balances by the work of inflating
	// and writing, so compressible parts make bigger shares).
	for _, n := range []int{3, 7} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			var plan struct {
				Shards []struct {
					FetchStart int64 `json:"fetch_start"`
					FetchEnd   int64 `json:"fetch_end"`
				}
			}
			r := mustRun(t, "plan", url, "--shards", strconv.Itoa(n), "--json")
			if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || len(plan.Shards) != n {
				t.Fatalf("plan --json: %v: %s", err, r.stdout)
			}
			dir := filepath.Join(t.TempDir(), "out")
			var shares int64
			for k := range n {
				before := srv.bytes.Load()
				r := execTarx(t, shardCommand(t, t.Context(), schedulers[0], k, n, "extract", url, "-C", dir))
				checkSucceeded(t, r, "")
				got := srv.bytes.Load() - before
				// Beyond its share a shard fetches the rest of the remote
				// blocks (256 KiB) at either end, what the inflater reads
				// ahead, and the first and last blocks, which opening the
				// archive reads for its fingerprint: 5 blocks at most.
				share := plan.Shards[k].FetchEnd - plan.Shards[k].FetchStart
				shares += share
				t.Logf("shard %d of %d: fetched %d bytes, share %d, 1/%d of the archive %d", k, n, got, share, n, int64(len(gz))/int64(n))
				if limit := share + 5*256<<10; got > limit {
					t.Errorf("shard %d of %d fetched %d bytes of the %d-byte archive, more than its share %d and 5 blocks", k, n, got, len(gz), share)
				}
			}
			// The shares overlap by the span each shard reads past its end.
			if shares > int64(len(gz))+int64(n)*256<<10 {
				t.Errorf("the %d shards' shares add up to %d bytes of a %d-byte archive", n, shares, len(gz))
			}
			mustRun(t, "extract", url, "-C", dir, "--finish")
			testarchive.CompareTrees(t, gz, ref, dir)
			checkNoRecords(t, dir)
		})
	}

	// A selection with get: the shards and --finish of the same selection
	// leave what tar leaves for it.
	t.Run("get", func(t *testing.T) {
		sel := []string{"big", "ro", "whole", "link-to-whole"}
		selRef := filepath.Join(t.TempDir(), "ref")
		testarchive.GNUTarExtract(t, archive, selRef, sel...)
		dir := filepath.Join(t.TempDir(), "out")
		runShards(t, schedulers[1], 3, append([]string{"get", url, "-C", dir}, sel...)...)
		mustRun(t, append([]string{"get", url, "-C", dir, "--finish"}, sel...)...)
		compareTrees(t, gz, selRef, dir, true)
		checkNoRecords(t, dir)
	})
}

// TestShards_KilledAndRerun kills a shard in the middle, checks that
// --finish refuses to run and names it, runs it again and finishes.
func TestShards_KilledAndRerun(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	gz := crossingArchive(t, 900<<10)
	srv, url := publish(t, gz)
	ref := filepath.Join(t.TempDir(), "ref")
	testarchive.GNUTarExtract(t, writeArchive(t, "ref.tar.gz", gz), ref)
	dir := filepath.Join(t.TempDir(), "out")
	const n = 3
	for _, k := range []int{0, 2} {
		checkSucceeded(t, execTarx(t, shardCommand(t, t.Context(), schedulers[4], k, n, "extract", url, "-C", dir)), "")
	}
	r := runTarx(t, "extract", url, "-C", dir, "--finish")
	checkOneLine(t, r, 1, url+": ", "shard 1 of 3 not done")

	// Shard 1 again, killed once it has received some of its bytes.
	srv.slow.Store(true)
	cmd := shardCommand(t, t.Context(), schedulers[4], 1, n, "extract", url, "-C", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.sent:
	case <-time.After(cmdTimeout):
		t.Fatal("shard 1 fetched nothing")
	}
	time.Sleep(100 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	srv.slow.Store(false)
	r = runTarx(t, "extract", url, "-C", dir, "--finish")
	checkOneLine(t, r, 1, url+": ", "shard 1 of 3 not done")

	checkSucceeded(t, execTarx(t, shardCommand(t, t.Context(), schedulers[4], 1, n, "extract", url, "-C", dir)), "")
	mustRun(t, "extract", url, "-C", dir, "--finish")
	testarchive.CompareTrees(t, gz, ref, dir)
	checkNoRecords(t, dir)

	// --finish once more has nothing to finish, and says so.
	r = runTarx(t, "extract", url, "-C", dir, "--finish")
	checkOneLine(t, r, 1, url+": ", "no shard has recorded that it is done")
}

// TestShards_FailedMember: a member refused by the shard that owns it
// fails that shard (one line, exit 1) and no other; --finish finishes the
// rest, names the shard and exits 1, and keeps the records.
func TestShards_FailedMember(t *testing.T) {
	at := time.Unix(1_650_000_000, 0)
	var entries []testarchive.Entry
	for i := range 40 {
		entries = append(entries, testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("d/f%02d", i), Mode: 0o644, ModTime: at}, Data: testarchive.Incompressible(int64(i), 40<<10)})
	}
	entries[30].Header.Name = "../evil"
	p := writeArchive(t, "a.tar.gz", testarchive.External(t, testarchive.Tar(t, entries, tar.FormatPAX), "gzip-6"))
	mustRun(t, "index", p, "--span", shardSpan)
	dir := filepath.Join(t.TempDir(), "out")
	failed := 0
	for k := range 3 {
		r := runTarx(t, "extract", p, "-C", dir, "--shard", fmt.Sprintf("%d/3", k))
		if r.code != 0 {
			failed++
			checkOneLine(t, r, 1, p+": ", "../evil")
		}
	}
	if failed != 1 {
		t.Errorf("%d shards failed, want the one that owns ../evil", failed)
	}
	r := runTarx(t, "extract", p, "-C", dir, "--finish")
	checkOneLine(t, r, 1, p+": ", "1 member failed")
	for i, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Header.Name)); (err == nil) == (i == 30) {
			t.Errorf("%s: %v", e.Header.Name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".tarx-shards")); err != nil {
		t.Errorf("--finish with a failed shard removed the records: %v", err)
	}
}

func TestShards_Refused(t *testing.T) {
	p, _ := smallArchive(t)
	dir := t.TempDir()
	tests := []struct {
		env    []string
		args   []string
		code   int
		prefix string
		want   []string
	}{
		{args: []string{"extract", p, "-C", dir, "--shard", "3/3"}, code: 2, prefix: "extract: --shard: ", want: []string{"count from 0 to 2"}},
		{args: []string{"extract", p, "-C", dir, "--shard", "x"}, code: 2, prefix: "extract: --shard: ", want: []string{"want K/N"}},
		{args: []string{"extract", p, "-C", dir, "--shard", "auto"}, code: 2, prefix: "extract: --shard: ", want: []string{"none of JOB_COMPLETION_INDEX"}},
		{env: []string{"JOB_COMPLETION_INDEX=1"}, args: []string{"extract", p, "-C", dir, "--shard", "auto"}, code: 2, prefix: "extract: --shard: ", want: []string{"give --shards N"}},
		{env: []string{"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=6", "SLURM_ARRAY_TASK_COUNT=4", "SLURM_ARRAY_TASK_STEP=2"},
			args: []string{"extract", p, "-C", dir, "--shard", "auto"}, code: 2, prefix: "extract: --shard: ", want: []string{"step 2", "consecutive"}},
		{env: []string{"SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=7", "SLURM_ARRAY_TASK_COUNT=3"},
			args: []string{"extract", p, "-C", dir, "--shard", "auto"}, code: 2, prefix: "extract: --shard: ", want: []string{"has 3 tasks, not 7"}},
		{args: []string{"extract", p, "-C", dir, "--shard", "0/2", "--finish"}, code: 2, prefix: "extract: ", want: []string{"give one"}},
		{args: []string{"extract", p, "-C", dir, "--shards", "2"}, code: 2, prefix: "extract: ", want: []string{"--shards is for --shard auto"}},
		{args: []string{"extract", "-", "-C", dir, "--shard", "0/2"}, code: 2, prefix: "extract: ", want: []string{"cannot be -"}},
		{args: []string{"get", p, "x", "-O", "--shard", "0/2"}, code: 2, prefix: "get: ", want: []string{"not --to-stdout"}},
		{args: []string{"extract", p, "-C", dir, "--shard", "0/2", "--strip-components", "1"}, code: 1, prefix: p + ": ", want: []string{"--strip-components cannot be used with shards"}},
		{args: []string{"extract", p, "-C", dir, "--shard", "0/2", "-k"}, code: 1, prefix: p + ": ", want: []string{"keep existing files"}},
		{args: []string{"extract", p, "-C", dir, "--finish"}, code: 1, prefix: p + ": ", want: []string{"no shard has recorded"}},
		{args: []string{"plan", p, "--shards", "0"}, code: 2, prefix: "plan: ", want: []string{"need at least 1"}},
	}
	for _, tc := range tests {
		cmd := tarxCommand(t.Context(), testarchive.TestBinary(t), tc.args...)
		cmd.Dir = filepath.Dir(p)
		cmd.Env = append(cmd.Env, tc.env...)
		r := execTarx(t, cmd)
		checkOneLine(t, r, tc.code, tc.prefix, tc.want...)
	}

	// A shard of another plan is named by --finish.
	out := filepath.Join(t.TempDir(), "out")
	mustRun(t, "extract", p, "-C", out, "--shard", "0/2")
	mustRun(t, "extract", p, "-C", out, "--shard", "1/3")
	r := runTarx(t, "extract", p, "-C", out, "--finish")
	checkOneLine(t, r, 1, p+": ", "from another plan")
}
