package extract

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestOldFiles checks each OldFiles policy against a file that exists
// before the extraction, one older and one newer than the member (mt1).
func TestOldFiles(t *testing.T) {
	for _, tc := range []struct {
		policy           OldFiles
		older, newer     string // contents left in each
		olderErr, newErr bool   // the member fails
	}{
		{policy: ReplaceOldFiles, older: "new", newer: "new"},
		{policy: KeepOldFiles, older: "old", newer: "old", olderErr: true, newErr: true},
		{policy: SkipOldFiles, older: "old", newer: "old"},
		{policy: KeepNewerFiles, older: "new", newer: "old"},
	} {
		dir := t.TempDir()
		for name, mt := range map[string]time.Time{"older": mt1.Add(-time.Hour), "newer": mt1.Add(time.Hour)} {
			p := filepath.Join(dir, name)
			must(t, os.WriteFile(p, []byte("old"), 0o644))
			must(t, os.Chtimes(p, mt, mt))
		}
		must(t, os.Mkdir(filepath.Join(dir, "d"), 0o755))
		w := newWriter(t, dir, WriterOptions{OldFiles: tc.policy})
		for name, wantErr := range map[string]bool{"older": tc.olderErr, "newer": tc.newErr} {
			err := writeEnt(w, reg(name, 0o644, "new"))
			if wantErr != (err != nil) || err != nil && !errors.Is(err, errExists) {
				t.Errorf("policy %d: %s: %v, want error %v", tc.policy, name, err, wantErr)
			}
		}
		// An existing directory is merged into by every policy.
		must(t, writeEnt(w, dirEnt("d/", 0o755, mt1)))
		must(t, writeEnt(w, reg("d/f", 0o644, "x")))
		must(t, w.Close())
		for name, want := range map[string]string{"older": tc.older, "newer": tc.newer, "d/f": "x"} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
				t.Errorf("policy %d: %s holds %q, %v; want %q", tc.policy, name, b, err, want)
			}
		}
	}
}

// TestTouchAndPermissions checks Touch (times of extraction) and the
// Permissions policies.
func TestTouchAndPermissions(t *testing.T) {
	dir := t.TempDir()
	start := time.Now().Add(-time.Minute)
	w := newWriter(t, dir, WriterOptions{Touch: true, Permissions: UmaskPermissions})
	w.umask = 0o027
	must(t, writeEnt(w, reg("f", 0o4777, "x")))
	must(t, writeEnt(w, dirEnt("d/", 0o777, mt1)))
	must(t, w.Close())
	for name, want := range map[string]os.FileMode{"f": 0o750, "d": os.ModeDir | 0o750} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), want)
		}
		if fi.ModTime().Before(start) {
			t.Errorf("%s: mtime %v with Touch, want the time of extraction", name, fi.ModTime())
		}
	}

	dir = t.TempDir()
	w = newWriter(t, dir, WriterOptions{Permissions: SamePermissions})
	w.euid, w.umask = 1000, 0o077
	must(t, writeEnt(w, reg("g", 0o755, "x")))
	must(t, w.Close())
	if fi, err := os.Lstat(filepath.Join(dir, "g")); err != nil || fi.Mode() != 0o755 || !fi.ModTime().Equal(mt1) {
		t.Errorf("SamePermissions as a user: %v, %v; want mode 0755 and the archived time", fi, err)
	}
}
