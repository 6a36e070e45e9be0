package testarchive

import (
	"io"
	"os"
	"testing"
)

// TestBinary returns the path of the running test binary, for tests that
// run it again as a child process; it skips the test if there is none.
func TestBinary(tb testing.TB) string {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Skipf("cannot find the test binary: %v", err)
	}
	return exe
}

// CopyFile copies the file src to dst, created or truncated with perm.
func CopyFile(tb testing.TB, src, dst string, perm os.FileMode) {
	tb.Helper()
	in, err := os.Open(src)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}
