//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
	"github.com/tarx-dev/tarx/mount"
)

// fuseOrSkip skips the test, with the reason, when FUSE is not usable.
func fuseOrSkip(t *testing.T) {
	t.Helper()
	if err := mount.Usable(); err != nil {
		t.Skipf("FUSE is not usable here: %v", err)
	}
}

// isMounted reports whether dir is a mount point.
func isMounted(t *testing.T, dir string) bool {
	t.Helper()
	ok, err := mount.Mounted(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// waitMounted waits until dir is mounted (want) or not.
func waitMounted(t *testing.T, dir string, want bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if isMounted(t, dir) == want {
			return
		}
	}
	t.Fatalf("%s: mounted %v after 20 s, want %v", dir, !want, want)
}

// mountFixture writes a testdata archive and returns its path, its bytes
// and a new mount point.
func mountFixture(t *testing.T) (string, testarchive.Fixture, string) {
	f := testarchive.Fixtures(t)[0]
	p := testarchive.WriteArchive(t, f.Data)
	return p, f, t.TempDir()
}

// checkMountedTree compares the mount at dir with GNU tar's extraction of
// the archive at p (owners by number, as the mount shows them).
func checkMountedTree(t *testing.T, p string, gz []byte, dir string) {
	t.Helper()
	ref := filepath.Join(t.TempDir(), "ref")
	testarchive.GNUTarExtract(t, p, ref, "--numeric-owner")
	testarchive.CompareTrees(t, gz, ref, dir)
}

// TestMount_Background runs tarx mount as a command: it returns once the
// mount is ready, with nothing on stderr, and serves from a background
// process until tarx umount.
func TestMount_Background(t *testing.T) {
	fuseOrSkip(t)
	p, f, dir := mountFixture(t)
	exe := testarchive.TestBinary(t)
	r := execTarx(t, tarxCommand(context.Background(), exe, "mount", p, dir, "-o", "allow_other"))
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("%v: want success and a quiet stderr", r)
	}
	if !isMounted(t, dir) {
		t.Fatalf("tarx mount returned but %s is not mounted", dir)
	}
	t.Cleanup(func() { mount.Unmount(dir, true) })
	checkMountedTree(t, p, f.Data, dir)
	r = execTarx(t, tarxCommand(context.Background(), exe, "umount", dir))
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("%v: want success", r)
	}
	waitMounted(t, dir, false)
	r = mustRun(t, "ls", p) // the index the mount built serves ls
	if r.stdout == "" {
		t.Error("ls lists nothing")
	}
}

// TestMount_Foreground runs tarx mount -f, which serves until it is
// interrupted, then unmounts.
func TestMount_Foreground(t *testing.T) {
	fuseOrSkip(t)
	p, f, dir := mountFixture(t)
	cmd := tarxCommand(context.Background(), testarchive.TestBinary(t), "mount", "-f", p, dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); mount.Unmount(dir, true) })
	waitMounted(t, dir, true)
	checkMountedTree(t, p, f.Data, dir)
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("tarx mount -f after Ctrl-C: %v (stderr %q)", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("tarx mount -f did not stop on Ctrl-C")
	}
	if isMounted(t, dir) {
		t.Error("still mounted after Ctrl-C")
	}
}

// TestMount_Errors checks the one-line messages of mount and umount.
func TestMount_Errors(t *testing.T) {
	fuseOrSkip(t)
	p, _, dir := mountFixture(t)
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	exe := testarchive.TestBinary(t)
	for _, tt := range []struct {
		args   []string
		prefix string
		want   []string
	}{
		{[]string{"mount", p, missing}, missing, []string{"mount point does not exist"}},
		{[]string{"mount", p, file}, file, []string{"not a directory"}},
		{[]string{"mount", filepath.Join(dir, "none.tar.gz"), dir}, filepath.Join(dir, "none.tar.gz"), []string{"no such file"}},
		{[]string{"mount", p}, "mount: missing ARCHIVE and MOUNTPOINT", nil},
		{[]string{"umount", dir}, dir, []string{"not a mount point"}},
	} {
		r := execTarx(t, tarxCommand(context.Background(), exe, tt.args...))
		code := 1
		if tt.want == nil {
			code = 2
		}
		checkOneLine(t, r, code, tt.prefix, tt.want...)
		if isMounted(t, dir) {
			t.Fatalf("%v: left %s mounted", r, dir)
		}
	}
}
