package gzseek

import (
	"bytes"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestSparseWindow resumes at every checkpoint with its sparse window and
// checks that the bytes are the same, and that the windows shrink.
func TestSparseWindow(t *testing.T) {
	data := sample(2 << 20)
	for _, style := range []testarchive.Style{testarchive.GoLevel1, testarchive.GoLevel6, testarchive.SyncFlush, testarchive.StoredHuffman, testarchive.MultiMember} {
		t.Run(style.String(), func(t *testing.T) {
			t.Parallel() // each style is minutes under the race detector: use both cores
			z := testarchive.Gzip(t, data, style)
			out, cps := scanAll(t, z, 64<<10)
			var codec WindowCodec
			var full, sparse, zeroed int
			for i := range cps {
				w, err := SparseWindow(bytes.NewReader(z), int64(len(z)), cps[i])
				if err != nil {
					t.Fatalf("checkpoint %d: %v", i, err)
				}
				if len(w) != len(cps[i].Window) {
					t.Fatalf("checkpoint %d: sparse window of %d bytes, window %d", i, len(w), len(cps[i].Window))
				}
				for j := range w {
					if w[j] != cps[i].Window[j] {
						if w[j] != 0 {
							t.Fatalf("checkpoint %d: sparse window byte %d is neither the window's nor zero", i, j)
						}
						zeroed++
					}
				}
				full += len(codec.Encode(nil, cps[i].Window))
				cps[i].Window = w
				sparse += len(codec.Encode(nil, w))
			}
			checkResumes(t, z, out, cps)
			t.Logf("%d checkpoints: windows %d bytes encoded, sparse %d (%d bytes zeroed)", len(cps), full, sparse, zeroed)
			if zeroed == 0 || sparse >= full {
				t.Errorf("sparse windows do not shrink: %d bytes zeroed, %d vs %d bytes encoded", zeroed, sparse, full)
			}
		})
	}
}
