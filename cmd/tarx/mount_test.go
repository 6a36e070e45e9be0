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
	r := execTarx(t, tarxCommand(context.Background(), exe, "mount", p, dir, "-o", "allow_other", "--cache", "1", "--decoders", "2"))
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
		{[]string{"mount", p, dir, "--cache", "-1"}, "mount: --cache must be positive", nil},
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

// TestMount_Unprivileged runs tarx mount as user nobody, which goes
// through fusermount3: where /dev/fuse lets that user in, it mounts and
// tarx umount unmounts; where not (a container giving /dev/fuse to root
// only), the one line says so.
func TestMount_Unprivileged(t *testing.T) {
	fuseOrSkip(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to run tarx as another user")
	}
	const uid, gid = 65534, 65534
	base := otherUserDir(t)
	exe := filepath.Join(base, "tarx")
	testarchive.CopyFile(t, testarchive.TestBinary(t), exe, 0o755)
	f := testarchive.Fixtures(t)[0]
	p := filepath.Join(base, "a.tar.gz")
	if err := os.WriteFile(p, f.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	home, dir := filepath.Join(base, "home"), filepath.Join(base, "mnt")
	for _, d := range []string{home, dir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	asNobody := func(args ...string) result {
		cmd := tarxCommand(context.Background(), exe, args...)
		cmd.Dir = home
		cmd.Env = append(cmd.Env, "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
		return execTarx(t, cmd)
	}
	r := asNobody("mount", p, dir)
	// nobody is "other" to /dev/fuse.
	if st, err := os.Stat("/dev/fuse"); err == nil && st.Mode().Perm()&0o006 != 0o006 {
		checkOneLine(t, r, 1, "FUSE is not available: not permitted to use /dev/fuse")
		return
	}
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("%v: want success", r)
	}
	t.Cleanup(func() { mount.Unmount(dir, true) })
	checkMountedTree(t, p, f.Data, dir)
	r = asNobody("umount", dir)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("%v: want success", r)
	}
	waitMounted(t, dir, false)
}
