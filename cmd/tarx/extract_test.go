package main

// Acceptance tests of "tarx extract" (and the helpers shared with
// get_test.go): the trees the command leaves, from an index, without one,
// and from standard input, must equal the trees GNU tar 1.34 leaves.

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// gxExecEnv makes the test binary run as the tarx command (see init), so
// that tests can run tarx in a process of its own, with a standard input,
// without building it separately; the binary is race-instrumented too.
const gxExecEnv = "TARX_GX_EXEC"

func init() {
	if os.Getenv(gxExecEnv) != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, append([]string{"tarx"}, os.Args[1:]...), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// gxResult is what one tarx command line answered.
type gxResult struct {
	code           int
	stdout, stderr string
}

func (r gxResult) String() string {
	return fmt.Sprintf("exit %d, stderr:\n%s", r.code, r.stderr)
}

// gxRun runs the tarx command line args in this process.
func gxRun(t *testing.T, args ...string) gxResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"tarx"}, args...), &stdout, &stderr)
	return gxResult{code, stdout.String(), stderr.String()}
}

// gxExec runs tarx with args in a new process reading stdin.
func gxExec(t *testing.T, stdin []byte, args ...string) gxResult {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("cannot find the test binary: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), gxExecEnv+"=1")
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running tarx %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return gxResult{code, stdout.String(), stderr.String()}
}

// gxWant0 fails the test unless r is a success without diagnostics.
func gxWant0(t *testing.T, r gxResult, what string) {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("%s: %v", what, r)
	}
}

// gxStderrLines checks that every line on standard error is a tarx
// diagnostic.
func gxStderrLines(t *testing.T, r gxResult) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, "tarx: ") {
			t.Errorf("stderr line without \"tarx: \": %q", l)
		}
	}
}

// gxArchiveFile writes gz to a new file in a new temporary directory,
// where nothing else is (so no index yet).
func gxArchiveFile(t *testing.T, gz []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "archive.tar.gz")
	if err := os.WriteFile(p, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ---------------------------------------------------------------------------
// Tree comparison

// ---------------------------------------------------------------------------
// Archives

// ---------------------------------------------------------------------------
// 1. "tarx extract" leaves the tree GNU tar leaves: without an index (the
// index is left behind), with it, and from standard input.

func TestGxExtractMatchesGNUTar(t *testing.T) {
	for _, tc := range testarchive.Corpus() {
		t.Run(tc.Name, func(t *testing.T) {
			gz := tc.Make(t)
			a := gxArchiveFile(t, gz)
			ref := filepath.Join(t.TempDir(), "ref")
			testarchive.GNUTarExtract(t, a, ref)

			// Cold: no index yet; the archive is read once and the index
			// is built on the way.
			if _, err := os.Stat(a + ".tarx"); err == nil {
				t.Fatal("index exists before the first extraction")
			}
			cold := filepath.Join(t.TempDir(), "cold") // created by tarx
			gxWant0(t, gxRun(t, "extract", a, "-C", cold), "extract without index")
			testarchive.CompareTrees(t, gz, ref, cold)
			if fi, err := os.Stat(a + ".tarx"); err != nil || fi.Size() == 0 {
				t.Errorf("the cold extraction left no index at %s.tarx: %v", a, err)
			}

			// With the index the cold run left.
			indexed := filepath.Join(t.TempDir(), "indexed")
			gxWant0(t, gxRun(t, "extract", a, "-C", indexed, "-j", "4"), "extract with index")
			testarchive.CompareTrees(t, gz, ref, indexed)

			// From standard input.
			stdin := filepath.Join(t.TempDir(), "stdin")
			gxWant0(t, gxExec(t, gz, "extract", "-", "-C", stdin), "extract -")
			testarchive.CompareTrees(t, gz, ref, stdin)
		})
	}
}

// ---------------------------------------------------------------------------
// 4. Nothing is written outside the destination, whatever the names and
// links of the archive; refused members fail, the others are extracted.

func TestGxExtractSafety(t *testing.T) {
	outside, err := os.MkdirTemp("", "outside-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(outside) })

	reg := func(name, data string) testarchive.Entry {
		return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, ModTime: time.Unix(1_600_000_000, 0)}, Data: []byte(data)}
	}
	symlink := func(name, target string) testarchive.Entry {
		return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: time.Unix(1_600_000_000, 0)}}
	}
	entries := []testarchive.Entry{
		reg("good1.txt", "good one\n"),
		reg("../evil", "escaped by ..\n"),
		reg("a/../../evil", "escaped by a/../..\n"),
		reg("/abs/x", "absolute name, extracted as abs/x\n"),
		symlink("lnk", outside),
		reg("lnk/pwned", "written through an absolute symlink\n"),
		symlink("up", "../.."),
		reg("up/x", "written through a relative symlink\n"),
		reg("good2/inner.txt", "good two\n"),
	}
	gz := testarchive.External(t, testarchive.Tar(t, entries, tar.FormatPAX), "gzip-6")
	refused := []string{"../evil", "a/../../evil", "lnk/pwned", "up/x"}

	for _, mode := range []string{"cold", "indexed", "stdin"} {
		t.Run(mode, func(t *testing.T) {
			// base/w/dest: "up" -> "../.." in dest is base, "../evil" is
			// base/w/evil.
			base := t.TempDir()
			dest := filepath.Join(base, "w", "dest")
			if err := os.MkdirAll(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			a := gxArchiveFile(t, gz)
			var r gxResult
			switch mode {
			case "cold":
				r = gxRun(t, "extract", a, "-C", dest)
			case "indexed":
				gxWant0(t, gxRun(t, "index", a, "--span", "64K"), "index")
				r = gxRun(t, "extract", a, "-C", dest)
			case "stdin":
				r = gxExec(t, gz, "extract", "-", "-C", dest)
			}

			t.Logf("stderr:\n%s", r.stderr)
			if r.code != 1 {
				t.Errorf("exit status %d, want 1", r.code)
			}
			gxStderrLines(t, r)
			if !strings.Contains(r.stderr, "tarx: Removing leading `/' from member names\n") {
				t.Errorf("no warning about the leading /")
			}
			for _, name := range refused {
				if !strings.Contains(r.stderr, ": "+name+": ") {
					t.Errorf("no error for %s", name)
				}
			}

			// Nothing new outside dest.
			err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(base, p)
				if rel != "." && rel != "w" && rel != filepath.Join("w", "dest") && !strings.HasPrefix(rel, filepath.Join("w", "dest")+"/") {
					t.Errorf("written outside the destination: %s", p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if des, err := os.ReadDir(outside); err != nil || len(des) != 0 {
				t.Errorf("written through the absolute symlink into %s: %v %v", outside, des, err)
			}

			// The good members are there.
			for name, want := range map[string]string{
				"good1.txt":       "good one\n",
				"good2/inner.txt": "good two\n",
				"abs/x":           "absolute name, extracted as abs/x\n",
			} {
				if b, err := os.ReadFile(filepath.Join(dest, name)); err != nil || string(b) != want {
					t.Errorf("%s: %q, %v; want %q", name, b, err, want)
				}
			}
			// The links themselves are created, as GNU tar creates them.
			for name, want := range map[string]string{"lnk": outside, "up": "../.."} {
				if got, err := os.Readlink(filepath.Join(dest, name)); err != nil || got != want {
					t.Errorf("%s: symlink to %q (%v), want %q", name, got, err, want)
				}
			}
		})
	}
}
