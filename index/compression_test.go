package index

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/gzseek"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestDetect checks that an archive's compression is told by its first
// bytes: gzip by its magic, a plain tar by a valid first header (or a
// zero block), and other formats refused, named when tarx knows them.
func TestDetect(t *testing.T) {
	pax := mixedTar(t, tar.FormatPAX)
	gnu := mixedTar(t, tar.FormatGNU)
	v7 := testarchive.Tar(t, []testarchive.Entry{{Header: tar.Header{Typeflag: tar.TypeReg, Name: "v7.txt", Mode: 0o644, Format: tar.FormatUSTAR}, Data: []byte("x")}}, tar.FormatUSTAR)
	copy(v7[257:265], make([]byte, 8)) // no magic: a V7 header
	fixV7Checksum(v7)
	badSum := bytes.Clone(pax)
	badSum[0] ^= 0x20
	tests := []struct {
		name string
		head []byte
		want Compression
		err  string // part of the error, if any
	}{
		{"gzip", testarchive.Gzip(t, pax, testarchive.GoLevel6), Gzip, ""},
		{"pax", pax, None, ""},
		{"gnu", gnu, None, ""},
		{"v7", v7, None, ""},
		{"empty-archive", make([]byte, 10240), None, ""},
		{"bad-checksum", badSum, "", "no valid tar header"},
		{"bzip2", append([]byte("BZh91AY&SY"), make([]byte, 600)...), "", "bzip2-compressed data (decompress it first: bzip2 -dc"},
		{"xz", append([]byte("\xfd7zXZ\x00\x00\x04"), make([]byte, 600)...), "", "xz-compressed data"},
		{"zstd", append([]byte("\x28\xb5\x2f\xfd\x04"), make([]byte, 600)...), "", "zstd-compressed data"},
		{"zip", append([]byte("PK\x03\x04"), make([]byte, 600)...), "", "a zip archive"},
		{"text", []byte("hello\n"), "", "no valid tar header"},
		{"empty", nil, "", "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := detect(tt.head[:min(len(tt.head), 512)])
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Errorf("detect = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrArchiveFormat) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("detect = %q, %v; want ErrArchiveFormat with %q", got, err, tt.err)
			}
		})
	}
}

// fixV7Checksum recomputes the checksum of the tar header at b[0:512].
func fixV7Checksum(b []byte) {
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:156], []byte(strings.Repeat("0", 6-len(itoa8(sum)))+itoa8(sum)+"\x00 "))
}

func itoa8(n int) string {
	var b []byte
	for ; n > 0; n /= 8 {
		b = append([]byte{byte('0' + n%8)}, b...)
	}
	return string(b)
}

// TestOpen_Plain indexes plain tar files in several dialects and checks
// that they read as their gzip twins do: members, lookups, contents, the
// stream at any offset, verified ranges, and a clean Verify; and that the
// index holds no checkpoints but spans of Span bytes for extraction.
func TestOpen_Plain(t *testing.T) {
	for _, format := range []tar.Format{tar.FormatGNU, tar.FormatPAX} {
		t.Run(format.String(), func(t *testing.T) {
			t.Parallel()
			tarBytes := mixedTar(t, format)
			p := writeArchive(t, tarBytes)
			const span = 64 << 10
			a := mustOpen(t, p, Options{BuildOptions: BuildOptions{Span: span, ToolVersion: "test-1.0"}})
			entries := testarchive.Read(t, tarBytes)
			checkMembers(t, a, tarBytes, entries)
			checkLookup(t, a, entries, format == tar.FormatPAX)
			checkOffsets(t, a, tarBytes)

			info := a.Info()
			size := int64(len(tarBytes))
			if info.Compression != None || info.ArchiveSize != size || info.UncompressedSize != size ||
				info.GzipMembers != 0 || info.Checkpoints != 0 || info.WindowBytes != 0 || info.SparseWindows ||
				info.Span != span || info.Members != int64(len(entries)) {
				t.Errorf("Info() = %+v", info)
			}
			cps, err := a.Checkpoints()
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for off := int64(0); off < size; off += span {
				want = append(want, off)
			}
			if !slices.Equal(cps, want) {
				t.Errorf("Checkpoints() = %v, want the span starts %v", cps, want)
			}

			rr := a.NewRangeReader()
			defer rr.Close()
			for _, off := range []int64{0, 700, BlockSize - 3, size / 2, size - 100} {
				got := make([]byte, min(100<<10, size-off))
				if n, err := rr.ReadAt(got, off); n != len(got) || (err != nil && err != io.EOF) || !bytes.Equal(got, tarBytes[off:off+int64(n)]) {
					t.Errorf("RangeReader.ReadAt(%d): %d bytes, %v, or other bytes", off, n, err)
				}
			}

			problems, err := a.Verify(context.Background(), nil)
			if err != nil || len(problems) != 0 {
				t.Errorf("Verify: %v, %v", problems, err)
			}
		})
	}
}

