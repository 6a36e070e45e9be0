package gzseek

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// parStats is what a parallel scan did.
type parStats struct {
	speculated, rejected, cut int
	reread                    int64
}

// scanPar scans z with jobs workers on chunks of the given compressed size
// and returns its output, checkpoints and the scan's error. It speculates
// however busy the machine is (ScanOptions.unpaced), as the tests of the
// speculation need.
func scanPar(z []byte, span, chunk int64, jobs int) ([]byte, []Checkpoint, parStats, error) {
	return scanWith(z, ScanOptions{Span: span, Jobs: jobs, chunkSize: chunk, unpaced: true})
}

// scanWith scans z with opts.
func scanWith(z []byte, opts ScanOptions) ([]byte, []Checkpoint, parStats, error) {
	var cps []Checkpoint
	s := NewScanner(bytes.NewReader(z), opts, func(c Checkpoint) error {
		cps = append(cps, c)
		return nil
	})
	out, err := io.ReadAll(s)
	var st parStats
	if s.par != nil {
		st = parStats{s.par.speculated, s.par.rejected, s.par.cut, s.par.reread}
	}
	return out, cps, st, err
}

// checkParallel scans z sequentially and in parallel with tiny chunks and
// compares output and checkpoints, then resumes at every parallel one.
// It requires chunks decoded speculatively when z spans several chunks.
func checkParallel(t *testing.T, z []byte, span, chunk int64, wantSpec bool) parStats {
	t.Helper()
	return checkWith(t, z, ScanOptions{Span: span, Jobs: 3, chunkSize: chunk, unpaced: true}, wantSpec)
}

