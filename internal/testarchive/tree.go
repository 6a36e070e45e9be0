package testarchive

import (
	"archive/tar"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"testing"
)

// WriteTree creates entries under dir, in order, as tar extracts them: a
// later entry replaces an earlier one of the same name, hard links are
// made with os.Link, fifos with mkfifo and device nodes with mknod.
// Regular files, fifos and directories get the header's mode bits
// (including setuid, setgid and sticky), mtime, and, where permitted,
// owner; directories get theirs after all entries, so their modes do not
// block writing into them. Symbolic links get their owner where permitted
// but keep the current time. Device nodes that cannot be created without
// privileges are skipped with a log message. Missing parent directories
// are created with mode 0o755. Names must be local (no "..", not absolute).
func WriteTree(tb testing.TB, dir string, entries []Entry) {
	tb.Helper()
	dirs := make(map[string]tar.Header) // the latest header of each directory
	var dirOrder []string               // directory names, in order of first appearance
	for _, e := range entries {
		h := e.Header
		name := path.Clean(h.Name)
		if !filepath.IsLocal(filepath.FromSlash(name)) {
			tb.Fatalf("testarchive.WriteTree: name %q is not local", h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatalf("testarchive.WriteTree: %v", err)
		}
		if h.Typeflag != tar.TypeDir {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				tb.Fatalf("testarchive.WriteTree: %v", err)
			}
			delete(dirs, name)
		}
		var err error
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				tb.Fatalf("testarchive.WriteTree: %v", err)
			}
			if _, ok := dirs[name]; !ok {
				dirOrder = append(dirOrder, name)
			}
			dirs[name] = h
			continue
		case tar.TypeReg:
			err = os.WriteFile(p, e.Data, 0o600)
		case tar.TypeLink:
			target := filepath.Join(dir, filepath.FromSlash(path.Clean(h.Linkname)))
			if err := os.Link(target, p); err != nil {
				tb.Fatalf("testarchive.WriteTree: %v", err)
			}
			continue
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, p); err != nil {
				tb.Fatalf("testarchive.WriteTree: %v", err)
			}
			chown(tb, p, h)
			continue
		case tar.TypeFifo:
			err = syscall.Mkfifo(p, 0o600)
		case tar.TypeChar, tar.TypeBlock:
			mode := uint32(syscall.S_IFCHR)
			if h.Typeflag == tar.TypeBlock {
				mode = syscall.S_IFBLK
			}
			err = syscall.Mknod(p, mode|0o600, mkdev(h.Devmajor, h.Devminor))
			if errors.Is(err, fs.ErrPermission) {
				tb.Logf("testarchive.WriteTree: skipping device %q: %v", h.Name, err)
				continue
			}
		default:
			tb.Fatalf("testarchive.WriteTree: %q: unsupported typeflag %q", h.Name, h.Typeflag)
		}
		if err != nil {
			tb.Fatalf("testarchive.WriteTree: %q: %v", h.Name, err)
		}
		setAttrs(tb, p, h)
	}
	// Children before parents, so that setting a directory's mtime is not
	// undone by changes inside it.
	for i := len(dirOrder) - 1; i >= 0; i-- {
		name := dirOrder[i]
		if h, ok := dirs[name]; ok {
			setAttrs(tb, filepath.Join(dir, filepath.FromSlash(name)), h)
		}
	}
}

// setAttrs sets the owner (where permitted), mode and mtime of p from h.
// The owner comes first because chown clears the setuid and setgid bits.
func setAttrs(tb testing.TB, p string, h tar.Header) {
	tb.Helper()
	chown(tb, p, h)
	if err := os.Chmod(p, h.FileInfo().Mode()); err != nil {
		tb.Fatalf("testarchive.WriteTree: %v", err)
	}
	if err := os.Chtimes(p, h.ModTime, h.ModTime); err != nil {
		tb.Fatalf("testarchive.WriteTree: %v", err)
	}
}

// chown sets the owner of p, not following symbolic links, unless the
// process is not allowed to.
func chown(tb testing.TB, p string, h tar.Header) {
	tb.Helper()
	if err := os.Lchown(p, h.Uid, h.Gid); err != nil && !errors.Is(err, fs.ErrPermission) {
		tb.Fatalf("testarchive.WriteTree: %v", err)
	}
}

// mkdev encodes a Linux device number as glibc's makedev does.
func mkdev(major, minor int64) int {
	return int(minor&0xff | (major&0xfff)<<8 | (minor&^0xff)<<12 | (major&^0xfff)<<32)
}
