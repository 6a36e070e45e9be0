package extract

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestSymlinkNotFollowed checks that no member is written through a symbolic
// link, neither one from the archive nor one already in the directory.
func TestSymlinkNotFollowed(t *testing.T) {
	outside, secret, dir := escapeDirs(t)
	must(t, os.Symlink(secret, filepath.Join(dir, "presecret")))
	must(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))

	w := newWriter(t, dir, defaultOpts())
	// Absolute symlink from the archive, then a member through it.
	must(t, writeEnt(w, symlink("abs", outside)))
	wantMemberErr(t, writeEnt(w, reg("abs/evil", 0o644, "evil")), "abs/evil", ErrUnsafePath)
	// Symlink to the secret, then a regular member of the same name: the
	// later member wins (GNU tar 1.34 would keep the absolute symlink).
	must(t, writeEnt(w, symlink("tosecret", secret)))
	must(t, writeEnt(w, reg("tosecret", 0o644, "replaced")))
	// A symlink that was in the directory before: replaced, not followed.
	must(t, writeEnt(w, reg("presecret", 0o644, "replaced")))
	// A symlink to a directory that was there before, pointing outside:
	// the root refuses to resolve through it.
	wantMemberErr(t, writeEnt(w, reg("esc/evil", 0o644, "evil")), "esc/evil", ErrUnsafePath)
	wantMemberErr(t, writeEnt(w, dirEnt("esc/evildir/", 0o755, mt1)), "esc/evildir/", ErrUnsafePath)
	// A relative symlink from the archive: GNU tar writes through it,
	// the Writer refuses.
	must(t, writeEnt(w, symlink("rel", "sub")))
	wantMemberErr(t, writeEnt(w, reg("rel/x", 0o644, "x")), "rel/x", ErrUnsafePath)
	must(t, writeEnt(w, reg("ok", 0o644, "ok")))
	must(t, w.Close())

	if got := readFile(t, secret); got != "secret" {
		t.Errorf("outside file changed to %q", got)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Errorf("outside directory has %d entries, want 1", len(ents))
	}
	for _, name := range []string{"tosecret", "presecret"} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || readFile(t, filepath.Join(dir, name)) != "replaced" {
			t.Errorf("%s: %v, %v; want regular file", name, fi, err)
		}
	}
	if target, err := os.Readlink(filepath.Join(dir, "abs")); err != nil || target != outside {
		t.Errorf("abs: %q, %v", target, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "sub", "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("sub/x exists: %v", err)
	}
}