// checkWith is checkParallel with the parallel scan's options.
func checkWith(t *testing.T, z []byte, opts ScanOptions, wantSpec bool) parStats {
	t.Helper()
	want, wantCPs := scanAll(t, z, opts.Span)
	got, cps, st, err := scanWith(z, opts)
	if err != nil {
		t.Fatalf("parallel scan: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("parallel output differs at byte %d (%d bytes, want %d)", firstDiff(got, want), len(got), len(want))
	}
	compareCheckpoints(t, cps, wantCPs)
	checkResumes(t, z, want, cps)
	if wantSpec && st.speculated == 0 {
		t.Errorf("no chunk was decoded speculatively (%d rejected)", st.rejected)
	}
	if st.reread != 0 {
		t.Errorf("the resolver read %d bytes for CRC-32s the workers should have summed", st.reread)
	}
	return st
}

// compareCheckpoints fails unless the parallel scan's checkpoints got are
// the sequential scan's, want.
func compareCheckpoints(t *testing.T, got, want []Checkpoint) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d checkpoints, sequential scan has %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		a, b := got[i], want[i]
		if a.Out != b.Out || a.In != b.In || a.Bit != b.Bit || a.Member != b.Member || a.MemberStart != b.MemberStart || !bytes.Equal(a.Window, b.Window) {
			t.Fatalf("checkpoint %d: out %d in %d+%d member %d start %v, sequential: out %d in %d+%d member %d start %v",
				i, a.Out, a.In, a.Bit, a.Member, a.MemberStart, b.Out, b.In, b.Bit, b.Member, b.MemberStart)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestParallelStyles compares parallel and sequential scans of every
// style the tests can write.
func TestParallelStyles(t *testing.T) {
	data := sample(2 << 20)
	for _, style := range testarchive.Styles() {
		t.Run(style.String(), func(t *testing.T) {
			t.Parallel() // each style is minutes under the race detector: use both cores
			z := testarchive.Gzip(t, data, style)
			st := checkParallel(t, z, 64<<10, 16<<10, true)
			t.Logf("%d bytes: %d chunks speculated, %d rejected", len(z), st.speculated, st.rejected)
		})
	}
}

// TestParallelExternal does the same for real compressors.
func TestParallelExternal(t *testing.T) {
	data := sample(2 << 20)
	for _, tool := range testarchive.ExternalTools() {
		t.Run(tool, func(t *testing.T) {
			t.Parallel() // each style is minutes under the race detector: use both cores
			in := data
			if tool == "zopfli" {
				in = data[:256<<10]
			}
			z := testarchive.External(t, in, tool)
			// igzip -0 writes a single block per 1.2 MB here: there is
			// no boundary to start a second chunk at.
			st := checkParallel(t, z, 64<<10, 16<<10, tool != "igzip-0")
			t.Logf("%d bytes: %d chunks speculated, %d rejected", len(z), st.speculated, st.rejected)
		})
	}
}

// TestParallelAdversarial uses inputs where false block starts are likely:
// gzip data stored inside the stream, long runs of stored blocks, tiny
// blocks, and chunks smaller than a block.
func TestParallelAdversarial(t *testing.T) {
	inner := testarchive.Gzip(t, sample(400<<10), testarchive.GoLevel6)
	nested := bytes.Join([][]byte{sample(100 << 10), inner, inner, sample(50 << 10), inner}, nil)
	tiny := testarchive.Text(9, 300<<10)
	cases := []struct {
		name  string
		z     []byte
		chunk int64
	}{
		{"gzip in stored blocks", testarchive.Gzip(t, nested, testarchive.GoLevel0), 8 << 10},
		{"gzip in gzip", testarchive.Gzip(t, nested, testarchive.GoLevel1), 8 << 10},
		{"stored runs", testarchive.Gzip(t, testarchive.Incompressible(3, 1<<20), testarchive.GoLevel6), 8 << 10},
		{"tiny blocks", testarchive.Gzip(t, tiny, testarchive.StoredHuffman), 4 << 10},
		{"sync flush", testarchive.Gzip(t, tiny, testarchive.SyncFlush), 3 << 10},
		{"chunks smaller than blocks", testarchive.Gzip(t, sample(1<<20), testarchive.GoLevel9), 1 << 10},
		{"multi member, chunk 1 KiB", testarchive.Gzip(t, sample(1<<20), testarchive.MultiMember), 1 << 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := checkParallel(t, c.z, 32<<10, c.chunk, true)
			t.Logf("%d bytes: %d chunks speculated, %d rejected", len(c.z), st.speculated, st.rejected)
		})
	}
}

// TestParallelCut forces pieces to be cut short as if their markers
// persisted (as in a tar of a million small files, where copies of the
// headers' zeros carry markers on for ever): the resolver decodes on from
// where each ends, with the same bytes and checkpoints.
func TestParallelCut(t *testing.T) {
	for _, style := range []testarchive.Style{testarchive.GoLevel6, testarchive.MultiMember} {
		t.Run(style.String(), func(t *testing.T) {
			// Chunks of several blocks each, so that a piece reaches a
			// block end before the next chunk starts.
			z := testarchive.Gzip(t, testarchive.Text(5, 4<<20), style)
			st := checkWith(t, z, ScanOptions{Span: 64 << 10, Jobs: 2, chunkSize: 64 << 10, maxMarked: 2 << 10, unpaced: true}, true)
			if st.cut == 0 {
				t.Errorf("no piece was cut (%d speculated)", st.speculated)
			}
			t.Logf("%d bytes: %d chunks speculated, %d cut", len(z), st.speculated, st.cut)
		})
	}
}

// TestParallelFlippedBits flips bits throughout a file: the parallel scan
// must fail or return the right bytes, never other bytes, and never panic.
func TestParallelFlippedBits(t *testing.T) {
	data := sample(300 << 10)
	good := testarchive.Gzip(t, data, testarchive.GoLevel6)
	for pos := 10; pos < len(good); pos += len(good) / 61 {
		z := append([]byte(nil), good...)
		z[pos] ^= 0x10
		out, _, _, err := scanPar(z, 64<<10, 8<<10, 2)
		if err == nil && !bytes.Equal(out, data) {
			t.Fatalf("bit flipped at %d: wrong bytes without an error", pos)
		}
	}
}

// TestParallelChecksum breaks the CRC-32 or ISIZE in the trailer of a
// member that spans many chunks: the parallel scan, which joins the
// workers' sums, must fail with ErrChecksum as the sequential one does.
func TestParallelChecksum(t *testing.T) {
	data := sample(1 << 20)
	single := testarchive.Gzip(t, data, testarchive.GoLevel6)
	multi := testarchive.Gzip(t, data, testarchive.MultiMember)
	// The trailer of multi's first member is the 8 bytes before the
	// second member's header.
	second := bytes.Index(multi[10:], []byte{0x1f, 0x8b, 8}) + 10
	for _, c := range []struct {
		name string
		z    []byte
		at   int
		spec bool // chunks must start inside the member
	}{
		{"single CRC", single, len(single) - 8, true},
		{"single ISIZE", single, len(single) - 1, true},
		{"last member CRC", multi, len(multi) - 6, false},
		{"first member CRC", multi, second - 8, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			z := bytes.Clone(c.z)
			z[c.at] ^= 1
			for _, chunk := range []int64{4 << 10, 16 << 10} {
				_, _, st, err := scanPar(z, 64<<10, chunk, 2)
				if !errors.Is(err, ErrChecksum) {
					t.Fatalf("chunk %d: got %v, want ErrChecksum", chunk, err)
				}
				if c.spec && st.speculated == 0 {
					t.Errorf("chunk %d: nothing decoded speculatively", chunk)
				}
			}
		})
	}
}

