package index

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestOpen_Fixtures indexes the repository's testdata archives and their
// plain tar twins and checks every member against archive/tar's reading of
// the same stream: header, and contents read back through the index.
func TestOpen_Fixtures(t *testing.T) {
	for _, fx := range testarchive.AllFixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			a := mustOpen(t, writeArchive(t, fx.Data), Options{BuildOptions: BuildOptions{Span: 16 << 10}})
			defer a.Close()
			ms := members(t, a)
			tr := tar.NewReader(testarchive.TarStream(t, fx.Data))
			i := 0
			for ; ; i++ {
				hdr, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				data, err := io.ReadAll(tr)
				if err != nil {
					t.Fatal(err)
				}
				if i >= len(ms) {
					t.Fatalf("archive/tar reads more than the index's %d members", len(ms))
				}
				m := ms[i]
				if m.Header.Name != hdr.Name || m.Header.Typeflag != hdr.Typeflag || m.Header.Size != hdr.Size ||
					!m.Header.ModTime.Equal(hdr.ModTime) || m.Header.Mode != hdr.Mode || m.Header.Linkname != hdr.Linkname {
					t.Errorf("member %d: index has %+v, archive/tar reads %+v", i, m.Header, *hdr)
				}
				if got := readMember(t, a, m); !bytes.Equal(got, data) {
					t.Errorf("member %d (%s): %d bytes through the index, archive/tar reads %d", i, hdr.Name, len(got), len(data))
				}
			}
			if i != len(ms) {
				t.Errorf("index has %d members, archive/tar reads %d", len(ms), i)
			}
		})
	}
}
