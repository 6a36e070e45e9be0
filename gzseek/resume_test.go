package gzseek

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// sample returns about n bytes alternating text and incompressible runs,
// so compressors write both Huffman and stored blocks.
func sample(n int) []byte {
	var b []byte
	for i := int64(0); len(b) < n; i++ {
		if i%3 == 2 {
			b = append(b, testarchive.Incompressible(i, 40_000+int(i%7)*9_000)...)
		} else {
			b = append(b, testarchive.Text(i, 90_000+int(i%5)*13_000)...)
		}
	}
	return b[:n]
}

// scanAll scans z and returns its output and checkpoints.
func scanAll(t testing.TB, z []byte, span int64) ([]byte, []Checkpoint) {
	t.Helper()
	var cps []Checkpoint
	s := NewScanner(bytes.NewReader(z), ScanOptions{Span: span}, func(c Checkpoint) error {
		cps = append(cps, c)
		return nil
	})
	out, err := io.ReadAll(s)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return out, cps
}

// checkResumes resumes at every checkpoint and compares the next 64 KiB
// with the scan's output; every fifth checkpoint, and the last, is read to
// the end of the file. Every other checkpoint is resumed by Reset of one
// Reader that has read from the checkpoints before (partly, to the end,
// inside a member or at its start), so that a reused Reader is checked too.
func checkResumes(t *testing.T, z, want []byte, cps []Checkpoint) {
	t.Helper()
	if len(cps) == 0 || cps[0].Out != 0 || !cps[0].MemberStart {
		t.Fatalf("first checkpoint %+v, want the start of member 0", cps[:min(1, len(cps))])
	}
	reused := new(Reader)
	for i, c := range cps {
		if i > 0 && c.Out <= cps[i-1].Out {
			t.Fatalf("checkpoint %d at %d does not follow %d", i, c.Out, cps[i-1].Out)
		}
		r, err := reused, reused.Reset(bytes.NewReader(z), int64(len(z)), c)
		if i%2 == 0 {
			r, err = Resume(bytes.NewReader(z), int64(len(z)), c)
		}
		if err != nil {
			t.Fatalf("Resume(%d): %v", i, err)
		}
		full := i%5 == 0 || i == len(cps)-1
		var got []byte
		if full {
			got, err = io.ReadAll(r)
		} else {
			got = make([]byte, min(64<<10, int64(len(want))-c.Out))
			_, err = io.ReadFull(r, got)
		}
		if err != nil {
			t.Fatalf("checkpoint %d (out %d, in %d+%d bits, member %d): %v", i, c.Out, c.In, c.Bit, c.Member, err)
		}
		if exp := want[c.Out : c.Out+int64(len(got))]; !bytes.Equal(got, exp) || (full && c.Out+int64(len(got)) != int64(len(want))) {
			t.Fatalf("checkpoint %d (out %d, in %d+%d bits, member %d): resumed bytes differ", i, c.Out, c.In, c.Bit, c.Member)
		}
		if full && r.Offset() != int64(len(want)) {
			t.Errorf("checkpoint %d: Offset() = %d at the end, want %d", i, r.Offset(), len(want))
		}
	}
}

// TestResumeStyles resumes at every checkpoint, with its window and with
// its sparse window, of files written in every
// style the tests can produce without external tools: stored-only,
// Huffman levels, many members, BGZF, sync flushes and alternating stored
// and Huffman blocks.
func TestResumeStyles(t *testing.T) {
	data := sample(3 << 20)
	for _, style := range testarchive.Styles() {
		t.Run(style.String(), func(t *testing.T) {
			t.Parallel() // each style is minutes under the race detector: use both cores
			z := testarchive.Gzip(t, data, style)
			out, cps := scanAll(t, z, 64<<10)
			if !bytes.Equal(out, data) {
				t.Fatal("scan output differs from the input")
			}
			if len(cps) < 10 {
				t.Errorf("only %d checkpoints in 3 MiB with a 64 KiB span", len(cps))
			}
			checkResumes(t, z, data, cps)
			checkSparseResumes(t, z, data, cps)
		})
	}
}

// TestResumeExternal does the same for files written by real compressors,
// where installed (CI installs them all).
func TestResumeExternal(t *testing.T) {
	data := sample(2 << 20)
	for _, tool := range testarchive.ExternalTools() {
		t.Run(tool, func(t *testing.T) {
			t.Parallel() // each style is minutes under the race detector: use both cores
			in := data
			if tool == "zopfli" {
				in = data[:256<<10] // zopfli is slow
			}
			z := testarchive.External(t, in, tool)
			out, cps := scanAll(t, z, 64<<10)
			if !bytes.Equal(out, in) {
				t.Fatal("scan output differs from the input")
			}
			checkResumes(t, z, in, cps)
			checkSparseResumes(t, z, in, cps)
		})
	}
}

// TestMemberStarts checks that every member start of a multi-member file
// is a checkpoint without a window once Span/16 has passed.
func TestMemberStarts(t *testing.T) {
	data := sample(2 << 20)
	z := testarchive.Gzip(t, data, testarchive.BGZF)
	_, cps := scanAll(t, z, 16*testarchive.BGZFBlockSize)
	starts := 0
	for _, c := range cps {
		if c.MemberStart {
			starts++
			if len(c.Window) != 0 || c.Bit != 0 {
				t.Errorf("member start %+v has a window or bit offset", c.Out)
			}
		}
	}
	if want := len(data) / testarchive.BGZFBlockSize; starts < want {
		t.Errorf("%d member-start checkpoints, want at least %d", starts, want)
	}
}

