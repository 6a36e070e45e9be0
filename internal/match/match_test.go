package match

import (
	"fmt"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pats []string
		name string
		want bool
	}{
		{nil, "anything", true},
		{[]string{"a/b.txt"}, "a/b.txt", true},
		{[]string{"a/b.txt"}, "a/b.txt.orig", false},
		{[]string{"a"}, "a/", true},
		{[]string{"a"}, "a/b/c", true},
		{[]string{"a"}, "ab/c", false},
		{[]string{"a/"}, "a/b", true},
		{[]string{"./a"}, "a/b", true},
		{[]string{"a"}, "./a/b", true},
		{[]string{"/a"}, "a", true},
		{[]string{"*.go"}, "main.go", true},
		{[]string{"*.go"}, "cmd/main.go", false},
		{[]string{"**/*.go"}, "cmd/x/main.go", true},
		{[]string{"src/*"}, "src/net/http/server.go", true},
		{[]string{"src/n?t"}, "src/net/ip.go", true},
		{[]string{"[ab]/x"}, "b/x", true},
		{[]string{"x", "y"}, "y/z", true},
		{[]string{"données"}, "données/日本語.txt", true},
	}
	for _, tt := range tests {
		m, err := New(tt.pats)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Match(tt.name); got != tt.want {
			t.Errorf("New(%q).Match(%q) = %v, want %v", tt.pats, tt.name, got, tt.want)
		}
	}
}

func TestUnmatched(t *testing.T) {
	m, err := New([]string{"a", "b/*", "c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a/1", "b/2", "d"} {
		m.Match(n)
	}
	if got := m.Unmatched(); len(got) != 1 || got[0] != "c" {
		t.Errorf("Unmatched() = %q, want [c]", got)
	}
}

func TestInvalidPattern(t *testing.T) {
	if _, err := New([]string{"a[b"}); err == nil {
		t.Error("New accepted a malformed pattern")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a/**/b", "a/x/y/b")
	f.Add("[", "x")
	f.Add("/./a/", "a")
	f.Fuzz(func(t *testing.T, pat, name string) {
		m, err := New([]string{pat})
		if err != nil {
			return
		}
		m.Match(name)
		if Clean(Clean(name)) != Clean(name) {
			t.Errorf("Clean is not idempotent on %q", name)
		}
	})
}

func TestLiteral(t *testing.T) {
	for _, name := range []string{"plain/name.txt", "a*b", "[x]", "{a,b}", `back\slash`, "q?", "dir/"} {
		m, err := New([]string{Literal(name)})
		if err != nil {
			t.Fatalf("New(Literal(%q)): %v", name, err)
		}
		if !m.Match(name) {
			t.Errorf("Literal(%q) = %q does not match the name", name, Literal(name))
		}
		if !m.Match(name + "/child") {
			t.Errorf("Literal(%q) does not match what is under it", name)
		}
		for _, other := range []string{"plain/nameXtxt", "aXb", "x", "a", `backXslash`, "qq", "d"} {
			if other != name && Clean(other) != Clean(name) && m.Match(other) {
				t.Errorf("Literal(%q) matches %q", name, other)
			}
		}
	}
}

// TestManyLiterals matches against a list of names as tar -T gives it:
// each name and what is under it, nothing else, and every unmatched one
// reported.
func TestManyLiterals(t *testing.T) {
	var pats []string
	for i := range 100000 {
		pats = append(pats, fmt.Sprintf("d%d/f%d", i%100, i))
	}
	m, err := New(append(pats, "missing"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100000; i += 7 {
		if !m.Match(fmt.Sprintf("./d%d/f%d", i%100, i)) || !m.Match(fmt.Sprintf("d%d/f%d/x", i%100, i)) {
			t.Fatalf("name %d not matched", i)
		}
	}
	if m.Match("d1/f2") || m.Match("d1") {
		t.Error("matched a name not in the list")
	}
	if u := m.Unmatched(); len(u) != 100000-(100000+6)/7+1 || u[len(u)-1] != "missing" {
		t.Errorf("%d unmatched, last %q", len(u), u[len(u)-1])
	}
}
