package main

// The test harness of the tarx command: one way to run a command line (in
// this process, or in a new one through a TestMain role), one result type,
// one checker of what tarx says on standard error, and the file helpers
// the tests share.

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
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
)

// roleEnv, when set, makes the test binary run a role (see runRole)
// instead of the tests: tests re-execute it to run tarx in a process of
// its own (with a standard input, as another user, or one a damaged
// memory-mapped index may crash) without building it separately. The
// binary is race-instrumented too.
const roleEnv = "TARX_CMD_TEST_ROLE"

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runRole(role))
	}
	// Go reads TZ once, the first time it needs the local time zone, so
	// t.Setenv("TZ", ...) in a test would come too late for tarx's own
	// listing. Set it before anything runs; the tests set it again for
	// the tar they run. Child processes inherit it.
	os.Setenv("TZ", "UTC")
	os.Exit(m.Run())
}

// runRole runs a child role and returns its exit status.
func runRole(role string) int {
	switch role {
	case "tarx":
		// The tarx command on the arguments, as main runs it.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return run(ctx, append([]string{"tarx"}, os.Args[1:]...), os.Stdout, os.Stderr)
	default:
		fmt.Fprintf(os.Stderr, "unknown test role %q\n", role)
		return 2
	}
}

// cmdTimeout bounds one tarx command line. TestScale raises it while it
// runs (it is not parallel, so no other test reads it meanwhile).
var cmdTimeout = 45 * time.Second

// usageHint is the line tarx adds after a usage error.
const usageHint = "Try 'tarx --help' for more information."

// result is what one tarx command line answered.
type result struct {
	args   []string
	code   int
	stdout string
	stderr string
}

func (r result) String() string {
	return fmt.Sprintf("tarx %s: exit %d, stderr %q", strings.Join(r.args, " "), r.code, r.stderr)
}

// lines returns the non-empty lines of stderr.
func (r result) lines() []string {
	var out []string
	for l := range strings.SplitSeq(r.stderr, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// errorLines returns the stderr lines that are not notices (about leading
// slashes being removed or an index being rebuilt).
func (r result) errorLines() []string {
	var out []string
	for _, l := range r.lines() {
		if !strings.Contains(l, "Removing leading `") && !strings.HasSuffix(l, ", rebuilding") {
			out = append(out, l)
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of
// extraction workers (os.Stderr is).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runTarx runs tarx with args in this process. It fails the test if tarx
// panics, does not finish within cmdTimeout, or writes a line on stderr
// that is not a tarx diagnostic.
func runTarx(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	var stdout, stderr syncBuffer
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
	case <-time.After(cmdTimeout + 15*time.Second):
		t.Fatalf("tarx %s: still running %v after its context expired (hang)", strings.Join(args, " "), cmdTimeout+15*time.Second)
	}
	r := result{args: args, code: o.code, stdout: stdout.String(), stderr: stderr.String()}
	if o.panic != nil {
		t.Fatalf("tarx %s: panic: %v", strings.Join(args, " "), o.panic)
	}
	if ctx.Err() != nil {
		t.Fatalf("%v: did not finish within %v (hang)", r, cmdTimeout)
	}
	checkDiagnostics(t, r)
	return r
}

// mustRun runs tarx with args in this process and stops the test unless
// it succeeds with nothing on stderr.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := runTarx(t, args...)
	if !checkSucceeded(t, r, "") {
		t.FailNow()
	}
	return r
}

// tarxCommand returns a command that runs tarx with args in a new process
// of the test binary exe. Callers may set its standard input, add to its
// environment or change its credentials before execTarx.
func tarxCommand(ctx context.Context, exe string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, exe, args...)
	// The race detector waits a second at exit by default, which would
	// add up.
	cmd.Env = append(os.Environ(), roleEnv+"=tarx", "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// execTarx runs cmd (from tarxCommand) and returns what tarx answered. It
// fails the test if the process crashed or wrote a line on stderr that is
// not a tarx diagnostic.
func execTarx(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: cmd.Args[1:], stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("tarx %s: %v (stderr %q)", strings.Join(r.args, " "), err, r.stderr)
	}
	for _, crash := range []string{"panic:", "fatal error:", "unexpected fault address", "WARNING: DATA RACE"} {
		if i := strings.Index(r.stderr, crash); i >= 0 {
			first, _, _ := strings.Cut(r.stderr[i:], "\n")
			t.Errorf("tarx %s crashed (exit %d): %s", strings.Join(r.args, " "), r.code, first)
			r.stderr = first + "\n" // keep the messages short
			break
		}
	}
	checkDiagnostics(t, r)
	return r
}

// checkDiagnostics checks what every tarx command line must satisfy:
// each line on stderr is a diagnostic starting with "tarx: " (or the hint
// after a usage error, or the line of --totals, as GNU tar writes it),
// and none mentions a panic.
func checkDiagnostics(t *testing.T, r result) {
	t.Helper()
	for _, l := range r.lines() {
		if !strings.HasPrefix(l, "tarx: ") && l != usageHint && !strings.HasPrefix(l, "Total bytes read: ") {
			t.Errorf("%v: stderr line %q does not start with \"tarx: \"", r, l)
		}
	}
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Errorf("%v: stderr mentions a panic", r)
	}
}

// checkOneLine checks that r exited with code and wrote exactly one line
// on stderr, starting with "tarx: "+prefix and containing each of want
// (after a usage error, exit status 2, the line is followed by the hint to
// try --help). It reports whether all was so.
func checkOneLine(t *testing.T, r result, code int, prefix string, want ...string) bool {
	t.Helper()
	ok := true
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%v: "+format, append([]any{r}, args...)...)
		ok = false
	}
	if r.code != code {
		fail("exit status %d, want %d", r.code, code)
	}
	line, rest, _ := strings.Cut(r.stderr, "\n")
	switch {
	case code == 2 && rest != usageHint+"\n":
		fail("want one error line and the hint %q", usageHint)
	case code != 2 && rest != "":
		fail("%d stderr lines, want exactly one", len(r.lines()))
	case !strings.HasSuffix(r.stderr, "\n"):
		fail("stderr does not end in a newline")
	}
	if !strings.HasPrefix(line, "tarx: "+prefix) {
		fail("error line %q does not start with %q", line, "tarx: "+prefix)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			fail("error line %q does not contain %q", line, w)
		}
	}
	return ok
}

