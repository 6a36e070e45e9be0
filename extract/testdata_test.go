package extract_test

import (
	"path/filepath"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestFromIndex_Fixtures extracts the repository's testdata archives and
// their plain tar twins with the index and compares the trees with GNU
// tar's.
func TestFromIndex_Fixtures(t *testing.T) {
	for _, fx := range testarchive.AllFixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			dir := t.TempDir()
			ref := filepath.Join(dir, "ref")
			testarchive.GNUTarExtract(t, fx.Path, ref)
			got := filepath.Join(dir, "got")
			gxFromIndex(t, gxOpen(t, gxWriteArchive(t, fx.Data)), got, 2)
			testarchive.CompareTrees(t, fx.Data, ref, got)
		})
	}
}
