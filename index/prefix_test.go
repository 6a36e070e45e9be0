package index

import (
	"archive/tar"
	"testing"
)

func TestPrefixChecker(t *testing.T) {
	reg := func(n string) *tar.Header { return &tar.Header{Name: n, Typeflag: tar.TypeReg} }
	dir := func(n string) *tar.Header { return &tar.Header{Name: n, Typeflag: tar.TypeDir} }
	sym := func(n string) *tar.Header { return &tar.Header{Name: n, Typeflag: tar.TypeSymlink} }
	tests := []struct {
		name string
		hdrs []*tar.Header
		free bool
	}{
		{"plain tree", []*tar.Header{dir("a/"), reg("a/b"), dir("a/c/"), reg("a/c/d"), reg("e")}, true},
		{"no directory entries", []*tar.Header{reg("a/b/c"), reg("a/b/d")}, true},
		{"child of symlink", []*tar.Header{sym("l"), reg("l/x")}, false},
		{"child before file", []*tar.Header{reg("l/x"), reg("l")}, false},
		{"child of file, dot prefix", []*tar.Header{reg("./f"), reg("f/g")}, false},
		{"deep child of file", []*tar.Header{reg("a/f"), reg("a/f/g/h")}, false},
		{"same name twice", []*tar.Header{reg("f"), reg("f")}, true},
	}
	for _, tt := range tests {
		p := newPrefixChecker()
		for _, h := range tt.hdrs {
			p.add(h)
		}
		if got := p.free(); got != tt.free {
			t.Errorf("%s: free() = %v, want %v", tt.name, got, tt.free)
		}
	}
}
