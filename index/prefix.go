package index

import (
	"archive/tar"
	"strings"

	"github.com/tarx-dev/tarx/internal/match"
)

// maxPrefixNames bounds the names a prefixChecker remembers (16 bytes
// each, plus map overhead); past it, an archive is not known prefix-free.
const maxPrefixNames = 1 << 20

// prefixChecker learns, during a build, whether any member lies under the
// name of a member that is not a directory (as "l/x" under a symbolic link
// "l"). In an archive where none does, a plain name that Lookup finds as a
// non-directory selects exactly that member, and Select need not read the
// whole member list. Hash collisions can only make it answer no.
type prefixChecker struct {
	files    map[uint64]struct{} // non-directory names
	parents  map[uint64]struct{} // names that have members under them
	conflict bool
}

func newPrefixChecker() *prefixChecker {
	return &prefixChecker{files: map[uint64]struct{}{}, parents: map[uint64]struct{}{}}
}

func (p *prefixChecker) add(h *tar.Header) {
	if p.conflict {
		return
	}
	if len(p.files)+len(p.parents) > maxPrefixNames {
		p.conflict = true
		p.files, p.parents = nil, nil
		return
	}
	name := match.Clean(h.Name)
	for i := strings.IndexByte(name, '/'); i >= 0; {
		k := nameHash(name[:i])
		if _, ok := p.files[k]; ok {
			p.conflict = true
			return
		}
		p.parents[k] = struct{}{}
		next := strings.IndexByte(name[i+1:], '/')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	if h.Typeflag != tar.TypeDir {
		k := nameHash(name)
		if _, ok := p.parents[k]; ok {
			p.conflict = true
			return
		}
		p.files[k] = struct{}{}
	}
}

// free reports whether no member lies under a non-directory member.
func (p *prefixChecker) free() bool { return !p.conflict }
