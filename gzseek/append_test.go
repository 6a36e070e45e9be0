package gzseek

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// appendAll reads s to the end with Append the way a consumer with its own
// buffers does: each buffer starts with the last WindowSize bytes of the
// one before, preceded by junk of lead bytes, and is passed on once it
// holds fill bytes of new output.
func appendAll(s *Scanner, fill, lead int) ([]byte, error) {
	var out []byte
	var prev []byte // the new output of the buffer before
	for {
		buf := make([]byte, lead+WindowSize+fill+AppendRoom)
		for i := range lead {
			buf[i] = 0xa5
		}
		// The window: the last WindowSize bytes of all output, which may
		// span more than one buffer when fill is small.
		w := out[max(0, len(out)-WindowSize):]
		head := lead + copy(buf[lead:], w)
		dst := buf[:head]
		var err error
		for len(dst) < head+fill && err == nil {
			dst, err = s.Append(dst)
		}
		prev = dst[head:]
		out = append(out, prev...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// TestScannerAppend reads with Append into buffers of several sizes, as
// the index's pipe does, and compares bytes and checkpoints with Read's,
// sequentially and in parallel.
func TestScannerAppend(t *testing.T) {
	data := sample(1 << 20)
	inputs := []struct {
		name string
		z    []byte
	}{
		{"gzip -6", testarchive.Gzip(t, data, testarchive.GoLevel6)},
		{"stored", testarchive.Gzip(t, data[:300<<10], testarchive.GoLevel0)},
		{"multi member", testarchive.Gzip(t, data, testarchive.MultiMember)},
		{"bgzf", testarchive.Gzip(t, data, testarchive.BGZF)},
		{"concatenated", append(testarchive.Gzip(t, data[:200<<10], testarchive.GoLevel9), testarchive.Gzip(t, data[200<<10:], testarchive.GoLevel1)...)},
		{"empty member", testarchive.Gzip(t, nil, testarchive.GoLevel6)},
	}
	sizes := []struct{ fill, lead int }{
		{1 << 20, 0},
		{100 << 10, 7},
		{5000, 0}, // the window spans several buffers
		{1, 3},
	}
	for _, in := range inputs {
		want, wantCPs := scanAll(t, in.z, 64<<10)
		for _, jobs := range []int{1, 3} {
			for _, sz := range sizes {
				var cps []Checkpoint
				s := NewScanner(bytes.NewReader(in.z), ScanOptions{Span: 64 << 10, Jobs: jobs, chunkSize: 16 << 10, unpaced: true},
					func(c Checkpoint) error {
						cps = append(cps, c)
						return nil
					})
				got, err := appendAll(s, sz.fill, sz.lead)
				if err != nil {
					t.Fatalf("%s, %d jobs, fill %d: %v", in.name, jobs, sz.fill, err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s, %d jobs, fill %d: output differs at byte %d (%d bytes, want %d)",
						in.name, jobs, sz.fill, firstDiff(got, want), len(got), len(want))
				}
				compareCheckpoints(t, cps, wantCPs)
				if s.OutputOffset() != int64(len(want)) {
					t.Errorf("%s: OutputOffset %d, want %d", in.name, s.OutputOffset(), len(want))
				}
			}
		}
	}
}

// TestScannerAppendErrors: Append refuses a dst without room, and reports
// a damaged stream as Read does, after the same bytes.
func TestScannerAppendErrors(t *testing.T) {
	z := testarchive.Gzip(t, sample(300<<10), testarchive.GoLevel6)
	s := NewScanner(bytes.NewReader(z), ScanOptions{}, func(Checkpoint) error { return nil })
	if _, err := s.Append(make([]byte, 0, AppendRoom-1)); err != io.ErrShortBuffer {
		t.Errorf("Append into too small a buffer: %v, want io.ErrShortBuffer", err)
	}
	bad := bytes.Clone(z)
	bad[len(bad)-6] ^= 1 // the CRC-32
	cases := []struct {
		name string
		z    []byte
		want error
	}{
		{"cut", z[:len(z)/2], ErrTruncated},
		{"checksum", bad, ErrChecksum},
		{"trailing data", append(bytes.Clone(z), "junk"...), ErrTrailingData},
	}
	for _, c := range cases {
		r := NewScanner(bytes.NewReader(c.z), ScanOptions{}, func(Checkpoint) error { return nil })
		wantOut, wantErr := io.ReadAll(r)
		s := NewScanner(bytes.NewReader(c.z), ScanOptions{}, func(Checkpoint) error { return nil })
		got, err := appendAll(s, 64<<10, 0)
		if !errors.Is(err, c.want) || !errors.Is(wantErr, c.want) {
			t.Errorf("%s: Append: %v, Read: %v, want %v", c.name, err, wantErr, c.want)
		}
		if !bytes.Equal(got, wantOut) {
			t.Errorf("%s: Append returned %d bytes before the error, Read %d", c.name, len(got), len(wantOut))
		}
	}
}
