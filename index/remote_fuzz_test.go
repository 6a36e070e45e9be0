package index

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// FuzzOpenIndex opens hostile index files, as a remote archive's index
// fetched from beside it may be: damaged pages, wrong offsets, absurd
// counts. Opening and listing must fail or succeed, never crash or hang.
func FuzzOpenIndex(f *testing.F) {
	dir := f.TempDir()
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 9, SmallFiles: 20})
	p := filepath.Join(dir, "a.tar.gz")
	if err := os.WriteFile(p, testarchive.Gzip(f, testarchive.Tar(f, entries, tar.FormatPAX), testarchive.GoLevel6), 0o644); err != nil {
		f.Fatal(err)
	}
	a, err := Build(f.Context(), p, Options{BuildOptions: BuildOptions{Span: 16 << 10}})
	if err != nil {
		f.Fatal(err)
	}
	a.Close()
	valid, err := os.ReadFile(p + Suffix)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ipath := filepath.Join(t.TempDir(), "x"+Suffix)
		if err := os.WriteFile(ipath, b, 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := openIndex(ipath, &Options{LockTimeout: 100 * time.Millisecond}, func(Identity) bool { return true })
		if err != nil {
			return
		}
		defer a.db.Close()
		n := 0
		a.Members(func(m *Member) error {
			n++
			return nil
		})
		a.Checkpoints()
		a.Lookup("src/a.txt")
	})
}
