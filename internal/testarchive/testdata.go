package testarchive

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// Fixture is one of the small real archives checked in under the
// repository's top-level testdata directory (see testdata/README.md).
type Fixture struct {
	Name string // file name, e.g. "gnu-gzip6.tar.gz"
	Path string // absolute path
	Data []byte // its bytes
}

// Fixtures returns every testdata/*.tar.gz, sorted by name. It fails the
// test if there are none: they are part of the repository.
func Fixtures(tb testing.TB) []Fixture {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("testarchive.Fixtures: no caller information")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata")
	paths, err := filepath.Glob(filepath.Join(dir, "*.tar.gz"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("testarchive.Fixtures: no archives in %s (%v)", dir, err)
	}
	slices.Sort(paths)
	var out []Fixture
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatalf("testarchive.Fixtures: %v", err)
		}
		abs, _ := filepath.Abs(p)
		out = append(out, Fixture{Name: filepath.Base(p), Path: abs, Data: b})
	}
	return out
}
