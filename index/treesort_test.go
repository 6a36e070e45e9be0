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
// out once, in key order.
func TestTreeSorter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		runBytes int
		records  int
	}{
		{"empty", sortRunBytes, 0},
		{"in memory", sortRunBytes, 5000},
		{"one spilled run and the rest", 200, 20},
		{"many runs", 1 << 10, 5000},
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
