// Package match selects archive members by the names and patterns given on
// the command line, the way GNU tar does with --wildcards: a pattern
// selects the members whose name, or one of whose leading directories,
// it matches. Patterns are doublestar globs ("**" crosses directories).
package match

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/tarx-dev/tarx/internal/tarname"
)

// Matcher matches member names against a list of patterns and remembers
// which patterns matched something. A Matcher with no patterns matches
// every name. It is not safe for concurrent use.
type Matcher struct {
	pats []string
	raw  []string
	hit  []bool
}

// New returns a Matcher for patterns, or an error naming a malformed one.
func New(patterns []string) (*Matcher, error) {
	m := &Matcher{raw: patterns, hit: make([]bool, len(patterns))}
	for _, p := range patterns {
		c := Clean(p)
		if !doublestar.ValidatePattern(c) {
			return nil, fmt.Errorf("match: invalid pattern %q", p)
		}
		m.pats = append(m.pats, c)
	}
	return m, nil
}

// Clean normalizes a member name or pattern for matching by
// internal/tarname's rules (leading "/", "." elements, repeated and
// trailing "/" removed), so that a name matches as the path it is
// extracted at. Unsafe names are cleaned all the same: they can be listed.
func Clean(name string) string {
	n, _ := tarname.Clean(name, 0)
	return n.Path
}

// Match reports whether name is selected.
func (m *Matcher) Match(name string) bool {
	if len(m.pats) == 0 {
		return true
	}
	name = Clean(name)
	matched := false
	for i, p := range m.pats {
		if matchPrefixes(p, name) {
			m.hit[i] = true
			matched = true
		}
	}
	return matched
}

// matchPrefixes reports whether p matches name or a leading directory of it.
func matchPrefixes(p, name string) bool {
	for end := 0; end >= 0; {
		next := strings.IndexByte(name[end:], '/')
		prefix := name
		if next >= 0 {
			prefix = name[:end+next]
			end += next + 1
		} else {
			end = -1
		}
		if prefix == p {
			return true
		}
		if ok, _ := doublestar.Match(p, prefix); ok {
			return true
		}
	}
	return false
}

// Unmatched returns the patterns, as given, that matched no name so far.
func (m *Matcher) Unmatched() []string {
	var out []string
	for i, h := range m.hit {
		if !h {
			out = append(out, m.raw[i])
		}
	}
	return out
}
