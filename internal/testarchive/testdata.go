package testarchive

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
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

// PlainFixtures returns the plain (uncompressed) tar twins of the
// Fixtures: each distinct tar stream they hold, as GNU tar or bsdtar wrote
// it, once, named after its writer ("gnu.tar" for gnu-gzip6.tar.gz,
// gnu-pigz-i.tar.gz and gnu-concat.tar.gz), sorted by name and written to
// a temporary directory. They are made from the checked-in archives
// rather than checked in themselves, which would double testdata's size
// for bytes it already holds.
func PlainFixtures(tb testing.TB) []Fixture {
	tb.Helper()
	dir := tb.TempDir()
	var out []Fixture
	for _, fx := range Fixtures(tb) {
		writer, _, _ := strings.Cut(fx.Name, "-")
		name := writer + ".tar"
		data, err := io.ReadAll(Gunzip(tb, fx.Data))
		if err != nil {
			tb.Fatalf("testarchive.PlainFixtures: %s: %v", fx.Name, err)
		}
		if i := slices.IndexFunc(out, func(f Fixture) bool { return f.Name == name }); i >= 0 {
			if !bytes.Equal(out[i].Data, data) {
				tb.Fatalf("testarchive.PlainFixtures: %s holds another tar stream than the other %s* archives", fx.Name, writer)
			}
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			tb.Fatalf("testarchive.PlainFixtures: %v", err)
		}
		out = append(out, Fixture{Name: name, Path: p, Data: data})
	}
	slices.SortFunc(out, func(a, b Fixture) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// AllFixtures returns the Fixtures followed by their PlainFixtures.
func AllFixtures(tb testing.TB) []Fixture {
	tb.Helper()
	return append(Fixtures(tb), PlainFixtures(tb)...)
}
