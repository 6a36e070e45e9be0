package main

// Acceptance tests of "tarx extract": the trees the command leaves, from an index, without one,
// and from standard input, must equal the trees GNU tar 1.34 leaves.

import (
	"archive/tar"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// ---------------------------------------------------------------------------
// 1. "tarx extract" leaves the tree GNU tar leaves: without an index (the
// index is left behind), with it, and from standard input.

func TestExtract_MatchesGNUTar(t *testing.T) {
	for _, tc := range testarchive.Corpus() {
		t.Run(tc.Name, func(t *testing.T) {
			gz := tc.Make(t)
			a := writeArchive(t, "archive.tar.gz", gz)
			ref := filepath.Join(t.TempDir(), "ref")
			testarchive.GNUTarExtract(t, a, ref)

			// Cold: no index yet; the archive is read once and the index
			// is built on the way.
			if _, err := os.Stat(a + ".tarx"); err == nil {
				t.Fatal("index exists before the first extraction")
			}
			cold := filepath.Join(t.TempDir(), "cold") // created by tarx
			mustRun(t, "extract", a, "-C", cold)
			testarchive.CompareTrees(t, gz, ref, cold)
			if fi, err := os.Stat(a + ".tarx"); err != nil || fi.Size() == 0 {
				t.Errorf("the cold extraction left no index at %s.tarx: %v", a, err)
			}

			// With the index the cold run left.
			indexed := filepath.Join(t.TempDir(), "indexed")
			mustRun(t, "extract", a, "-C", indexed, "-j", "4")
			testarchive.CompareTrees(t, gz, ref, indexed)

			// From standard input.
			stdin := filepath.Join(t.TempDir(), "stdin")
			checkSucceeded(t, extractStdin(t, gz, stdin), "")
			testarchive.CompareTrees(t, gz, ref, stdin)
		})
	}
}

// ---------------------------------------------------------------------------
// 4. Nothing is written outside the destination, whatever the names and
// links of the archive; refused members fail, the others are extracted.

func TestExtract_Safety(t *testing.T) {
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
			a := writeArchive(t, "archive.tar.gz", gz)
			var r result
			switch mode {
			case "cold":
				r = runTarx(t, "extract", a, "-C", dest)
			case "indexed":
				mustRun(t, "index", a, "--span", "64K")
				r = runTarx(t, "extract", a, "-C", dest)
			case "stdin":
				r = extractStdin(t, gz, dest)
			}

			t.Logf("stderr:\n%s", r.stderr)
			if r.code != 1 {
				t.Errorf("exit status %d, want 1", r.code)
			}
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

// extractStdin runs "tarx extract - -C dir" in a new process reading gz
// on its standard input.
func extractStdin(t *testing.T, gz []byte, dir string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := tarxCommand(ctx, testarchive.TestBinary(t), "extract", "-", "-C", dir)
	cmd.Stdin = bytes.NewReader(gz)
	return execTarx(t, cmd)
}
