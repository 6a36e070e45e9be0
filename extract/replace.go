package extract

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Permissions of what the Writer creates: parent directories that no
// member names, and regular files until their member's mode is set.
const (
	dirPerm  = 0o777 // implicit directories, less the umask, as GNU tar
	filePerm = 0o600 // files while being written
)

// openFile is a regular file being written.
type openFile struct {
	name   string // name in the root
	member string // member name in the archive
	f      *os.File
}

// writeDir creates a directory, or keeps an existing one; its metadata is set
// by Close.
func (w *Writer) writeDir(seq int64, auto bool, name string, hdr *tar.Header) error {
	n, ok, err := w.begin(seq, auto, name, hdr.Name)
	if err != nil || !ok {
		return err
	}
	k := kindNone
	h := *hdr
	defer func() { w.end(name, n, k, &h, "") }()
	// Created writable by its owner, so members can go in; Close sets the
	// mode.
	perm := fs.FileMode(w.mode(hdr)&0o777 | 0o700)
	err = w.retryDir(name, func() error {
		return w.inCachedParent(name, func(dirfd int, base string) error {
			if err := unix.Mkdirat(dirfd, base, uint32(perm)); err != nil {
				return &fs.PathError{Op: "mkdir", Path: name, Err: err}
			}
			return nil
		})
	})
	if err != nil {
		return memberErr(hdr.Name, "cannot mkdir", err)
	}
	k = kindDir
	return nil
}

// writeSpecial creates a FIFO or device node.
func (w *Writer) writeSpecial(seq int64, auto bool, name string, hdr *tar.Header) error {
	n, ok, err := w.begin(seq, auto, name, hdr.Name)
	if err != nil || !ok {
		return err
	}
	k := kindNone
	defer func() { w.end(name, n, k, nil, "") }()
	var mode uint32
	dev := 0
	switch hdr.Typeflag {
	case tar.TypeFifo:
		mode = unix.S_IFIFO
	case tar.TypeChar:
		mode = unix.S_IFCHR
		dev = int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
	case tar.TypeBlock:
		mode = unix.S_IFBLK
		dev = int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
	}
	var metaErr error
	err = w.inParent(name, true, func(dirfd int, base string) error {
		err := retryAt(dirfd, base, func() error {
			return unix.Mknodat(dirfd, base, mode|filePerm, dev)
		})
		if err != nil {
			return err
		}
		k = kindSpecial
		metaErr = w.applyAt(dirfd, base, hdr, false)
		return nil
	})
	if err != nil {
		return memberErr(hdr.Name, "cannot mknod", err)
	}
	return metaErr
}

// create creates the regular file name, replacing what is there, and
// registers it as being written.
func (w *Writer) create(name, member string) (*openFile, error) {
	w.life.RLock()
	defer w.life.RUnlock()
	if w.closed {
		return nil, &MemberError{Member: member, Err: ErrClosed}
	}
	var f *os.File
	err := w.retry(name, func() error {
		return w.inCachedParent(name, func(dirfd int, base string) error {
			// O_EXCL: an existing entry, a symbolic link included, is
			// never opened; retry removes it first.
			fd, err := unix.Openat(dirfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(filePerm))
			if err != nil {
				return &fs.PathError{Op: "open", Path: name, Err: err}
			}
			f = os.NewFile(uintptr(fd), name)
			return nil
		})
	})
	if err != nil {
		return nil, memberErr(member, "cannot open", err)
	}
	of := &openFile{name: name, member: member, f: f}
	w.mu.Lock()
	w.inflight[of] = struct{}{}
	w.mu.Unlock()
	return of, nil
}

// release closes of and ends its registration. With remove, or if Abort took
// it, the file is removed. It reports ErrClosed if Abort took the file.
func (w *Writer) release(of *openFile, remove bool) error {
	w.mu.Lock()
	_, mine := w.inflight[of]
	delete(w.inflight, of)
	w.mu.Unlock()
	if !mine {
		of.f.Close()
		return &MemberError{Member: of.member, Err: ErrClosed}
	}
	if remove {
		w.discardFile(of)
		return nil
	}
	cerr := of.f.Close()
	if cerr != nil {
		return memberErr(of.member, "cannot close", cerr)
	}
	return nil
}

// discardFile closes the file of and removes it if its name still refers
// to it. Its inode is read only now, from the open file: the files that
// succeed cost no fstat.
func (w *Writer) discardFile(of *openFile) {
	fi, err := of.f.Stat()
	of.f.Close()
	if err != nil {
		return
	}
	dev, ino := inode(fi)
	if lfi, err := w.root.Lstat(of.name); err == nil && sameInode(lfi, dev, ino) {
		w.root.Remove(of.name)
	}
}

// takeInflight empties the set of files being written and returns them.
func (w *Writer) takeInflight() []*openFile {
	w.mu.Lock()
	defer w.mu.Unlock()
	ofs := make([]*openFile, 0, len(w.inflight))
	for of := range w.inflight {
		ofs = append(ofs, of)
	}
	clear(w.inflight)
	slices.SortFunc(ofs, func(a, b *openFile) int { return strings.Compare(a.name, b.name) })
	return ofs
}

// retry calls op, which creates name, and when it fails because name exists
// removes what is there (a directory only if empty) and when it fails because
// the parent is missing creates the parent, and tries again.
func (w *Writer) retry(name string, op func() error) error {
	var err error
	for range 3 {
		err = op()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, fs.ErrExist):
			// What is removed may be a directory with cached handles.
			w.dirs.drop()
			if rerr := w.root.Remove(name); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				return fmt.Errorf("cannot remove existing entry: %w", rerr)
			}
		case errors.Is(err, fs.ErrNotExist):
			if merr := w.mkParents(name); merr != nil {
				return merr
			}
		default:
			return err
		}
	}
	return err
}

// retryDir is retry for a directory: an existing directory is kept.
func (w *Writer) retryDir(name string, op func() error) error {
	return w.retry(name, func() error {
		err := op()
		if errors.Is(err, fs.ErrExist) {
			if fi, serr := w.root.Lstat(name); serr == nil && fi.IsDir() {
				return nil
			}
		}
		return err
	})
}

// retryAt calls op, which creates base in dirfd, and once more after
// removing what was there if op failed because base exists.
func retryAt(dirfd int, base string, op func() error) error {
	err := ignoringEINTR(op)
	if err == unix.EEXIST {
		if rerr := removeAt(dirfd, base); rerr != nil && rerr != unix.ENOENT {
			return fmt.Errorf("cannot remove existing entry: %w", rerr)
		}
		err = ignoringEINTR(op)
	}
	return err
}

// mkParents creates the missing parents of name, as GNU tar does, with mode
// 0o777 less the umask.
func (w *Writer) mkParents(name string) error {
	dir := path.Dir(name)
	if dir == "." {
		return nil
	}
	if err := w.root.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("cannot create parent directory: %w", err)
	}
	return nil
}

// inParent calls fn with a descriptor of the parent directory of name, opened
// through the root, and the last element of name. With mkdir, a missing
// parent is created.
func (w *Writer) inParent(name string, mkdir bool, fn func(dirfd int, base string) error) error {
	dir, base := splitName(name)
	d, err := w.root.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil && mkdir && errors.Is(err, fs.ErrNotExist) {
		if err = w.mkParents(name); err == nil {
			d, err = w.root.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
		}
	}
	if err != nil {
		return err
	}
	defer d.Close()
	return withFD(d, func(fd int) error { return fn(fd, base) })
}
