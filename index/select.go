package index

import (
	"archive/tar"
	"slices"
	"strings"

	"github.com/tarx-dev/tarx/internal/match"
)

// Select calls fn, in archive order, for every member that patterns
// select (see internal/match: globs with "**", a directory selects what is
// under it; no patterns select everything), and returns the patterns that
// selected nothing.
//
// When every pattern is a plain name of a member that is not a directory,
// and the index knows no member lies under such a name, the members are
// found through the name table without reading the member list: that
// keeps getting one file from a huge archive fast.
func (a *Archive) Select(patterns []string, fn func(*Member) error) (unmatched []string, err error) {
	if picked, ok := a.lookupAll(patterns); ok {
		for _, m := range picked {
			if err := fn(m); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	sel, err := match.New(patterns)
	if err != nil {
		return nil, err
	}
	err = a.Members(func(m *Member) error {
		if sel.Match(m.Header.Name) {
			return fn(m)
		}
		return nil
	})
	return sel.Unmatched(), err
}

// lookupAll finds the members named by patterns through the name table,
// if all are plain names of non-directory members that occur once (a
// name stored twice, or stored otherwise, as "./a" for "a", takes the
// general path).
func (a *Archive) lookupAll(patterns []string) ([]*Member, bool) {
	if len(patterns) == 0 || !a.info.PrefixFree {
		return nil, false
	}
	var picked []*Member
	for _, p := range patterns {
		if strings.ContainsAny(p, `*?[]{}\`) {
			return nil, false
		}
		m, n, err := a.lookup(p)
		if err != nil || n != 1 || m.Header.Typeflag == tar.TypeDir {
			return nil, false
		}
		picked = append(picked, m)
	}
	slices.SortFunc(picked, func(x, y *Member) int { return int(x.Seq - y.Seq) })
	return slices.CompactFunc(picked, func(x, y *Member) bool { return x.Seq == y.Seq }), true
}
