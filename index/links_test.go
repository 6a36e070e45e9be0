package index

import (
	"archive/tar"
	"errors"
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

// TestMember_Cache checks that Member returns every member as Members
// does, in an order that evicts cached chunks, and copies that callers
// may change.
func TestMember_Cache(t *testing.T) {
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 8, SmallFiles: 5000})
	a := mustOpen(t, writeArchive(t, testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel1)), Options{})
	all := members(t, a)
	if len(all) < cachedChunks*membersPerChunk {
		t.Fatalf("%d members: too few to evict", len(all))
	}
	for _, step := range []int{1, 7, membersPerChunk + 1} {
		for i := 0; i < len(all); i += step {
			m, err := a.Member(int64(i))
			if err != nil {
				t.Fatal(err)
			}
			if m.Seq != all[i].Seq || m.Header.Name != all[i].Header.Name || m.Superseded != all[i].Superseded || m.DataOffset != all[i].DataOffset {
				t.Fatalf("Member(%d) = %d %q, want %d %q", i, m.Seq, m.Name(), all[i].Seq, all[i].Name())
			}
			m.Header.Name = "changed"
		}
	}
	if _, err := a.Member(int64(len(all))); !errors.Is(err, ErrNotFound) {
		t.Errorf("Member past the end: %v, want ErrNotFound", err)
	}
}

// TestMembersOf checks that MembersOf yields the members asked for, in
// the order asked, as Members has them: in order, backwards across
// chunks, with repeats, and that it fails for a member that is not there.
func TestMembersOf(t *testing.T) {
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 8, SmallFiles: 2000})
	a := mustOpen(t, writeArchive(t, testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel1)), Options{})
	all := members(t, a)
	n := int64(len(all))
	if n < 3*membersPerChunk {
		t.Fatalf("%d members: too few for three chunks", n)
	}
	var forward, backward []int64
	for i := range n {
		forward = append(forward, i)
		backward = append(backward, n-1-i)
	}
	for _, tt := range []struct {
		name string
		seqs []int64
	}{
		{"forward", forward},
		{"backward", backward},
		{"scattered", []int64{membersPerChunk + 3, 0, n - 1, membersPerChunk + 3, 2*membersPerChunk - 1, 2 * membersPerChunk, 1}},
		{"none", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			i := 0
			err := a.MembersOf(tt.seqs, func(m *Member) error {
				want := all[tt.seqs[i]]
				if m.Seq != want.Seq || m.Header.Name != want.Header.Name || m.Superseded != want.Superseded || m.DataOffset != want.DataOffset || m.CRC != want.CRC {
					t.Errorf("member %d: %d %q, want %d %q", i, m.Seq, m.Name(), want.Seq, want.Name())
				}
				i++
				return nil
			})
			if err != nil || i != len(tt.seqs) {
				t.Errorf("%d members, %v; want %d", i, err, len(tt.seqs))
			}
		})
	}
	for _, bad := range []int64{-1, n} {
		if err := a.MembersOf([]int64{0, bad}, func(*Member) error { return nil }); !errors.Is(err, ErrNotFound) {
			t.Errorf("MembersOf with %d: %v, want ErrNotFound", bad, err)
		}
	}
	stop := errors.New("stop")
	if err := a.MembersOf(forward, func(*Member) error { return stop }); err != stop {
		t.Errorf("MembersOf returned %v, want fn's error", err)
	}
}