// TestOpen_PlainChanged checks that bytes of a plain tar changed after it
// was indexed, where the identity does not look (its size, mtime, head and
// tail are the same), fail the member read with ErrChecksum and make
// Verify name the member, rather than handing out other bytes.
func TestOpen_PlainChanged(t *testing.T) {
	tarBytes := tarOf(t, []testarchive.Entry{
		regular("head.txt", bytes.Repeat([]byte("h"), 70<<10)),
		regular("middle.bin", bytes.Repeat([]byte("abcdefgh"), 64<<10)),
		regular("tail.txt", bytes.Repeat([]byte("t"), 70<<10)),
	})
	p := writeArchive(t, tarBytes)
	a := mustOpen(t, p, Options{})
	m, err := a.Lookup("middle.bin")
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	changeInPlace(t, p, m.DataOffset+1000, []byte("XYZ"))
	a = mustOpen(t, p, Options{NoReindex: true})
	_, r, err := a.OpenMember(m)
	if err == nil {
		_, err = io.Copy(io.Discard, r)
		r.Close()
	}
	if !errors.Is(err, ErrChecksum) {
		t.Errorf("reading the changed member: %v, want ErrChecksum", err)
	}
	rr := a.NewRangeReader()
	defer rr.Close()
	if _, err := rr.ReadMemberAt(m, make([]byte, 10), 2000); !errors.Is(err, ErrChecksum) {
		t.Errorf("ReadMemberAt in the changed block: %v, want ErrChecksum", err)
	}
	problems, err := a.Verify(context.Background(), nil)
	named := slices.ContainsFunc(problems, func(e error) bool { return strings.Contains(e.Error(), "middle.bin") })
	if err != nil || !named {
		t.Errorf("Verify: %v, %v; want a problem naming middle.bin", problems, err)
	}
}

// TestScan_Plain checks that a plain tar read from a stream (standard
// input) is indexed as the file is, and that the index it saves opens
// the file.
func TestScan_Plain(t *testing.T) {
	tarBytes := mixedTar(t, tar.FormatPAX)
	p := writeArchive(t, tarBytes)
	ipath := p + Suffix
	var names []string
	info, err := Scan(context.Background(), bytes.NewReader(tarBytes), ipath, BuildOptions{OnMember: func(m *Member, _ io.Reader) error {
		names = append(names, m.Header.Name)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if info.Compression != None || info.UncompressedSize != int64(len(tarBytes)) {
		t.Errorf("Scan: Info %+v", info)
	}
	a := mustOpen(t, p, Options{NoBuild: true})
	var got []string
	for _, m := range members(t, a) {
		got = append(got, m.Header.Name)
		if !m.Superseded {
			readMember(t, a, m)
		}
	}
	if !slices.Equal(got, names) || len(names) != len(testarchive.Read(t, tarBytes)) {
		t.Errorf("Scan saw %q, the saved index has %q", names, got)
	}
}

// FuzzScan feeds arbitrary archives to a build from a stream: it must
// detect their compression, and index or refuse them, without panicking;
// a plain tar it indexes has the size it was given.
func FuzzScan(f *testing.F) {
	small := tarOf(f, []testarchive.Entry{regular("a.txt", []byte("hello\n")), regular("b/c", bytes.Repeat([]byte("x"), 1000))})
	f.Add(small)
	f.Add(testarchive.Gzip(f, small, testarchive.GoLevel6))
	f.Add(small[:700])
	f.Add(make([]byte, 1024))
	f.Add([]byte("BZh91AY&SY"))
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Scan(context.Background(), bytes.NewReader(data), "", BuildOptions{})
		if err != nil {
			var ok bool
			for _, want := range []error{ErrArchiveFormat, ErrTar, gzseek.ErrHeader, gzseek.ErrChecksum,
				gzseek.ErrTruncated, gzseek.ErrCorrupt, gzseek.ErrTrailingData} {
				ok = ok || errors.Is(err, want)
			}
			if !ok {
				t.Fatalf("Scan: error %v is none of the format errors", err)
			}
			return
		}
		if info.Compression == None && info.UncompressedSize != int64(len(data)) {
			t.Errorf("plain tar of %d bytes: Info %+v", len(data), info)
		}
		if c, _ := detect(data[:min(len(data), 512)]); c != info.Compression {
			t.Errorf("Scan read %q, detect says %q", info.Compression, c)
		}
	})
}

func regular(name string, data []byte) testarchive.Entry {
	return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, ModTime: time.Unix(1_700_000_000, 0)}, Data: data}
}

func tarOf(tb testing.TB, entries []testarchive.Entry) []byte {
	tb.Helper()
	return testarchive.Tar(tb, entries, tar.FormatPAX)
}

// changeInPlace overwrites the bytes at off of the file at p with b,
// keeping its size and mtime.
func changeInPlace(tb testing.TB, p string, off int64, b []byte) {
	tb.Helper()
	st, err := os.Stat(p)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.WriteAt(b, off); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
		tb.Fatal(err)
	}
}
