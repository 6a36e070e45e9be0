package index

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// TestTreeSorter sorts records in memory and through runs spilled to the
// scratch file, with duplicate keys, and checks that every record comes
// out once, in key order. Partly ordered input (an archive in sorted order,
// with its directory records between) takes the path for records in order.
func TestTreeSorter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		runBytes int
		records  int
		ordered  bool // ascending keys, every fifth one random
	}{
		{"empty", sortRunBytes, 0, false},
		{"in memory", sortRunBytes, 5000, false},
		{"one spilled run and the rest", 200, 20, false},
		{"many runs", 1 << 10, 5000, false},
		{"in memory, partly ordered", sortRunBytes, 5000, true},
		{"many runs, partly ordered", 1 << 10, 5000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newTreeSorter(filepath.Join(t.TempDir(), "scratch"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			s.runBytes = tc.runBytes
			rng := rand.New(rand.NewPCG(1, uint64(tc.records)))
			var want []string
			for i := range tc.records {
				k := fmt.Sprintf("d%03d\x00f%05d", rng.IntN(50), rng.IntN(tc.records/3+1))
				if tc.ordered && i%5 != 0 {
					k = fmt.Sprintf("d%03d\x00f%05d", i*50/tc.records, i)
				}
				v := fmt.Sprint(i)
				want = append(want, k+"="+v)
				if err := s.add([]byte(k), []byte(v)); err != nil {
					t.Fatal(err)
				}
			}
			if tc.runBytes < sortRunBytes && tc.records > 0 && len(s.runs) == 0 {
				t.Fatal("no run was spilled")
			}
			var got []string
			var prev []byte
			err = s.each(func(k, v []byte) error {
				if bytes.Compare(k, prev) < 0 {
					t.Errorf("key %q after %q", k, prev)
				}
				prev = bytes.Clone(k)
				got = append(got, string(k)+"="+string(v))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("got %d records, want %d (or they differ)", len(got), len(want))
			}
		})
	}
}
