package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// Fidelity with GNU tar 1.34 (issue 13): for archives that archive/tar
// refuses or misreads, every tarx path answers as GNU tar does. GNU tar
// runs in the test as the oracle.

// gnuTarRun runs GNU tar with args, or skips the test if it is missing.
func gnuTarRun(t *testing.T, args ...string) gxResult {
	t.Helper()
	if out, err := exec.Command("tar", "--version").Output(); err != nil || !bytes.Contains(out, []byte("GNU tar")) {
		t.Skip("GNU tar is not installed as tar")
	}
	cmd := exec.Command("tar", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("tar %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return gxResult{code, stdout.String(), stderr.String()}
}

// warnings returns the diagnostics of stderr without the program's name,
// sorted, leaving out GNU tar's closing line.
func warnings(stderr string) []string {
	var w []string
	for l := range strings.Lines(stderr) {
		l = strings.TrimSuffix(l, "\n")
		if l == "tar: Exiting with failure status due to previous errors" {
			continue
		}
		if rest, ok := strings.CutPrefix(l, "tarx: "); ok {
			l = rest
		} else if rest, ok := strings.CutPrefix(l, "tar: "); ok {
			l = rest
		}
		w = append(w, l)
	}
	slices.Sort(w)
	return w
}

// sameAnswer checks that tarx answered as GNU tar did: both succeed with
// the same warnings, or both fail.
func sameAnswer(t *testing.T, what string, got, gnu gxResult) {
	t.Helper()
	if (got.code == 0) != (gnu.code == 0) {
		t.Errorf("%s: tarx exit %d, GNU tar exit %d\ntarx stderr: %s\ntar stderr: %s", what, got.code, gnu.code, got.stderr, gnu.stderr)
		return
	}
	if got.code == 0 && !slices.Equal(warnings(got.stderr), warnings(gnu.stderr)) {
		t.Errorf("%s: tarx warns %q, GNU tar %q", what, warnings(got.stderr), warnings(gnu.stderr))
	}
}

// sameTree compares the trees GNU tar and tarx extracted.
func sameTree(t *testing.T, what, ref, got string) {
	t.Helper()
	for _, d := range testarchive.DiffTrees(testarchive.Snapshot(t, ref), testarchive.Snapshot(t, got), nil) {
		t.Errorf("%s: %s", what, d)
	}
}

func TestFidelity_GNUCases(t *testing.T) {
	for _, c := range testarchive.GNUCases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Log(c.Doc)
			gz := testarchive.Gzip(t, c.Tar, testarchive.GoLevel6)
			p := gxArchiveFile(t, gz)
			tmp := t.TempDir()
			ref := filepath.Join(tmp, "gnu")
			if err := os.Mkdir(ref, 0o755); err != nil {
				t.Fatal(err)
			}
			gList := gnuTarRun(t, "-tzf", p)
			gLong := gnuTarRun(t, "-tvzf", p)
			gOut := gnuTarRun(t, "-xOzf", p)
			gX := gnuTarRun(t, "-xzf", p, "-C", ref)
			if (gX.code != 0) != c.Fails {
				t.Fatalf("GNU tar -x: %v (the case says it fails: %v)", gX, c.Fails)
			}

			// Cold: extract with no index yet reads the archive once.
			cold := filepath.Join(tmp, "cold")
			r := gxRun(t, "extract", p, "-C", cold)
			sameAnswer(t, "extract (cold)", r, gX)
			if !c.Fails {
				sameTree(t, "extract (cold)", ref, cold)
			}

			for _, l := range []struct {
				args []string
				gnu  gxResult
			}{{[]string{"ls", p}, gList}, {[]string{"ls", "-l", p}, gLong}} {
				r := gxRun(t, l.args...)
				what := strings.Join(l.args[:len(l.args)-1], " ")
				sameAnswer(t, what, r, l.gnu)
				switch {
				case l.gnu.code != 0:
					// The members before the damage, then the error.
					if r.stdout == "" || !strings.HasPrefix(l.gnu.stdout, r.stdout) {
						t.Errorf("%s: listed %q, GNU tar %q", what, r.stdout, l.gnu.stdout)
					}
				case r.stdout != l.gnu.stdout:
					t.Errorf("%s:\n%s\nGNU tar:\n%s", what, r.stdout, l.gnu.stdout)
				}
			}

			r = gxRun(t, "get", "-O", p, "**")
			sameAnswer(t, "get -O", r, gOut)
			if r.code == 0 && r.stdout != gOut.stdout {
				t.Errorf("get -O: %q, GNU tar -xO: %q", r.stdout, gOut.stdout)
			}
			if gList.code != 0 {
				return // no index to use
			}
			indexed := filepath.Join(tmp, "indexed")
			sameAnswer(t, "extract (indexed)", gxRun(t, "extract", p, "-C", indexed), gX)
			stdin := filepath.Join(tmp, "stdin")
			sameAnswer(t, "extract -", gxExec(t, gz, "extract", "-", "-C", stdin), gX)
			if !c.Fails {
				sameTree(t, "extract (indexed)", ref, indexed)
				sameTree(t, "extract -", ref, stdin)
			}
		})
	}
}
