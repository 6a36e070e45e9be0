package tarfmt

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// benchTar is a tar of many small files, where header parsing dominates.
func benchTar(b *testing.B) []byte {
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 5, SmallFiles: 2000})
	return testarchive.Tar(b, entries, tar.FormatPAX)
}

func BenchmarkReader(b *testing.B) {
	tb := benchTar(b)
	b.SetBytes(int64(len(tb)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(tb), Options{})
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			io.Copy(io.Discard, r)
		}
	}
}

// BenchmarkArchiveTar is the same with archive/tar, for comparison.
func BenchmarkArchiveTar(b *testing.B) {
	tb := benchTar(b)
	b.SetBytes(int64(len(tb)))
	for b.Loop() {
		r := tar.NewReader(bytes.NewReader(tb))
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			io.Copy(io.Discard, r)
		}
	}
}
