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
	f      *outFile

	// What the file got when created, so that setting its metadata can
	// leave out the calls that would change nothing.
	modeSet  bool // its mode is already the member's
	ownerSet bool // its owner is already the one SameOwner gives it
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
		return w.inCachedParent(name, func(dir *dirHandle, base string) error {
			if err := mkdirAt(dir.fd, base, uint32(perm)); err != nil {
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
	var metaErr error
	// retryAt may remove an empty directory whose handle is cached.
	w.dirs.forget(name)
	err = w.inParent(name, true, func(dirfd int, base string) error {
		err := retryAt(dirfd, base, func() error {
			return mknodAt(dirfd, base, hdr.Typeflag, hdr.Devmajor, hdr.Devminor, filePerm)
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

// create creates the regular file name for the member hdr, replacing what
// is there, and registers it as being written. The file is created with the
// member's mode when the umask leaves that mode whole and it has no setuid,
// setgid or sticky bit, and with filePerm otherwise, until its mode is set.
func (w *Writer) create(name string, hdr *tar.Header) (*openFile, error) {
	w.life.RLock()
	defer w.life.RUnlock()
	if w.closed {
		return nil, &MemberError{Member: hdr.Name, Err: ErrClosed}
	}
	of := &openFile{name: name, member: hdr.Name}
	perm := uint32(filePerm)
	if m := w.mode(hdr); createSetsMode && m&^0o777 == 0 && m&w.procUmask == 0 {
		perm, of.modeSet = m, true
	}
	err := w.retry(name, func() error {
		return w.inCachedParent(name, func(dir *dirHandle, base string) error {
			// O_EXCL: an existing entry, a symbolic link included, is
			// never opened; retry removes it first.
			fd, err := createAt(dir.fd, base, perm)
			if err != nil {
				return &fs.PathError{Op: "open", Path: name, Err: err}
			}
			of.f = newOutFile(fd, name)
			of.ownerSet = w.ownerOfNew(dir, hdr)
			return nil
		})
	})
	if err != nil {
		return nil, memberErr(hdr.Name, "cannot open", err)
	}
	w.mu.Lock()
	w.inflight[of] = struct{}{}
	w.mu.Unlock()
	return of, nil
}

// ownerOfNew reports whether a file just created in dir has the owner that
// SameOwner gives the member hdr: the Writer's own user, and its own group
// when that is also dir's (a new file gets one or the other, depending on
// the system, the mount and the setgid bit of dir).
func (w *Writer) ownerOfNew(dir *dirHandle, hdr *tar.Header) bool {
	if !w.opts.SameOwner || dir.gid < 0 {
		return false
	}
	uid, gid := w.owner(hdr)
	return uid == w.fsuid && gid == w.fsgid && gid == dir.gid
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
	lfi, err := w.root.Lstat(of.name)
	same := err == nil && of.f.sameFile(lfi)
	of.f.Close()
	if same {
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
			w.dirs.forget(name)
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
	err := op()
	if errors.Is(err, fs.ErrExist) {
		if rerr := removeAt(dirfd, base); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove existing entry: %w", rerr)
		}
		err = op()
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
	d, err := w.root.OpenFile(dir, os.O_RDONLY|oDirectory, 0)
	if err != nil && mkdir && errors.Is(err, fs.ErrNotExist) {
		if err = w.mkParents(name); err == nil {
			d, err = w.root.OpenFile(dir, os.O_RDONLY|oDirectory, 0)
		}
	}
	if err != nil {
		return err
	}
	defer d.Close()
	return withFD(d, func(fd int) error { return fn(fd, base) })
}
