package tarname

import (
	"errors"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name   string
		strip  int
		path   string
		prefix string
		unsafe bool
	}{
		{name: "a/b", path: "a/b"},
		{name: "./", path: ""},
		{name: ".", path: ""},
		{name: "", path: ""},
		{name: "//", path: "", prefix: "//"},
		{name: "/", path: "", prefix: "/"},
		{name: "/etc/passwd", path: "etc/passwd", prefix: "/"},
		{name: "///etc//passwd", path: "etc/passwd", prefix: "///"},
		{name: "./a/./b/", path: "a/b"},
		{name: "a//b", path: "a/b"},
		{name: "dir/", path: "dir"},
		{name: "..", path: "..", unsafe: true},
		{name: "../x", path: "../x", unsafe: true},
		{name: "a/../b", path: "a/../b", unsafe: true},
		{name: "/../etc", path: "../etc", prefix: "/", unsafe: true},
		{name: "a/..b/c..", path: "a/..b/c.."},
		{name: "...", path: "..."},
		{name: "a\x00b", path: "a\x00b", unsafe: true},
		{name: `a\..\b`, path: `a\..\b`}, // a backslash is a character
		{name: `C:\x`, path: `C:\x`},     // so is a drive letter
		{name: "./a/b", strip: 1, path: "a/b"},
		{name: "a/b/c", strip: 2, path: "c"},
		{name: "a/b", strip: 2, path: ""},
		{name: "/a//b/c", strip: 1, path: "b/c", prefix: "/"},
		{name: "a/./b", strip: 2, path: "b"},
		{name: "Ünïcode/名前", path: "Ünïcode/名前"},
	}
	for _, tt := range tests {
		n, err := Clean(tt.name, tt.strip)
		if n.Path != tt.path || n.Prefix != tt.prefix {
			t.Errorf("Clean(%q, %d) = %q, %q; want %q, %q", tt.name, tt.strip, n.Path, n.Prefix, tt.path, tt.prefix)
		}
		if got := errors.Is(err, ErrUnsafe); got != tt.unsafe {
			t.Errorf("Clean(%q, %d): err = %v, unsafe %v", tt.name, tt.strip, err, tt.unsafe)
		}
		p, ok := Path(tt.name)
		if wantOK := !tt.unsafe && p != ""; ok != wantOK || (tt.strip == 0 && p != tt.path) {
			t.Errorf("Path(%q) = %q, %v", tt.name, p, ok)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"a/b", "/../x", "./", "a//b/", "a\x00", "d/", "a/b//", "a/./b", "a/..", "..", "a/", "/"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, name string, strip int) {
		strip %= 8
		n, err := Clean(name, strip)
		if err == nil {
			for _, e := range []string{"..", ".", ""} {
				for _, got := range splitAll(n.Path) {
					if n.Path != "" && got == e {
						t.Fatalf("Clean(%q) = %q: element %q", name, n.Path, e)
					}
				}
			}
		}
		if len(n.Path) > 0 && (n.Path[0] == '/' || n.Path[len(n.Path)-1] == '/') {
			t.Fatalf("Clean(%q) = %q", name, n.Path)
		}
		// The shortcut for names clean already agrees with the general rules.
		if slow, slowErr := clean(name, strip); slow != n || (slowErr == nil) != (err == nil) {
			t.Fatalf("Clean(%q, %d) = %+v, %v; the general rules give %+v, %v", name, strip, n, err, slow, slowErr)
		}
		// Cleaning is idempotent.
		if again, _ := Clean(n.Path, 0); again.Path != n.Path || again.Prefix != "" {
			t.Fatalf("Clean(Clean(%q)) = %q, want %q", name, again.Path, n.Path)
		}
	})
}

func splitAll(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}
