package index

import (
	"slices"
	"strings"

	"github.com/tarx-dev/tarx/internal/match"
	bolt "go.etcd.io/bbolt"
)

// Select calls fn, in archive order, for every member that patterns
// select (see internal/match: globs with "**", a directory selects what is
// under it; no patterns select everything), and returns the patterns that
// selected nothing.
//
// Patterns are looked up in the directory tree: each one walks only the
// subtree under its longest literal prefix ("src/**/*.go" walks "src"), so
// the cost follows the answer, not the archive. Only archives with names
// the tree leaves out (with ".." or NUL) are scanned member by member.
func (a *Archive) Select(patterns []string, fn func(*Member) error) (unmatched []string, err error) {
	sel, err := match.New(patterns)
	if err != nil {
		return nil, err
	}
	if len(patterns) == 0 || a.info.UnsafeNames > 0 {
		err = a.Members(func(m *Member) error {
			if sel.Match(m.Header.Name) {
				return fn(m)
			}
			return nil
		})
		return sel.Unmatched(), err
	}
	var seqs []int64
	err = view(a.db, func(tx *bolt.Tx) error {
		for _, p := range patterns {
			e, err := lookupEntry(tx, literalPrefix(match.Clean(p)))
			if err != nil {
				continue // nothing under it: the pattern stays unmatched
			}
			if err := walk(tx, e, func(e *Entry) error {
				if len(e.Seqs) > 0 && sel.Match(e.Path) {
					seqs = append(seqs, e.Seqs...)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		slices.Sort(seqs)
		return membersBySeq(tx, slices.Compact(seqs), fn)
	})
	return sel.Unmatched(), err
}

// literalPrefix returns the leading elements of the cleaned pattern p
// that hold no glob syntax, "." if none.
func literalPrefix(p string) string {
	i := strings.IndexAny(p, `*?[]{}\`)
	if i < 0 {
		return dirOrTop(p)
	}
	j := strings.LastIndexByte(p[:i], '/')
	if j < 0 {
		return "."
	}
	return p[:j]
}
