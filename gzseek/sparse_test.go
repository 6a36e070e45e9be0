package gzseek

import (
	"bytes"
	"io"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// sparseCheckpoints returns cps with their windows made sparse by
// SparseWindow, checking that each sparse window is the window with some
// bytes zeroed, and how many bytes were zeroed.
func sparseCheckpoints(t *testing.T, z []byte, cps []Checkpoint) ([]Checkpoint, int) {
	t.Helper()
	out := make([]Checkpoint, len(cps))
	zeroed := 0
	for i, c := range cps {
		w, err := SparseWindow(bytes.NewReader(z), int64(len(z)), c)
		if err != nil {
			t.Fatalf("checkpoint %d: %v", i, err)
		}
		if len(w) != len(c.Window) {
			t.Fatalf("checkpoint %d: sparse window of %d bytes, window %d", i, len(w), len(c.Window))
		}
		for j := range w {
			if w[j] != c.Window[j] {
				if w[j] != 0 {
					t.Fatalf("checkpoint %d: sparse window byte %d is neither the window's nor zero", i, j)
				}
				zeroed++
			}
		}
		c.Window = w
		out[i] = c
	}
	return out, zeroed
}

// checkSparseResumes resumes at every checkpoint with its sparse window
// and compares the first WindowSize+maxMatch bytes with the scan's output.
// That is as far as it needs to: decoding reads the same bits whatever the
// window holds, and once that much output is right the history holds none
// of the window, so the rest is what the full window gives (checkResumes
// reads it).
func checkSparseResumes(t *testing.T, z, want []byte, cps []Checkpoint) {
	t.Helper()
	sparse, _ := sparseCheckpoints(t, z, cps)
	for i, c := range sparse {
		r, err := Resume(bytes.NewReader(z), int64(len(z)), c)
		if err != nil {
			t.Fatalf("Resume(%d) with its sparse window: %v", i, err)
		}
		got := make([]byte, min(WindowSize+maxMatch, int64(len(want))-c.Out))
		if _, err := io.ReadFull(r, got); err != nil {
			t.Fatalf("checkpoint %d with its sparse window: %v", i, err)
		}
		if !bytes.Equal(got, want[c.Out:c.Out+int64(len(got))]) {
			t.Fatalf("checkpoint %d (out %d, in %d+%d bits): resumed bytes differ with the sparse window", i, c.Out, c.In, c.Bit)
		}
	}
}

// TestSparseWindow checks that sparse windows shrink the stored windows
// and resume to the same bytes (TestResumeStyles, TestResumeExternal and
// TestResumeFixtures resume with them on every producer).
func TestSparseWindow(t *testing.T) {
	data := sample(2 << 20)
	for _, style := range []testarchive.Style{testarchive.GoLevel1, testarchive.GoLevel6, testarchive.SyncFlush, testarchive.StoredHuffman, testarchive.MultiMember} {
		t.Run(style.String(), func(t *testing.T) {
			t.Parallel() // each style is minutes under the race detector: use both cores
			z := testarchive.Gzip(t, data, style)
			out, cps := scanAll(t, z, 64<<10)
			sparse, zeroed := sparseCheckpoints(t, z, cps)
			var codec WindowCodec
			full, small := 0, 0
			for i := range cps {
				full += len(codec.Encode(nil, cps[i].Window))
				small += len(codec.Encode(nil, sparse[i].Window))
			}
			checkResumes(t, z, out, sparse)
			t.Logf("%d checkpoints: windows %d bytes encoded, sparse %d (%d bytes zeroed)", len(cps), full, small, zeroed)
			if zeroed == 0 || small >= full {
				t.Errorf("sparse windows do not shrink: %d bytes zeroed, %d vs %d bytes encoded", zeroed, small, full)
			}
		})
	}
}

// TestSparseWindowKeepsOnlyUsed checks the other direction: every byte a
// sparse window keeps is one the output copies, so changing a kept
// (non-zero) byte changes the resumed output within the first
// WindowSize+maxMatch bytes, which is as far as the window can reach.
func TestSparseWindowKeepsOnlyUsed(t *testing.T) {
	data := sample(1 << 20)
	z := testarchive.Gzip(t, data, testarchive.GoLevel6)
	out, cps := scanAll(t, z, 64<<10)
	sparse, _ := sparseCheckpoints(t, z, cps)
	tried := 0
	for i, c := range sparse {
		// Three kept bytes of each window: first, middle and last.
		var kept []int
		for j, b := range c.Window {
			if b != 0 {
				kept = append(kept, j)
			}
		}
		if len(kept) == 0 {
			continue
		}
		for _, j := range []int{kept[0], kept[len(kept)/2], kept[len(kept)-1]} {
			w := bytes.Clone(c.Window)
			w[j] ^= 0xff
			bad := c
			bad.Window = w
			r, err := Resume(bytes.NewReader(z), int64(len(z)), bad)
			if err != nil {
				t.Fatalf("checkpoint %d: %v", i, err)
			}
			n := min(int64(WindowSize+maxMatch), int64(len(out))-c.Out)
			got := make([]byte, n)
			if _, err := io.ReadFull(r, got); err != nil {
				t.Fatalf("checkpoint %d: %v", i, err)
			}
			if bytes.Equal(got, out[c.Out:c.Out+n]) {
				t.Errorf("checkpoint %d: window byte %d kept but never copied", i, j)
			}
			tried++
		}
	}
	if tried == 0 {
		t.Fatal("no checkpoint with a kept window byte")
	}
}
