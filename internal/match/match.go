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
//
// Patterns without glob syntax are kept in a map, so that a name costs
// one look-up per leading directory whatever their number: a list of
// 100,000 names (tar -T) matches as fast as one.
type Matcher struct {
	globs    []int            // indexes of patterns with glob syntax
	pats     []string         // cleaned patterns
	literals map[string][]int // cleaned literal pattern -> indexes
	raw      []string
	hit      []bool
}

// meta is the glob syntax of doublestar patterns.
const meta = `*?[]{}\`

// New returns a Matcher for patterns, or an error naming a malformed one.
func New(patterns []string) (*Matcher, error) {
	m := &Matcher{raw: patterns, hit: make([]bool, len(patterns)), literals: map[string][]int{}}
	for i, p := range patterns {
		c := Clean(p)
		if !strings.ContainsAny(c, meta) {
			m.literals[c] = append(m.literals[c], i)
		} else if !doublestar.ValidatePattern(c) {
			return nil, fmt.Errorf("match: invalid pattern %q", p)
		} else {
			m.globs = append(m.globs, i)
		}
		m.pats = append(m.pats, c)
	}
	return m, nil
}

// Literal returns a pattern that matches name exactly, its glob syntax
// escaped, as GNU tar reads the names of -T without --wildcards.
func Literal(name string) string {
	if !strings.ContainsAny(name, meta) {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(meta, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
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
	// The name itself and each leading directory, against the literals.
	for end := len(name); end >= 0; end = strings.LastIndexByte(name[:end], '/') {
		for _, i := range m.literals[name[:end]] {
			m.hit[i] = true
			matched = true
		}
		if end == 0 {
			break
		}
	}
	for _, i := range m.globs {
		if matchPrefixes(m.pats[i], name) {
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
