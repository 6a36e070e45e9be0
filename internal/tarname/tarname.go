// Package tarname is the one owner of the rules that turn a tar member's
// name into the path extraction creates: the index's file system, member
// selection and extraction all derive paths here, so they agree on every
// name.
//
// The rules are GNU tar's: leading slashes are removed (and reported), "."
// elements, repeated slashes and a trailing slash are dropped, a name with
// a ".." element or a NUL byte is refused, and --strip-components counts
// elements before "." ones are dropped. A backslash is an ordinary
// character, as GNU tar reads names on POSIX systems; the rules do not
// depend on the operating system, so one index means the same tree
// everywhere (on Windows, os.Root still refuses a name that would leave
// the target directory).
package tarname

import (
	"errors"
	"strings"
)

// ErrUnsafe means a member name is refused by extraction: it contains a
// ".." element or a NUL byte.
var ErrUnsafe = errors.New("tarname: unsafe member name")

// Name is a member name cleaned by Clean.
type Name struct {
	// Path is the slash-separated relative path the member is created at,
	// empty if nothing is left of the name (it names the top directory
	// itself, as "./" does, or has no more elements than were stripped).
	// For an unsafe name it is still the cleaned form, so that listing
	// and matching can use it.
	Path string
	// Prefix is the run of leading slashes that was removed, if any.
	Prefix string
}

// Clean applies the rules to name, first dropping strip leading elements
// (counting "." elements, as GNU tar does, so "./a/b" stripped of one is
// "a/b"). The error wraps ErrUnsafe and says why.
func Clean(name string, strip int) (Name, error) {
	if strip == 0 {
		// Most names are clean already, or a directory's with a slash
		// after it: their path is a part of the name, without the
		// allocations below (an index build cleans every name).
		if p := strings.TrimSuffix(name, "/"); isClean(p) {
			return Name{Path: p}, nil
		}
	}
	return clean(name, strip)
}

// isClean reports whether p is a path Clean leaves as it is: not empty,
// and no element empty, ".", ".." or holding a NUL byte.
func isClean(p string) bool {
	if p == "" {
		return false
	}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			if p[i] == 0 {
				return false
			}
			continue
		}
		switch p[start:i] {
		case "", ".", "..":
			return false
		}
		start = i + 1
	}
	return true
}

// clean is Clean for any name.
func clean(name string, strip int) (Name, error) {
	var err error
	switch {
	case strings.IndexByte(name, 0) >= 0:
		err = unsafeErr("member name contains a NUL byte")
	case hasDotDot(name):
		err = unsafeErr("member name contains '..'")
	}
	i := 0
	for i < len(name) && name[i] == '/' {
		i++
	}
	n := Name{Prefix: name[:i]}
	elems := make([]string, 0, 8)
	for elem := range strings.SplitSeq(name[i:], "/") {
		if elem != "" {
			elems = append(elems, elem)
		}
	}
	if strip > 0 {
		if len(elems) <= strip {
			return n, err
		}
		elems = elems[strip:]
	}
	kept := elems[:0]
	for _, elem := range elems {
		if elem != "." {
			kept = append(kept, elem)
		}
	}
	n.Path = strings.Join(kept, "/")
	return n, err
}

// Path returns Clean(name, 0).Path and whether the name is safe and not
// empty: the path at which the member appears in a tree of the archive.
func Path(name string) (string, bool) {
	n, err := Clean(name, 0)
	return n.Path, err == nil && n.Path != ""
}

func hasDotDot(name string) bool {
	for elem := range strings.SplitSeq(name, "/") {
		if elem == ".." {
			return true
		}
	}
	return false
}

// unsafeError is an ErrUnsafe with its reason.
type unsafeError struct{ why string }

func unsafeErr(why string) error { return &unsafeError{why} }

func (e *unsafeError) Error() string { return e.why }
func (e *unsafeError) Unwrap() error { return ErrUnsafe }