// TestStoredBlockDrift is the case that breaks klauspost/compress's own
// offsets: stored blocks whose header leaves bytes in the bit buffer,
// followed by many Huffman blocks. Every checkpoint must resume.
func TestStoredBlockDrift(t *testing.T) {
	data := sample(4 << 20)
	z := testarchive.Gzip(t, data, testarchive.StoredHuffman)
	out, cps := scanAll(t, z, 32<<10)
	if !bytes.Equal(out, data) {
		t.Fatal("scan output differs")
	}
	checkResumes(t, z, data, cps)
}

// TestScanErrors checks the error for each kind of damage, scanning
// sequentially and in parallel (with chunks small enough to speculate).
func TestScanErrors(t *testing.T) {
	data := sample(600 << 10)
	good := testarchive.Gzip(t, data, testarchive.GoLevel6)
	two := append(append([]byte{}, good...), good...)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrHeader},
		{"not gzip", []byte("hello, this is plain text\n"), ErrHeader},
		{"bad method", mod(func(b []byte) []byte { b[2] = 7; return b }), ErrHeader},
		{"reserved flags", mod(func(b []byte) []byte { b[3] = 0x80; return b }), ErrHeader},
		{"header only", good[:10], ErrTruncated},
		{"header cut", good[:5], ErrTruncated},
		{"truncated middle", good[:len(good)/2], ErrTruncated},
		{"trailer cut", good[:len(good)-4], ErrTruncated},
		{"no trailer", good[:len(good)-8], ErrTruncated},
		{"bad crc", mod(func(b []byte) []byte { b[len(b)-8] ^= 1; return b }), ErrChecksum},
		{"bad isize", mod(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ErrChecksum},
		{"trailing garbage", append(append([]byte(nil), good...), "garbage"...), ErrTrailingData},
		{"trailing one byte", append(append([]byte(nil), good...), 'x'), ErrTrailingData},
		{"garbage after zeros", append(append([]byte(nil), good...), 0, 0, 0, 1), ErrTrailingData},
		{"second member truncated", two[:len(two)-100], ErrTruncated},
		{"reserved block type", mod(func(b []byte) []byte { b[10] |= 6; return b }), ErrCorrupt},
		{"long plain text", bytes.Repeat([]byte("hello, this is plain text\n"), 2000), ErrHeader},
		{"corrupt middle", mod(func(b []byte) []byte {
			for i := len(b) / 2; i < len(b)/2+64; i++ {
				b[i] = 0xff
			}
			return b
		}), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seqOut, err := io.ReadAll(NewScanner(bytes.NewReader(tt.in), ScanOptions{}, func(Checkpoint) error { return nil }))
			if !errors.Is(err, tt.want) {
				t.Errorf("scan error %v, want %v", err, tt.want)
			}
			out, _, _, err := scanPar(tt.in, 64<<10, 8<<10, 3)
			if !errors.Is(err, tt.want) {
				t.Errorf("parallel scan error %v, want %v", err, tt.want)
			}
			// Both return the bytes before the damage (and, like any
			// streaming inflater, what a corrupt block decodes to before
			// it is found out); the parallel scan stops at the block
			// boundary before the error.
			if !bytes.HasPrefix(seqOut, out) {
				t.Errorf("parallel scan returned %d bytes that the sequential scan did not", len(out))
			}
		})
	}
}

// TestFlippedBits flips single bits throughout a file: the scan must
// fail (or, rarely, decode the same bytes), never return other bytes
// without an error, and never panic.
func TestFlippedBits(t *testing.T) {
	data := sample(200 << 10)
	good := testarchive.Gzip(t, data, testarchive.GoLevel6)
	for pos := 10; pos < len(good); pos += len(good) / 97 {
		for _, bit := range []byte{1, 0x10} {
			z := append([]byte(nil), good...)
			z[pos] ^= bit
			out, err := io.ReadAll(NewScanner(bytes.NewReader(z), ScanOptions{}, func(Checkpoint) error { return nil }))
			if err == nil && !bytes.Equal(out, data) {
				t.Fatalf("bit %#x at %d flipped: wrong bytes without an error", bit, pos)
			}
		}
	}
}

func TestPadding(t *testing.T) {
	data := sample(100 << 10)
	z := append(testarchive.Gzip(t, data, testarchive.GoLevel6), make([]byte, 1000)...)
	out, _ := scanAll(t, z, 0)
	if !bytes.Equal(out, data) {
		t.Fatal("output differs")
	}
}

func TestEmitError(t *testing.T) {
	z := testarchive.Gzip(t, sample(1<<20), testarchive.GoLevel6)
	stop := fmt.Errorf("stop")
	for _, jobs := range []int{1, 2} {
		opts := ScanOptions{Span: 64 << 10, Jobs: jobs, chunkSize: 16 << 10, unpaced: true}
		_, err := io.ReadAll(NewScanner(bytes.NewReader(z), opts, func(c Checkpoint) error {
			if c.Out > 0 {
				return stop
			}
			return nil
		}))
		if err != stop {
			t.Errorf("jobs %d: got %v, want the emit error", jobs, err)
		}
	}
}

func TestResumeBadCheckpoint(t *testing.T) {
	z := testarchive.Gzip(t, sample(100<<10), testarchive.GoLevel6)
	for _, c := range []Checkpoint{
		{Out: -1},
		{Bit: 8},
		{In: int64(len(z))},
		{MemberStart: true, Bit: 3},
		{Window: make([]byte, WindowSize+1)},
	} {
		if _, err := Resume(bytes.NewReader(z), int64(len(z)), c); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("Resume(%+v) = %v, want ErrCheckpoint", c, err)
		}
	}
}
