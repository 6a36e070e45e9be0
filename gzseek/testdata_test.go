package gzseek

import (
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestResumeFixtures resumes at every checkpoint of the repository's
// testdata archives, with full and sparse windows, with spans small enough for windowed checkpoints.
func TestResumeFixtures(t *testing.T) {
	for _, fx := range testarchive.Fixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			for _, span := range []int64{8 << 10, 64 << 10} {
				out, cps := scanAll(t, fx.Data, span)
				if span == 8<<10 && len(cps) < 2 {
					t.Errorf("span %d: %d checkpoints", span, len(cps))
				}
				checkResumes(t, fx.Data, out, cps)
				checkSparseResumes(t, fx.Data, out, cps)
			}
		})
	}
}
