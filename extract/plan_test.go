package extract

import (
	"archive/tar"
	"fmt"
	"strings"
	"testing"

	"github.com/tarx-dev/tarx/index"
)

// planMember makes a member of type typ whose header is at off, with size
// bytes of data after one header block.
func planMember(seq int64, typ byte, off, size int64) *index.Member {
	return &index.Member{
		Seq:          seq,
		Header:       tar.Header{Name: fmt.Sprintf("m%d", seq), Typeflag: typ, Size: size},
		HeaderOffset: off,
		DataOffset:   off + 512,
		DataEnd:      off + 512 + size,
	}
}

// planLayout runs members through a planner over cps and describes the
// units it emits: "start-end:" then one letter per task (e for an entry,
// d for data, p for a piece), or "-:" for a unit that reads nothing.
func planLayout(t *testing.T, cps []int64, members []*index.Member) []string {
	t.Helper()
	var got []string
	p := &planner{cps: cps, emit: func(u *unit) error {
		var b strings.Builder
		if u.data {
			fmt.Fprintf(&b, "%d-%d:", u.start, u.end)
		} else {
			b.WriteString("-:")
		}
		entries := 0
		for _, tk := range u.tasks {
			switch {
			case tk.entry:
				entries++
				b.WriteByte('e')
			case tk.split != nil:
				b.WriteByte('p')
			default:
				b.WriteByte('d')
			}
		}
		if entries != u.entries {
			t.Errorf("unit counts %d entries, holds %d", u.entries, entries)
		}
		got = append(got, b.String())
		return nil
	}}
	for _, m := range members {
		if !hasData(m) {
			if err := p.entry(m); err != nil {
				t.Fatal(err)
			}
			continue
		}
		s, err := p.add(m)
		if err != nil {
			t.Fatal(err)
		}
		if s != nil {
			if err := p.pieces(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := p.flush(); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestPlannerEntries checks that members without data ride along in the
// units in archive order without moving their boundaries, and that a unit
// of entries alone reads nothing.
func TestPlannerEntries(t *testing.T) {
	const span = 1 << 20
	cps := []int64{0, span, 2 * span}
	dir, reg := byte(tar.TypeDir), byte(tar.TypeReg)
	tests := []struct {
		name    string
		members []*index.Member
		want    []string
	}{{
		name:    "entries only",
		members: []*index.Member{planMember(0, dir, 0, 0), planMember(1, reg, 512, 0)},
		want:    []string{"-:ee"},
	}, {
		name: "entries before and after data",
		members: []*index.Member{
			planMember(0, dir, 0, 0),
			planMember(1, reg, 512, 100),
			planMember(2, dir, 2048, 0),
			planMember(3, reg, 2560, 100),
		},
		want: []string{"0-3172:eded"},
	}, {
		// The entry past the first checkpoint stays with the unit before,
		// and the data after it starts a unit of its own at its checkpoint.
		name: "entry between spans",
		members: []*index.Member{
			planMember(0, reg, 0, 1000),
			planMember(1, tar.TypeSymlink, span+10_000, 0),
			planMember(2, reg, span+20_000, 1000),
		},
		want: []string{"0-1512:de", fmt.Sprintf("%d-%d:d", span, span+21_512)},
	}, {
		name: "split member",
		members: []*index.Member{
			planMember(0, dir, 0, 0),
			planMember(1, reg, 512, span),
			planMember(2, dir, span+1536, 0),
		},
		want: []string{fmt.Sprintf("0-%d:ep", span), fmt.Sprintf("%d-%d:pe", span, span+1024)},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := planLayout(t, cps, tc.members)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("units %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPlannerEntriesBounded checks that a long run of entries is cut into
// units of maxEntries, so that the plan's memory does not grow with it.
func TestPlannerEntriesBounded(t *testing.T) {
	var members []*index.Member
	n := 2*maxEntries + 10
	for i := range n {
		members = append(members, planMember(int64(i), tar.TypeDir, int64(i)*512, 0))
	}
	members = append(members, planMember(int64(n), tar.TypeReg, int64(n)*512, 10))
	got := planLayout(t, []int64{0}, members)
	if len(got) != 3 {
		t.Fatalf("%d units, want 3", len(got))
	}
	for i, u := range got[:2] {
		if want := "-:" + strings.Repeat("e", maxEntries); u != want {
			t.Errorf("unit %d: %.20q..., want %d entries", i, u, maxEntries)
		}
	}
	if want := fmt.Sprintf("0-%d:%sd", n*512+522, strings.Repeat("e", 10)); got[2] != want {
		t.Errorf("last unit %q, want %q", got[2], want)
	}
}
