package index

import (
	"archive/tar"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestHardLinks checks that HardLinks yields exactly the hard-link
// members, in order, as Members has them; and nothing for an archive
// without any.
func TestHardLinks(t *testing.T) {
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 4, SmallFiles: 50})
	for _, tt := range []struct {
		name    string
		entries []testarchive.Entry
	}{
		{"mixed", entries},
		{"none", entries[:1]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tb := testarchive.Tar(t, tt.entries, tar.FormatPAX)
			a := mustOpen(t, writeArchive(t, testarchive.Gzip(t, tb, testarchive.GoLevel6)), Options{})
			var want []*Member
			for _, m := range members(t, a) {
				if m.Header.Typeflag == tar.TypeLink {
					want = append(want, m)
				}
			}
			var got []*Member
			if err := a.HardLinks(func(m *Member) error { got = append(got, m); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d hard links, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i].Seq != want[i].Seq || got[i].Header.Name != want[i].Header.Name || got[i].Superseded != want[i].Superseded {
					t.Errorf("link %d: %d %q, want %d %q", i, got[i].Seq, got[i].Name(), want[i].Seq, want[i].Name())
				}
			}
			if tt.name == "mixed" && len(want) == 0 {
				t.Error("Mixed has no hard links")
			}
		})
	}
}
