package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestFixtures_MatchGNUTar lists (tar -tzf, tar -tvzf) and extracts
// (tar -xzf) each of the repository's testdata archives with tarx and
// with GNU tar, and wants the same output and the same tree.
func TestFixtures_MatchGNUTar(t *testing.T) {
	requireGNUTar(t)
	t.Setenv("TZ", "UTC")
	t.Setenv("LC_ALL", "C")
	for _, fx := range testarchive.Fixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, fx.Name)
			if err := os.WriteFile(p, fx.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, long := range []bool{false, true} {
				tarArgs, tarxArgs := listArgs(p, long)
				want := gnuTarList(t, tarArgs...)
				r := runTarx(t, tarxArgs...)
				if checkSucceeded(t, r, "") && r.stdout != want {
					t.Errorf("tarx %s differs from tar %s:%s", strings.Join(tarxArgs, " "), strings.Join(tarArgs, " "), diffLines(want, r.stdout))
				}
			}
			ref := filepath.Join(dir, "ref")
			testarchive.GNUTarExtract(t, p, ref)
			got := filepath.Join(dir, "got")
			mustRun(t, "extract", p, "-C", got)
			testarchive.CompareTrees(t, fx.Data, ref, got)
		})
	}
}
