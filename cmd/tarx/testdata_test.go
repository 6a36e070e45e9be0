package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestFixtures_MatchGNUTar lists (tar -tf, tar -tvf), reads members of
// (tar -xOf) and extracts (tar -xf, whole and two directories) each of the
// repository's testdata archives and their plain tar twins with tarx and
// with GNU tar, and wants the same output and the same trees: extraction
// without an index, with one whose spans cut members into pieces for four
// workers, and from standard input. The archives are named "archive" with
// no suffix: both tell the compression by content.
func TestFixtures_MatchGNUTar(t *testing.T) {
	requireGNUTar(t)
	t.Setenv("TZ", "UTC")
	t.Setenv("LC_ALL", "C")
	for _, fx := range testarchive.AllFixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "archive")
			if err := os.WriteFile(p, fx.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			ref := filepath.Join(dir, "ref")
			testarchive.GNUTarExtract(t, p, ref)

			cold := filepath.Join(dir, "cold")
			mustRun(t, "extract", p, "-C", cold)
			testarchive.CompareTrees(t, fx.Data, ref, cold)

			for _, long := range []bool{false, true} {
				tarArgs, tarxArgs := listArgs(p, long)
				want := gnuTarList(t, tarArgs...)
				r := runTarx(t, tarxArgs...)
				if checkSucceeded(t, r, "") && r.stdout != want {
					t.Errorf("tarx %s differs from tar %s:%s", strings.Join(tarxArgs, " "), strings.Join(tarArgs, " "), diffLines(want, r.stdout))
				}
			}

			// cat of every regular member; get -O (the same reader) of the first.
			for i, name := range regularMembers(t, fx.Data) {
				want := gnuTarList(t, "-xOf", p, name)
				cmds := [][]string{{"cat", p, name}, {"get", p, name, "-O"}}
				if i > 0 {
					cmds = cmds[:1]
				}
				for _, cmd := range cmds {
					if r := runTarx(t, cmd...); checkSucceeded(t, r, "") && r.stdout != want {
						t.Errorf("tarx %s: %d bytes, tar -xOf: %d bytes", strings.Join(cmd, " "), len(r.stdout), len(want))
					}
				}
			}

			refDir, gotDir := filepath.Join(dir, "ref-dir"), filepath.Join(dir, "got-dir")
			testarchive.GNUTarExtract(t, p, refDir, "tree/dir/sub", "tree/ünïcode-名前")
			mustRun(t, "get", p, "tree/dir/sub", "tree/ünïcode-名前", "-C", gotDir)
			times := testarchive.DirTimes(t, fx.Data)
			times["tree"], times["tree/dir"] = testarchive.AnyTime, testarchive.AnyTime // implied in both
			for _, d := range testarchive.DiffTrees(testarchive.Snapshot(t, refDir), testarchive.Snapshot(t, gotDir), times) {
				t.Errorf("get tree/dir/sub tree/ünïcode-名前: %s", d)
			}

			mustRun(t, "index", p, "--force", "--span", "16K")
			indexed := filepath.Join(dir, "indexed")
			mustRun(t, "extract", p, "-C", indexed, "-j", "4")
			testarchive.CompareTrees(t, fx.Data, ref, indexed)

			stdin := filepath.Join(dir, "stdin")
			checkSucceeded(t, extractStdin(t, fx.Data, stdin), "")
			testarchive.CompareTrees(t, fx.Data, ref, stdin)
		})
	}
}

// regularMembers returns the names of the regular members of the archive
// (tar.gz or plain tar).
func regularMembers(t *testing.T, archive []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(testarchive.TarStream(t, archive))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			names = append(names, hdr.Name)
		}
	}
}
