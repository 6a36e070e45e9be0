package extract

import (
	"errors"
	"path"
	"slices"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	tests := []struct {
		member string
		empty  bool // an empty name: an error, but not an unsafe one
		strip  int
		want   string
		ok     bool
		unsafe bool
		warn   string
	}{
		{member: "a", want: "a", ok: true},
		{member: "a/b/c", want: "a/b/c", ok: true},
		{member: "dir/", want: "dir", ok: true},
		{member: "./a", want: "a", ok: true},
		{member: "a/./b", want: "a/b", ok: true},
		{member: "a//b///c", want: "a/b/c", ok: true},
		{member: ".a/..b/c..", want: ".a/..b/c..", ok: true},
		{member: "...", want: "...", ok: true},
		{member: "/abs", want: "abs", ok: true, warn: "Removing leading `/' from member names"},
		{member: "//abs/x/", want: "abs/x", ok: true, warn: "Removing leading `//' from member names"},
		{member: "/./x", want: "x", ok: true, warn: "Removing leading `/' from member names"},
		{member: "", empty: true},
		{member: "."},
		{member: "./"},
		{member: "./."},
		{member: "/", warn: "Removing leading `/' from member names"},
		{member: "..", unsafe: true},
		{member: "../a", unsafe: true},
		{member: "a/..", unsafe: true},
		{member: "a/../b", unsafe: true},
		{member: "/../etc/passwd", unsafe: true},
		{member: "a/b/../../..", unsafe: true},
		{member: "a\x00b", unsafe: true},
		{member: "a/b", strip: 1, want: "b", ok: true},
		{member: "a/b", strip: 2},
		{member: "a/", strip: 1},
		{member: "a", strip: 1},
		{member: "./a/b", strip: 1, want: "a/b", ok: true},
		{member: "./a", strip: 1, want: "a", ok: true},
		{member: "./", strip: 1},
		{member: "a//b/c", strip: 1, want: "b/c", ok: true},
		{member: "a/./b/c", strip: 1, want: "b/c", ok: true},
		{member: "a/./b/c", strip: 2, want: "b/c", ok: true},
		{member: "/a/b", strip: 1, want: "b", ok: true, warn: "Removing leading `/' from member names"},
		{member: "x/../a/b", strip: 2, unsafe: true},
		{member: "a/b/c/", strip: 2, want: "c", ok: true},
	}
	for _, tt := range tests {
		var warnings []string
		w := &Writer{
			opts:   WriterOptions{StripComponents: tt.strip, Warn: func(msg string) { warnings = append(warnings, msg) }},
			warned: map[string]bool{},
		}
		got, ok, err := w.Name(tt.member)
		if tt.empty {
			if !errors.Is(err, errEmptyName) || errors.Is(err, ErrUnsafePath) || ok || got != "" {
				t.Errorf("Name(%q) = %q, %v, %v; want errEmptyName", tt.member, got, ok, err)
			}
			continue
		}
		if tt.unsafe {
			if !errors.Is(err, ErrUnsafePath) || ok || got != "" {
				t.Errorf("Name(%q) strip %d = %q, %v, %v; want ErrUnsafePath", tt.member, tt.strip, got, ok, err)
			}
			var me *MemberError
			if !errors.As(err, &me) || me.Member != tt.member {
				t.Errorf("Name(%q): error %v does not name the member", tt.member, err)
			}
			continue
		}
		if err != nil || got != tt.want || ok != tt.ok {
			t.Errorf("Name(%q) strip %d = %q, %v, %v; want %q, %v", tt.member, tt.strip, got, ok, err, tt.want, tt.ok)
		}
		var wantWarn []string
		if tt.warn != "" {
			wantWarn = []string{tt.warn}
		}
		if !slices.Equal(warnings, wantWarn) {
			t.Errorf("Name(%q) warned %q, want %q", tt.member, warnings, wantWarn)
		}
	}
}

// TestNameWarnsOnce checks that each distinct prefix is warned about once.
func TestNameWarnsOnce(t *testing.T) {
	var warnings []string
	w := &Writer{opts: WriterOptions{Warn: func(msg string) { warnings = append(warnings, msg) }}, warned: map[string]bool{}}
	for _, m := range []string{"/a", "/b", "//c", "/d/e", "c", "//f", "///g"} {
		if _, _, err := w.Name(m); err != nil {
			t.Fatal(err)
		}
	}
	w.cleanName("/t", "hard link targets")
	w.cleanName("/u", "hard link targets")
	want := []string{
		"Removing leading `/' from member names",
		"Removing leading `//' from member names",
		"Removing leading `///' from member names",
		"Removing leading `/' from hard link targets",
	}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings %q, want %q", warnings, want)
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"a", "/a/b", "./a/../b", "..", "a//b/", "./", "...", "a/.../b", "//./x/.", "\x00", "a/..b", "../../etc/passwd"} {
		f.Add(s, 0)
		f.Add(s, 1)
	}
	w := &Writer{warned: map[string]bool{}}
	f.Fuzz(func(t *testing.T, member string, strip int) {
		strip = min(max(strip, 0), 4)
		w.opts.StripComponents = strip
		name, ok, err := w.Name(member)
		if err != nil {
			// Unsafe names are refused; so is the empty name, which
			// cannot be created.
			refused := errors.Is(err, ErrUnsafePath) || (member == "" && errors.Is(err, errEmptyName))
			if !refused || ok || name != "" {
				t.Fatalf("Name(%q) = %q, %v, %v", member, name, ok, err)
			}
			return
		}
		if !ok {
			if name != "" {
				t.Fatalf("Name(%q) = %q, not ok", member, name)
			}
			return
		}
		if name == "" || path.IsAbs(name) || strings.HasSuffix(name, "/") || strings.Contains(name, "//") {
			t.Fatalf("Name(%q) = %q", member, name)
		}
		for _, elem := range strings.Split(name, "/") {
			if elem == ".." || elem == "." || elem == "" {
				t.Fatalf("Name(%q) = %q has element %q", member, name, elem)
			}
		}
		if path.Clean(name) != name {
			t.Fatalf("Name(%q) = %q is not clean", member, name)
		}
		if strings.Contains(member, "..") {
			for _, elem := range strings.Split(member, "/") {
				if elem == ".." {
					t.Fatalf("Name(%q) accepted a '..' element", member)
				}
			}
		}
	})
}
