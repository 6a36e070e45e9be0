package match

import (
	"strings"
	"unicode/utf8"
)

// GNUOptions are GNU tar's matching options.
type GNUOptions struct {
	// Wildcards makes *, ? and [...] special (tar --wildcards); without
	// it patterns are plain names (--no-wildcards).
	Wildcards bool
	// MatchSlash lets * and ? match "/" (tar --wildcards-match-slash).
	MatchSlash bool
	// Anchored matches a pattern against the whole name only; otherwise
	// also against the part after any "/" (tar --no-anchored, the default
	// for --exclude).
	Anchored bool
}

// GNU matches names as GNU tar matches --exclude patterns (unanchored,
// wildcards matching "/") and, with --wildcards, member names (anchored):
// fnmatch(3) with FNM_LEADING_DIR, so that a pattern matching a directory
// matches everything under it. This is written here because doublestar
// (which Matcher uses) cannot let "*" cross "/" inside a path element, as
// GNU tar's default for exclusion does. It is not safe for concurrent use.
type GNU struct {
	opts GNUOptions
	pats []string
	raw  []string
	hit  []bool
}

// NewGNU returns a GNU matcher for patterns.
func NewGNU(patterns []string, opts GNUOptions) *GNU {
	g := &GNU{opts: opts, raw: patterns, hit: make([]bool, len(patterns))}
	for _, p := range patterns {
		g.pats = append(g.pats, Clean(p))
	}
	return g
}

// Match reports whether any pattern matches name, recording which did.
func (g *GNU) Match(name string) bool {
	name = Clean(name)
	matched := false
	for i, p := range g.pats {
		if g.match(p, name) {
			g.hit[i] = true
			matched = true
		}
	}
	return matched
}

// Unmatched returns the patterns, as given, that matched no name so far.
func (g *GNU) Unmatched() []string {
	var out []string
	for i, h := range g.hit {
		if !h {
			out = append(out, g.raw[i])
		}
	}
	return out
}

// match reports whether p matches name, a part of it after a "/" unless
// Anchored, or a leading directory of either.
func (g *GNU) match(p, name string) bool {
	for start := 0; ; {
		rest := name[start:]
		for end := 0; ; {
			i := strings.IndexByte(rest[end:], '/')
			if i < 0 {
				if g.one(p, rest) {
					return true
				}
				break
			}
			end += i
			if g.one(p, rest[:end]) {
				return true
			}
			end++
		}
		if g.opts.Anchored {
			return false
		}
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return false
		}
		start += i + 1
	}
}

// one matches p against the whole of s.
func (g *GNU) one(p, s string) bool {
	if !g.opts.Wildcards {
		return p == s
	}
	return fnmatch(p, s, g.opts.MatchSlash)
}

// fnmatch is fnmatch(3) without flags but FNM_PATHNAME unless slash:
// "*" any run, "?" any character, "[...]" a class ("!" or "^" negates,
// ranges a-z), "\" quotes the next character.
func fnmatch(p, s string, slash bool) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return slash || !strings.Contains(s, "/")
			}
			for i := 0; i <= len(s); i++ {
				if fnmatch(p, s[i:], slash) {
					return true
				}
				if i < len(s) && s[i] == '/' && !slash {
					return false
				}
			}
			return false
		case '?':
			if s == "" || s[0] == '/' && !slash {
				return false
			}
			_, n := utf8.DecodeRuneInString(s)
			p, s = p[1:], s[n:]
		case '[':
			if s == "" || s[0] == '/' && !slash {
				return false
			}
			r, n := utf8.DecodeRuneInString(s)
			ok, rest, valid := matchClass(p[1:], r)
			if !valid {
				// No closing "]": the "[" is literal.
				if s[0] != '[' {
					return false
				}
				p, s = p[1:], s[1:]
				continue
			}
			if !ok {
				return false
			}
			p, s = rest, s[n:]
		default:
			if p[0] == '\\' && len(p) > 1 {
				p = p[1:]
			}
			if s == "" || s[0] != p[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

// matchClass matches r against the class that p (after the "[") begins
// with, returning what follows the class; valid is false if the class has
// no closing "]".
func matchClass(p string, r rune) (ok bool, rest string, valid bool) {
	neg := false
	if p != "" && (p[0] == '!' || p[0] == '^') {
		neg, p = true, p[1:]
	}
	for first := true; ; first = false {
		if p == "" {
			return false, "", false
		}
		if p[0] == ']' && !first {
			return ok != neg, p[1:], true
		}
		if p[0] == '\\' && len(p) > 1 {
			p = p[1:]
		}
		lo, n := utf8.DecodeRuneInString(p)
		p = p[n:]
		hi := lo
		if len(p) > 1 && p[0] == '-' && p[1] != ']' {
			p = p[1:]
			if p[0] == '\\' && len(p) > 1 {
				p = p[1:]
			}
			hi, n = utf8.DecodeRuneInString(p)
			p = p[n:]
		}
		if lo <= r && r <= hi {
			ok = true
		}
	}
}