// checkSucceeded checks that r exited with status 0 and wrote nothing on
// stderr, or, if notice is not empty, one line containing notice. It
// reports whether all was so.
func checkSucceeded(t *testing.T, r result, notice string) bool {
	t.Helper()
	if notice != "" {
		return checkOneLine(t, r, 0, "", notice)
	}
	if r.code != 0 || r.stderr != "" {
		t.Errorf("%v: want exit 0 and nothing on stderr", r)
		return false
	}
	return true
}

// ---------------------------------------------------------------------------
// Archives and trees

// writeArchive writes gz as name in a new temporary directory, where
// nothing else is (so no index yet), and returns its path.
func writeArchive(t *testing.T, name string, gz []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// indexedArchive writes gz (or a plain tar: tarx tells them apart by
// content, whatever the name) to a file and indexes it with checkpoints
// (spans, for a plain tar) every 64 KiB, so that big members span many
// of them.
func indexedArchive(t *testing.T, gz []byte) string {
	t.Helper()
	a := writeArchive(t, "archive.tar.gz", gz)
	mustRun(t, "index", a, "--span", "64K")
	return a
}

// compressed is one way of storing the same tar stream, for tests that
// every command reads alike.
type compressed struct {
	name string // "tar.gz" or "tar"
	data []byte
}

// bothCompressions returns the tar.gz gz and its plain tar twin.
func bothCompressions(t *testing.T, gz []byte) []compressed {
	t.Helper()
	plain, err := io.ReadAll(testarchive.Gunzip(t, gz))
	if err != nil {
		t.Fatal(err)
	}
	return []compressed{{"tar.gz", gz}, {"tar", plain}}
}

// regEntry, symlinkEntry and hardlinkEntry are shorthands for testarchive
// entries.
func regEntry(name, data string) testarchive.Entry {
	return testarchive.Entry{Header: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, ModTime: time.Unix(1e9, 0)}, Data: []byte(data)}
}

func symlinkEntry(name, target string) testarchive.Entry {
	return testarchive.Entry{Header: tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777, ModTime: time.Unix(1e9, 0)}}
}

func hardlinkEntry(name, target string) testarchive.Entry {
	return testarchive.Entry{Header: tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: target, Mode: 0o644, ModTime: time.Unix(1e9, 0)}}
}

// dirNames returns the names in dir.
func dirNames(t *testing.T, dir string) []string {
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

// tempIndexes returns the temporary index files in dir.
func tempIndexes(t *testing.T, dir string) []string {
	t.Helper()
	var temps []string
	for _, n := range dirNames(t, dir) {
		if strings.Contains(n, ".tarx.tmp-") {
			temps = append(temps, n)
		}
	}
	return temps
}

// treeOf describes what is under dir: one line per entry, sorted. It
// walks with os.Root handles, so paths longer than PATH_MAX work.
func treeOf(t *testing.T, dir string) []string {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var out []string
	walkRoot(t, root, "", &out)
	slices.Sort(out)
	return out
}

func walkRoot(t *testing.T, root *os.Root, prefix string, out *[]string) {
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
			walkRoot(t, sub, rel+"/", out)
			sub.Close()
		default:
			data, _ := root.ReadFile(e.Name())
			h := fnv.New32a()
			h.Write(data)
			*out = append(*out, fmt.Sprintf("%s (%d bytes, %08x)", rel, len(data), h.Sum32()))
		}
	}
}

// readUnder reads name under dir through an os.Root (name may be longer
// than PATH_MAX).
func readUnder(dir, name string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.ReadFile(name)
}

// wrongContents returns the regular files under dir that do not hold
// the contents of the member of their name.
func wrongContents(t *testing.T, dir string, contents map[string][]byte) []string {
	t.Helper()
	var bad []string
	for _, e := range treeOf(t, dir) {
		name, _, ok := strings.Cut(e, " (")
		if !ok {
			continue // a directory or a link
		}
		got, _ := readUnder(dir, name)
		if want, ok := contents[name]; !ok || !bytes.Equal(got, want) {
			bad = append(bad, fmt.Sprintf("%s (%d bytes, member has %d)", name, len(got), len(want)))
		}
	}
	return bad
}

// nlink returns the number of hard links of the file fi describes.
func nlink(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// smallArchive writes a small tar.gz into a new directory and returns its
// path and entries.
func smallArchive(t *testing.T) (string, []testarchive.Entry) {
	t.Helper()
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 4, SmallFiles: 10})
	gz := testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel6)
	return writeArchive(t, "small.tar.gz", gz), entries
}

// otherUserDir returns a new temporary directory that another user (the
// tests that run tarx as nobody) can reach: it and its parent are 0755.
func otherUserDir(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return base
}
