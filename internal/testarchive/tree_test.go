package testarchive

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestWriteTree(t *testing.T) {
	entries := Mixed(smallOpts)
	dir := t.TempDir()
	WriteTree(t, dir, entries)
	root := os.Geteuid() == 0
	contents := Contents(entries)
	for name, e := range Final(entries) {
		h := e.Header
		p := filepath.Join(dir, filepath.FromSlash(name))
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		want := h.FileInfo().Mode()
		if h.Typeflag == tar.TypeLink {
			target, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(h.Linkname)))
			if err != nil || !os.SameFile(fi, target) {
				t.Errorf("%q is not a hard link to %q", name, h.Linkname)
			}
			want = target.Mode()
		}
		gotMode, wantMode := fi.Mode(), want
		if !root {
			// Without privileges setgid may be dropped; compare the rest.
			gotMode &^= fs.ModeSetgid
			wantMode &^= fs.ModeSetgid
		}
		if h.Typeflag == tar.TypeSymlink {
			gotMode &= fs.ModeType
			wantMode &= fs.ModeType
		}
		if gotMode != wantMode {
			t.Errorf("%q: mode %v, want %v", name, gotMode, wantMode)
		}
		if h.Typeflag != tar.TypeSymlink && !fi.ModTime().Equal(h.ModTime) {
			t.Errorf("%q: mtime %v, want %v", name, fi.ModTime(), h.ModTime)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && root && (int(st.Uid) != h.Uid || int(st.Gid) != h.Gid) {
			t.Errorf("%q: owner %d:%d, want %d:%d", name, st.Uid, st.Gid, h.Uid, h.Gid)
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeLink:
			data, err := os.ReadFile(p)
			if err != nil || !bytes.Equal(data, contents[name]) {
				t.Errorf("%q: wrong contents (%v)", name, err)
			}
		case tar.TypeSymlink:
			if target, err := os.Readlink(p); err != nil || target != h.Linkname {
				t.Errorf("%q: link to %q (%v), want %q", name, target, err, h.Linkname)
			}
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%q: %v", name, err)
			}
		}
	}
}

func TestWriteTreeDevice(t *testing.T) {
	dir := t.TempDir()
	mtime := time.Unix(1e9, 0)
	WriteTree(t, dir, []Entry{
		{Header: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3, ModTime: mtime}},
		{Header: tar.Header{Typeflag: tar.TypeBlock, Name: "dev/big", Mode: 0o660, Devmajor: 259, Devminor: 300, ModTime: mtime}},
	})
	if os.Geteuid() != 0 {
		t.Skip("device nodes need root; WriteTree skipped them")
	}
	tests := []struct {
		name         string
		mode         fs.FileMode
		major, minor uint64
	}{
		{"dev/null", fs.ModeDevice | fs.ModeCharDevice | 0o666, 1, 3},
		{"dev/big", fs.ModeDevice | 0o660, 259, 300},
	}
	for _, tt := range tests {
		fi, err := os.Lstat(filepath.Join(dir, tt.name))
		if err != nil {
			t.Skipf("cannot create device nodes here: %v", err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		major := (st.Rdev>>8)&0xfff | (st.Rdev>>32)&^0xfff
		minor := st.Rdev&0xff | (st.Rdev>>12)&^0xff
		if fi.Mode() != tt.mode || major != tt.major || minor != tt.minor {
			t.Errorf("%s: mode %v device %d,%d; want %v %d,%d", tt.name, fi.Mode(), major, minor, tt.mode, tt.major, tt.minor)
		}
	}
}

func TestWriteTreeNotLocal(t *testing.T) {
	for _, name := range []string{"../escape", "/abs"} {
		ft := &fatalTB{TB: t}
		func() {
			defer func() { recover() }()
			WriteTree(ft, t.TempDir(), []Entry{{Header: tar.Header{Typeflag: tar.TypeReg, Name: name}}})
		}()
		if !ft.failed {
			t.Errorf("WriteTree accepted name %q", name)
		}
	}
}

// fatalTB records a call to Fatalf and stops the helper with a panic.
type fatalTB struct {
	testing.TB
	failed bool
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.failed = true
	panic("fatal")
}

func TestWriteTreeReplace(t *testing.T) {
	t1, t2 := time.Unix(1e9, 0), time.Unix(2e9, 0)
	dir := func(mode int64, mtime time.Time) Entry {
		return Entry{Header: tar.Header{Typeflag: tar.TypeDir, Name: "x/", Mode: mode, ModTime: mtime}}
	}
	reg := func(data string, mtime time.Time) Entry {
		return Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "x", Mode: 0o640, ModTime: mtime}, Data: []byte(data)}
	}
	symlink := Entry{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: "x", Linkname: "target", Mode: 0o777}}
	tests := []struct {
		name    string
		entries []Entry
		mode    fs.FileMode
		mtime   time.Time
	}{
		{"later directory wins", []Entry{dir(0o700, t1), dir(0o750, t2)}, fs.ModeDir | 0o750, t2},
		{"earlier directory after later", []Entry{dir(0o750, t2), dir(0o700, t1)}, fs.ModeDir | 0o700, t1},
		{"file replaces symlink", []Entry{symlink, reg("data", t1)}, 0o640, t1},
		{"file replaces file", []Entry{reg("one", t2), reg("two", t1)}, 0o640, t1},
		{"symlink replaces file", []Entry{reg("one", t2), symlink}, fs.ModeSymlink | 0o777, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := t.TempDir()
			WriteTree(t, d, tt.entries)
			fi, err := os.Lstat(filepath.Join(d, "x"))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != tt.mode || !tt.mtime.IsZero() && !fi.ModTime().Equal(tt.mtime) {
				t.Errorf("mode %v mtime %v, want %v %v", fi.Mode(), fi.ModTime(), tt.mode, tt.mtime)
			}
		})
	}
}
