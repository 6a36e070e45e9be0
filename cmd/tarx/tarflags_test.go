package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestTarFlags_MatchGNUTar runs extract with each of GNU tar's options on
// the testdata archives, with tar and with tarx on the same starting tree,
// and wants the same tree, the same members listed by -v and -vv, and the
// same outcome, without an index and with one: tar's exit status 2 (some member failed) is tarx's 1, and
// both report the same number of failing members.
func TestTarFlags_MatchGNUTar(t *testing.T) {
	requireGNUTar(t)
	t.Setenv("TZ", "UTC")
	t.Setenv("LC_ALL", "C")
	excludes := filepath.Join(t.TempDir(), "excludes")
	if err := os.WriteFile(excludes, []byte("*.bin\n\nsub\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// old puts files in the tree before the extraction: one older than
	// the archive's, one newer.
	old := func(t *testing.T, dir string) {
		for name, mtime := range map[string]time.Time{
			"tree/hello.txt":    time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
			"tree/dir/text.txt": time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC),
		} {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("old contents\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		args  []string // options and member names, the same for both
		setup func(*testing.T, string)
	}{
		{name: "verbose", args: []string{"-v"}},
		{name: "very-verbose", args: []string{"-vv"}},
		{name: "exclude", args: []string{"-v", "--exclude", "*.txt"}},
		{name: "exclude-dir", args: []string{"-v", "--exclude", "dir", "--exclude", "sparse*"}},
		{name: "exclude-slash", args: []string{"-v", "--exclude", "tree/*/sub"}},
		{name: "exclude-from", args: []string{"-v", "--exclude-from", excludes}},
		{name: "no-wildcards-exclude", args: []string{"-v", "--no-wildcards", "--exclude", "*.txt"}},
		{name: "wildcards", args: []string{"-v", "--wildcards", "tree/*.txt"}},
		{name: "wildcards-no-slash", args: []string{"-v", "--wildcards", "--no-wildcards-match-slash", "tree/*.txt"}},
		{name: "no-wildcards", args: []string{"-v", "--no-wildcards", "tree/dir"}},
		{name: "keep-old-files", args: []string{"-k"}, setup: old},
		{name: "skip-old-files", args: []string{"--skip-old-files"}, setup: old},
		{name: "keep-newer-files", args: []string{"--keep-newer-files"}, setup: old},
		{name: "overwrite", args: []string{"--overwrite"}, setup: old},
		{name: "no-same-owner", args: []string{"--no-same-owner"}},
		{name: "same-owner-numeric", args: []string{"--same-owner", "--numeric-owner"}},
		{name: "no-same-permissions", args: []string{"--no-same-permissions"}},
		{name: "same-permissions", args: []string{"-p"}},
	} {
		for _, fx := range testarchive.Fixtures(t) {
			t.Run(tc.name+"/"+fx.Name, func(t *testing.T) {
				dir := t.TempDir()
				a := filepath.Join(dir, fx.Name)
				if err := os.WriteFile(a, fx.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				ref, got := filepath.Join(dir, "ref"), filepath.Join(dir, "got")
				for _, d := range []string{ref, got} {
					if err := os.Mkdir(d, 0o755); err != nil {
						t.Fatal(err)
					}
					if tc.setup != nil {
						tc.setup(t, d)
					}
				}
				flags, members := splitMembers(tc.args)
				tarArgs := append(append([]string{"-xzf", a, "-C", ref}, flags...), members...)
				want, wantErrs, tarCode := gnuTar(t, tarArgs...)
				wantCode := map[int]int{0: 0, 2: 1}[tarCode]
				// Without an index, then with the index the first run left.
				for _, got := range []string{got, filepath.Join(dir, "got2")} {
					r := runTarx(t, append(append([]string{"extract", a, "-C", got}, flags...), members...)...)
					if r.code != wantCode {
						t.Errorf("%v: exit %d, want %d (tar exited %d)", r, r.code, wantCode, tarCode)
					}
					if n := len(r.errorLines()); n != wantErrs {
						t.Errorf("%v: %d error lines, tar wrote %d", r, n, wantErrs)
					}
					if r.stdout != want {
						t.Errorf("%v: -v listing differs from tar's:%s", r, diffLines(want, r.stdout))
					}
					compareTrees(t, fx.Data, ref, got, len(members) > 0)
					if tc.setup != nil {
						break // the first run changed the tree
					}
				}
			})
		}
	}
}

// compareTrees is testarchive.CompareTrees, except for the times of
// directories that no member extracted names (all but those of the
// archive, or with selected, all): both tar and tarx create them at the
// time of extraction.
func compareTrees(t *testing.T, gz []byte, ref, got string, selected bool) {
	t.Helper()
	dirTimes := testarchive.DirTimes(t, gz)
	for _, d := range testarchive.DiffTrees(testarchive.Snapshot(t, ref), testarchive.Snapshot(t, got), dirTimes) {
		name, what, _ := strings.Cut(d, ": ")
		if _, member := dirTimes[name]; strings.HasPrefix(what, "mtime ") && (selected || !member) {
			if fi, err := os.Lstat(filepath.Join(ref, name)); err == nil && fi.IsDir() {
				continue
			}
		}
		t.Errorf("%s (tar) and %s differ: %s", ref, got, d)
	}
}

// splitMembers splits test arguments into options and member names:
// the names are the arguments that are neither options nor their values.
func splitMembers(args []string) (flags, members []string) {
	valued := map[string]bool{"--exclude": true, "--exclude-from": true}
	for i := 0; i < len(args); i++ {
		switch {
		case valued[args[i]]:
			flags = append(flags, args[i], args[i+1])
			i++
		case strings.HasPrefix(args[i], "-"):
			flags = append(flags, args[i])
		default:
			members = append(members, args[i])
		}
	}
	return flags, members
}

// gnuTar runs GNU tar with args and returns its standard output, the
// number of lines it wrote on stderr that report a failing member (not
// its closing "Exiting with failure status" nor warnings), and its exit
// status.
func gnuTar(t *testing.T, args ...string) (stdout string, errs, code int) {
	t.Helper()
	cmd := exec.Command("tar", args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("tar %s: %v", strings.Join(args, " "), err)
	}
	for l := range strings.SplitSeq(stderr.String(), "\n") {
		switch {
		case l == "", strings.Contains(l, "Exiting with failure status"), strings.Contains(l, "Removing leading"),
			strings.Contains(l, "is newer or same age"):
		default:
			errs++
		}
	}
	return out.String(), errs, code
}

// TestTarFlags_Touch checks -m: modification times are those of the
// extraction, not the archive's.
func TestTarFlags_Touch(t *testing.T) {
	fx := testarchive.Fixtures(t)[0]
	got := filepath.Join(t.TempDir(), "got")
	start := time.Now().Add(-time.Minute)
	mustRun(t, "extract", fx.Path, "--index", filepath.Join(t.TempDir(), "i.tarx"), "-C", got, "-m")
	err := filepath.WalkDir(got, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err // GNU tar -m leaves directories and links to the system too
		}
		fi, err := d.Info()
		if err == nil && fi.ModTime().Before(start) {
			t.Errorf("%s: mtime %v with -m, want the time of the extraction", p, fi.ModTime())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTarFlags_Totals checks --totals' line on stderr against GNU tar's.
func TestTarFlags_Totals(t *testing.T) {
	requireGNUTar(t)
	fx := testarchive.Fixtures(t)[0]
	cmd := exec.Command("tar", "-xzf", fx.Path, "-C", t.TempDir(), "--totals")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tar --totals: %v\n%s", err, out)
	}
	wantN, _, _ := strings.Cut(strings.TrimPrefix(string(out), "Total bytes read: "), " ")
	r := mustRunTotals(t, "extract", fx.Path, "--index", filepath.Join(t.TempDir(), "i.tarx"), "-C", t.TempDir(), "--totals")
	gotN, _, _ := strings.Cut(strings.TrimPrefix(r.stderr, "Total bytes read: "), " ")
	if !strings.HasPrefix(r.stderr, "Total bytes read: ") || gotN != wantN {
		t.Errorf("--totals: tarx wrote %q, tar %q", r.stderr, out)
	}
}

// mustRunTotals runs tarx and wants it to succeed; stderr may hold the
// --totals line.
func mustRunTotals(t *testing.T, args ...string) result {
	t.Helper()
	r := runTarx(t, args...)
	if r.code != 0 || len(r.errorLines()) != 1 {
		t.Fatalf("%v: want success and one line on stderr", r)
	}
	return r
}

// TestTarFlags_Get checks that get takes the same options: a directory
// member with -v and --exclude lists and extracts what GNU tar does, and
// the options of extraction into a directory are refused with -O.
func TestTarFlags_Get(t *testing.T) {
	requireGNUTar(t)
	t.Setenv("TZ", "UTC")
	t.Setenv("LC_ALL", "C")
	fx := testarchive.Fixtures(t)[0]
	dir := t.TempDir()
	ref, got := filepath.Join(dir, "ref"), filepath.Join(dir, "got")
	if err := os.Mkdir(ref, 0o755); err != nil {
		t.Fatal(err)
	}
	// tree/dir holds a hard link to a file outside it: tar fails it.
	want, wantErrs, code := gnuTar(t, "-xzf", fx.Path, "-C", ref, "-v", "--exclude", "*.bin", "tree/dir")
	r := runTarx(t, "get", fx.Path, "--index", filepath.Join(dir, "i.tarx"), "tree/dir", "-C", got, "-v", "--exclude", "*.bin")
	if wantCode := map[int]int{0: 0, 2: 1}[code]; r.code != wantCode || len(r.errorLines()) != wantErrs {
		t.Errorf("%v: want exit %d and %d error lines (tar exited %d)", r, wantCode, wantErrs, code)
	}
	if r.stdout != want {
		t.Errorf("get -v listing differs from tar's:%s", diffLines(want, r.stdout))
	}
	compareTrees(t, fx.Data, ref, got, true)
	checkOneLine(t, runTarx(t, "get", fx.Path, "tree/hello.txt", "-O", "-v"), 2, "get: -v")
}
