package main

import (
	"io"
	"slices"
	"testing"
)

func TestReorderArgs(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	tests := []struct{ in, want []string }{
		{[]string{"tarx", "get", "a.tgz", "x", "-O"}, []string{"tarx", "get", "-O", "--", "a.tgz", "x"}},
		{[]string{"tarx", "extract", "a.tgz", "-C", "out", "-j", "2"}, []string{"tarx", "extract", "-C", "out", "-j", "2", "--", "a.tgz"}},
		{[]string{"tarx", "ls", "a.tgz", "--index", "i.tarx", "-l"}, []string{"tarx", "--index", "i.tarx", "ls", "-l", "--", "a.tgz"}},
		{[]string{"tarx", "--no-reindex", "ls", "a.tgz"}, []string{"tarx", "--no-reindex", "ls", "--", "a.tgz"}},
		{[]string{"tarx", "get", "a.tgz", "--", "-name"}, []string{"tarx", "get", "--", "a.tgz", "-name"}},
		{[]string{"tarx", "extract", "-", "-C", "d"}, []string{"tarx", "extract", "-C", "d", "--", "-"}},
		{[]string{"tarx", "frobnicate", "x", "-l"}, []string{"tarx", "frobnicate", "x", "-l"}},
		{[]string{"tarx"}, []string{"tarx"}},
	}
	for _, tt := range tests {
		if got := reorderArgs(app, tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("reorderArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
