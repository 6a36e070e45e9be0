package tarfmt

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestReader_GNUCases reads the fixtures of issue 13 as GNU tar does.
func TestReader_GNUCases(t *testing.T) {
	if !haveGNUTar() {
		t.Skip("GNU tar is not installed as tar")
	}
	for _, c := range testarchive.GNUCases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Log(c.Doc)
			ours, gnu := compareGNU(t, c.Tar)
			if ours.err != nil && gnu.ok {
				t.Errorf("tarx fails (%v), GNU tar reads it", ours.err)
			}
		})
	}
}

// TestReader_GNUSparse reads the sparse formats GNU tar writes.
func TestReader_GNUSparse(t *testing.T) {
	for _, format := range []string{"gnu", "posix-0.0", "posix-0.1", "posix-1.0"} {
		t.Run(format, func(t *testing.T) {
			tb, want := testarchive.GNUSparse(t, format)
			r := NewReader(bytes.NewReader(tb), Options{})
			n := 0
			for {
				e, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				if err != nil {
					t.Fatalf("%s: %v", e.Header.Name, err)
				}
				if w, ok := want[e.Header.Name]; ok {
					n++
					if !bytes.Equal(got, w) {
						t.Errorf("%s: %d bytes differ from the file's %d", e.Header.Name, len(got), len(w))
					}
					if e.Sparse != (e.Header.Name != "plain.txt") {
						t.Errorf("%s: Sparse %v", e.Header.Name, e.Sparse)
					}
				}
			}
			if n != len(want) {
				t.Errorf("read %d of %d files", n, len(want))
			}
		})
	}
}

// TestReader_ArchiveTar reads archives written by archive/tar as
// archive/tar reads them back, offsets included.
func TestReader_ArchiveTar(t *testing.T) {
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 3, SmallFiles: 30, BigFiles: 1, BigSize: 100 << 10})
	for _, f := range []tar.Format{tar.FormatGNU, tar.FormatPAX, tar.FormatUSTAR} {
		t.Run(f.String(), func(t *testing.T) {
			tb := testarchive.Tar(t, testarchive.Fit(entries, map[tar.Format]string{
				tar.FormatGNU: "gnu", tar.FormatPAX: "posix", tar.FormatUSTAR: "ustar"}[f]), f)
			want := testarchive.Read(t, tb)
			r := NewReader(bytes.NewReader(tb), Options{Warn: func(m string) { t.Errorf("warning %q", m) }})
			for i := 0; ; i++ {
				e, err := r.Next()
				if err == io.EOF {
					if i != len(want) {
						t.Fatalf("%d entries, archive/tar reads %d", i, len(want))
					}
					break
				}
				if err != nil || i >= len(want) {
					t.Fatalf("entry %d: %v", i, err)
				}
				w, h := want[i].Header, e.Header
				if h.Name != w.Name || h.Linkname != w.Linkname || h.Size != w.Size || h.Mode != w.Mode ||
					h.Typeflag != w.Typeflag || h.Uid != w.Uid || h.Gid != w.Gid || h.Uname != w.Uname ||
					h.Gname != w.Gname || !h.ModTime.Equal(w.ModTime) || h.Devmajor != w.Devmajor || h.Devminor != w.Devminor {
					t.Errorf("entry %d:\n got %+v\nwant %+v", i, h, w)
				}
				got, err := io.ReadAll(r)
				if err != nil || !bytes.Equal(got, want[i].Data) {
					t.Errorf("%s: contents differ (%v)", h.Name, err)
				}
				if e.DataEnd-e.DataOffset != int64(len(got)) || e.DataOffset%512 != 0 || e.HeaderOffset%512 != 0 {
					t.Errorf("%s: offsets %d %d %d", h.Name, e.HeaderOffset, e.DataOffset, e.DataEnd)
				}
				// The data lies where the offsets say.
				if !bytes.Equal(tb[e.DataOffset:e.DataEnd], got) {
					t.Errorf("%s: the stream at DataOffset is not its data", h.Name)
				}
			}
		})
	}
}
