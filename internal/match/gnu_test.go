package match

import "testing"

func TestGNU(t *testing.T) {
	exclude := GNUOptions{Wildcards: true, MatchSlash: true}
	for _, tt := range []struct {
		pat  string
		opts GNUOptions
		name string
		want bool
	}{
		// --exclude's defaults: unanchored, "*" crosses "/", leading dirs.
		{"*.o", exclude, "a.o", true},
		{"*.o", exclude, "src/x/a.o", true},
		{"*.o", exclude, "a.c", false},
		{"x", exclude, "a/x/b", true},
		{"x", exclude, "a/xb", false},
		{"a/*", exclude, "a/b/c", true},
		{"a*c", exclude, "a/b/c", true},
		{"src", exclude, "./src/main.go", true},
		{"[ab].go", exclude, "d/b.go", true},
		{"[!ab].go", exclude, "d/b.go", false},
		{"[a-c]x", exclude, "bx", true},
		{`\*`, exclude, "*", true},
		{`\*`, exclude, "a", false},
		{"[", exclude, "[", true},
		// --no-wildcards: plain names, still unanchored.
		{"*.o", GNUOptions{}, "a.o", false},
		{"*.o", GNUOptions{}, "d/*.o", true},
		// --wildcards for members: anchored.
		{"b", GNUOptions{Wildcards: true, MatchSlash: true, Anchored: true}, "a/b", false},
		{"a", GNUOptions{Wildcards: true, MatchSlash: true, Anchored: true}, "a/b", true},
		{"a*", GNUOptions{Wildcards: true, Anchored: true}, "ab/c", true},
		// --no-wildcards-match-slash: "*" stays within an element.
		{"a*c", GNUOptions{Wildcards: true}, "a/b/c", false},
		{"a*c", GNUOptions{Wildcards: true}, "abc", true},
		{"?", GNUOptions{Wildcards: true}, "/", false},
	} {
		g := NewGNU([]string{tt.pat}, tt.opts)
		if got := g.Match(tt.name); got != tt.want {
			t.Errorf("%q %+v on %q: %v, want %v", tt.pat, tt.opts, tt.name, got, tt.want)
		}
		if un := g.Unmatched(); (len(un) == 0) != tt.want {
			t.Errorf("%q on %q: unmatched %q", tt.pat, tt.name, un)
		}
	}
}

func FuzzGNU(f *testing.F) {
	f.Add("*.o", "a/b.o", true)
	f.Add("[!a-", "[!a-", false)
	f.Add(`\`, `\`, true)
	f.Fuzz(func(t *testing.T, pat, name string, slash bool) {
		g := NewGNU([]string{pat}, GNUOptions{Wildcards: true, MatchSlash: slash})
		g.Match(name)
		if c := Clean(name); c != "" && !NewGNU([]string{c}, GNUOptions{}).Match(name) {
			t.Errorf("plain %q does not match itself", c)
		}
	})
}