// TestParallelSmall checks that inputs shorter than two chunks are
// scanned sequentially, with the same result.
func TestParallelSmall(t *testing.T) {
	data := sample(100 << 10)
	z := testarchive.Gzip(t, data, testarchive.GoLevel6)
	out, _, st, err := scanPar(z, 0, int64(len(z)), 2)
	if err != nil || !bytes.Equal(out, data) {
		t.Fatalf("small input: %v", err)
	}
	if st.speculated != 0 {
		t.Errorf("small input decoded speculatively")
	}
}

// FuzzParallelScan scans arbitrary bytes sequentially and in parallel,
// with chunks of an eighth of the input: the two must give the same bytes
// and checkpoints, or errors of the same kind.
func FuzzParallelScan(f *testing.F) {
	data := sample(100 << 10)
	for _, s := range []testarchive.Style{testarchive.GoLevel1, testarchive.GoLevel6, testarchive.MultiMember, testarchive.BGZF, testarchive.StoredHuffman} {
		f.Add(testarchive.Gzip(f, data[:40<<10], s))
	}
	f.Add(bytes.Repeat([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 4}, 100))
	kinds := []error{ErrHeader, ErrChecksum, ErrTrailingData, ErrTruncated, ErrCorrupt}
	f.Fuzz(func(t *testing.T, z []byte) {
		var want []Checkpoint
		s := NewScanner(bytes.NewReader(z), ScanOptions{Span: 4 << 10}, func(c Checkpoint) error {
			want = append(want, c)
			return nil
		})
		wantOut, wantErr := io.ReadAll(io.LimitReader(s, 4<<20))
		if len(wantOut) == 4<<20 {
			return
		}
		out, cps, _, err := scanPar(z, 4<<10, max(64, int64(len(z))/8), 3)
		for _, k := range kinds {
			if errors.Is(wantErr, k) != errors.Is(err, k) {
				t.Fatalf("parallel scan error %v, sequential %v", err, wantErr)
			}
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("parallel scan error %v, sequential %v", err, wantErr)
		}
		if !bytes.HasPrefix(wantOut, out) || (err == nil && len(out) != len(wantOut)) {
			t.Fatalf("parallel output (%d bytes) is not the sequential output (%d bytes)", len(out), len(wantOut))
		}
		if err != nil {
			return
		}
		compareCheckpoints(t, cps, want)
	})
}

// TestPopClearsSlot checks that a job taken off the queue leaves no
// reference in the queue's array: its channel holds the piece, whose
// buffers (tens of MiB) would otherwise stay live until the array is
// reallocated.
func TestPopClearsSlot(t *testing.T) {
	var ps parallel
	done := make(chan *piece, 1)
	done <- &piece{plain: make([]byte, 1<<20)}
	ps.pending = append(ps.pending, job{chunk: 1, done: done}, job{chunk: 2})
	all := ps.pending
	ps.pop()
	if all[0].done != nil {
		t.Fatal("the popped job is still in the queue's array")
	}
	if len(ps.pending) != 1 || ps.pending[0].chunk != 2 {
		t.Fatalf("queue after pop: %+v", ps.pending)
	}
}

// TestScanMemory checks the bound callers add to their heap limits: none
// for a sequential scan, and growing with the jobs.
func TestScanMemory(t *testing.T) {
	for _, jobs := range []int{-1, 0, 1} {
		if m := ScanMemory(jobs); m != 0 {
			t.Errorf("ScanMemory(%d) = %d, want 0", jobs, m)
		}
	}
	prev := int64(0)
	for _, jobs := range []int{2, 3, 8, 64} {
		m := ScanMemory(jobs)
		// At least a piece of output and of marks per job.
		if least := int64(jobs) * (8*DefaultChunkSize + 2*defaultMaxMarked); m < least || m <= prev {
			t.Errorf("ScanMemory(%d) = %d MiB, want at least %d MiB and more than %d MiB", jobs, m>>20, least>>20, prev>>20)
		}
		prev = m
	}
}
