package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/tarfmt"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// Fidelity with GNU tar 1.34 (issue 13): for archives that archive/tar
// refuses or misreads, every tarx path answers as GNU tar does. GNU tar
// runs in the test as the oracle.

// gnuTarRun runs GNU tar with args, or skips the test if it is missing.
func gnuTarRun(t *testing.T, args ...string) result {
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
	return result{args: args, code: code, stdout: stdout.String(), stderr: stderr.String()}
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
func sameAnswer(t *testing.T, what string, got, gnu result) {
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
			p := writeArchive(t, "archive.tar.gz", gz)
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
			r := runTarx(t, "extract", p, "-C", cold)
			sameAnswer(t, "extract (cold)", r, gX)
			if !c.Fails {
				sameTree(t, "extract (cold)", ref, cold)
			}

			for _, l := range []struct {
				args []string
				gnu  result
			}{{[]string{"ls", p}, gList}, {[]string{"ls", "-l", p}, gLong}} {
				r := runTarx(t, l.args...)
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

			r = runTarx(t, "get", "-O", p, "**")
			sameAnswer(t, "get -O", r, gOut)
			if r.code == 0 && r.stdout != gOut.stdout {
				t.Errorf("get -O: %q, GNU tar -xO: %q", r.stdout, gOut.stdout)
			}
			if gList.code != 0 {
				return // no index to use
			}
			// cat and the FS, member by member, against tar -xO NAME.
			a, err := index.Open(context.Background(), p, index.Options{NoBuild: true})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			fsys, err := a.FS()
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			err = a.Members(func(m *index.Member) error {
				name := m.Header.Name
				want := gnuTarRun(t, "-xOzf", p, name)
				if !tarfmt.Regular(m.Header.Typeflag) || want.code != 0 || strings.Count(gList.stdout, name+"\n") != 1 {
					return nil
				}
				checked++
				if r := runTarx(t, "cat", p, name); r.code != 0 || r.stdout != want.stdout {
					t.Errorf("cat %s: %v %q, GNU tar -xO: %q", name, r, r.stdout, want.stdout)
				}
				if fs.ValidPath(name) {
					if b, err := fs.ReadFile(fsys, name); err != nil || string(b) != want.stdout {
						t.Errorf("FS %s: %q, %v; GNU tar -xO: %q", name, b, err, want.stdout)
					}
				}
				return nil
			})
			if err != nil || checked == 0 {
				t.Fatalf("members compared with tar -xO NAME: %d, %v", checked, err)
			}

			get := filepath.Join(tmp, "get")
			sameAnswer(t, "get -C", runTarx(t, "get", p, "**", "-C", get), gX)
			indexed := filepath.Join(tmp, "indexed")
			sameAnswer(t, "extract (indexed)", runTarx(t, "extract", p, "-C", indexed), gX)
			stdin := filepath.Join(tmp, "stdin")
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			cmd := tarxCommand(context.Background(), exe, "extract", "-", "-C", stdin)
			cmd.Stdin = bytes.NewReader(gz)
			sameAnswer(t, "extract -", execTarx(t, cmd), gX)
			if !c.Fails {
				sameTree(t, "get -C", ref, get)
				sameTree(t, "extract (indexed)", ref, indexed)
				sameTree(t, "extract -", ref, stdin)
			}
		})
	}
}
