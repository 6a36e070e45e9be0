package index

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"path"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestRangeReader reads random ranges of the decompressed stream and of
// every member, with one reader and small spans so that reads resume,
// continue and skip forward, and compares them with the tar bytes.
func TestRangeReader(t *testing.T) {
	t.Parallel()
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 9, SmallFiles: 30, BigFiles: 3, BigSize: 700 << 10})
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	for _, style := range []testarchive.Style{testarchive.GoLevel6, testarchive.BGZF, testarchive.StoredHuffman} {
		t.Run(style.String(), func(t *testing.T) {
			a := mustOpen(t, writeArchive(t, testarchive.Gzip(t, tarBytes, style)), Options{BuildOptions: BuildOptions{Span: 96 << 10}})
			if a.info.UncompressedSize != int64(len(tarBytes)) {
				t.Fatalf("stream of %d bytes, want %d", a.info.UncompressedSize, len(tarBytes))
			}
			rr := a.NewRangeReader()
			defer rr.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			size := int64(len(tarBytes))
			for i := range 300 {
				off := rng.Int64N(size)
				n := rng.IntN(3 * BlockSize)
				switch {
				case i%10 == 0 && rr.Offset() >= 0:
					off = rr.Offset() // a sequential read
				case i%10 == 5:
					// One whole block, which is decoded in p.
					off = off / BlockSize * BlockSize
					n = int(min(BlockSize, size-off))
				}
				p := make([]byte, n)
				got, err := rr.ReadAt(p, off)
				wantN := min(int64(n), size-off)
				if int64(got) != wantN || (wantN < int64(n) && err != io.EOF) || (wantN == int64(n) && err != nil) {
					t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d", n, off, got, err, wantN)
				}
				if !bytes.Equal(p[:got], tarBytes[off:off+int64(got)]) {
					t.Fatalf("ReadAt(%d bytes at %d): wrong bytes", n, off)
				}
			}
			if _, err := rr.ReadAt(make([]byte, 1), size); err != io.EOF {
				t.Errorf("ReadAt at the end: %v, want io.EOF", err)
			}
			want := testarchive.Contents(entries)
			last := map[string]*Member{} // the member of each name that extraction leaves
			for _, m := range members(t, a) {
				last[path.Clean(m.Name())] = m
			}
			for name, m := range last {
				if data, ok := want[name]; ok && m.Header.Typeflag == tar.TypeReg {
					checkMemberRanges(t, rr, m, data, rng)
				}
			}
		})
	}
}

// checkMemberRanges reads m whole, then at random offsets, through rr.
func checkMemberRanges(t *testing.T, rr *RangeReader, m *Member, data []byte, rng *rand.Rand) {
	t.Helper()
	all := make([]byte, len(data)+10)
	n, err := rr.ReadMemberAt(m, all, 0)
	if n != len(data) || (err != io.EOF && len(data) < len(all)) || !bytes.Equal(all[:n], data) {
		t.Errorf("%s: ReadMemberAt whole = %d, %v; want %d bytes and io.EOF", m.Name(), n, err, len(data))
		return
	}
	for range 20 {
		if len(data) == 0 {
			return
		}
		off := rng.IntN(len(data))
		p := make([]byte, min(rng.IntN(2*BlockSize)+1, len(data)-off))
		n, err := rr.ReadMemberAt(m, p, int64(off))
		if n != len(p) || err != nil || !bytes.Equal(p, data[off:off+n]) {
			t.Errorf("%s: ReadMemberAt(%d bytes at %d) = %d, %v, equal %v", m.Name(), len(p), off, n, err, bytes.Equal(p[:n], data[off:off+n]))
			return
		}
	}
}

func TestRangeReader_Sparse(t *testing.T) {
	for _, format := range []string{"gnu", "posix-0.0", "posix-0.1", "posix-1.0"} {
		t.Run(format, func(t *testing.T) {
			tarBytes, want := testarchive.GNUSparse(t, format)
			a := mustOpen(t, writeArchive(t, testarchive.Gzip(t, tarBytes, testarchive.GoLevel1)), Options{BuildOptions: BuildOptions{Span: 64 << 10}})
			rr := a.NewRangeReader()
			defer rr.Close()
			rng := rand.New(rand.NewPCG(3, 4))
			sparse := 0
			for _, m := range members(t, a) {
				if w, ok := want[path.Clean(m.Name())]; ok {
					if m.Sparse {
						sparse++
					}
					checkMemberRanges(t, rr, m, w, rng)
				}
			}
			if sparse == 0 {
				t.Error("no sparse members")
			}
		})
	}
}

// TestRangeReader_Corrupt changes one byte of a member behind the index's
// back: every read covering its block fails with ErrChecksum and returns
// no bytes; reads elsewhere succeed.
func TestRangeReader_Corrupt(t *testing.T) {
	entries := testarchive.CorruptibleEntries()
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	p := testarchive.WriteArchive(t, testarchive.Gzip(t, tarBytes, testarchive.BGZF))
	a := mustOpen(t, p, Options{BuildOptions: BuildOptions{Span: 64 << 10}})
	m, err := a.Lookup("middle")
	if err != nil {
		t.Fatal(err)
	}
	bad := m.DataOffset + 200<<10
	testarchive.Corrupt(t, p, tarBytes, bad)
	rr := a.NewRangeReader()
	defer rr.Close()
	for _, off := range []int64{bad, bad - 10, bad/BlockSize*BlockSize - 1, 0, bad / BlockSize * BlockSize} {
		buf := make([]byte, 100)
		switch {
		case off == 0:
			buf = make([]byte, len(tarBytes)) // everything
		case off%BlockSize == 0:
			buf = make([]byte, BlockSize) // the whole block, decoded in buf
		}
		n, err := rr.ReadAt(buf, off)
		if n != 0 || !errors.Is(err, ErrChecksum) {
			t.Errorf("ReadAt(%d bytes at %d) = %d, %v; want 0 and ErrChecksum", len(buf), off, n, err)
		}
	}
	n, err := rr.ReadMemberAt(m, make([]byte, 10), 200<<10)
	if n != 0 || !errors.Is(err, ErrChecksum) {
		t.Errorf("ReadMemberAt over the bad byte = %d, %v; want 0 and ErrChecksum", n, err)
	}
	// The FS's ReadAt is checked the same way, short of the member's end.
	fsys, err := a.FS()
	if err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Open("middle")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n, err := f.(io.ReaderAt).ReadAt(make([]byte, 10), 200<<10); n != 0 || !errors.Is(err, ErrChecksum) {
		t.Errorf("FS ReadAt over the bad byte = %d, %v; want 0 and ErrChecksum", n, err)
	}
	tail, err := a.Lookup("tail")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, tail.Header.Size)
	if n, err := rr.ReadMemberAt(tail, got, 0); n != len(got) || err != nil || !bytes.Equal(got, entries[2].Data) {
		t.Errorf("an unchanged member: %d, %v", n, err)
	}
}
