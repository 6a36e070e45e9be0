package extract

import (
	"archive/tar"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
)

// mode returns the permission bits to set on a member, as GNU tar does: the
// archived mode including setuid, setgid and sticky bits when running as
// root or with SamePermissions, else only the permission bits less the
// umask.
func (w *Writer) mode(hdr *tar.Header) uint32 {
	m := uint32(hdr.Mode) & 0o7777
	if w.opts.Permissions == UmaskPermissions || w.euid != 0 && w.opts.Permissions != SamePermissions {
		m &= 0o777 &^ w.umask
	}
	return m
}

// owner returns the uid and gid to give a member: those of the archived user
// and group names when the system knows them and NumericOwner is not set,
// else the archived numbers.
func (w *Writer) owner(hdr *tar.Header) (uid, gid int) {
	uid, gid = hdr.Uid, hdr.Gid
	if w.opts.NumericOwner {
		return uid, gid
	}
	if hdr.Uname != "" {
		if id, ok := w.lookupID(hdr.Uname, false); ok {
			uid = id
		}
	}
	if hdr.Gname != "" {
		if id, ok := w.lookupID(hdr.Gname, true); ok {
			gid = id
		}
	}
	return uid, gid
}

// lookupID looks up a user (or group) name in the system, caching results.
func (w *Writer) lookupID(name string, group bool) (int, bool) {
	w.idMu.Lock()
	defer w.idMu.Unlock()
	cache := w.users
	if group {
		cache = w.groups
	}
	if id, ok := cache[name]; ok {
		return id, id >= 0
	}
	id := -1
	if group {
		if g, err := user.LookupGroup(name); err == nil {
			if n, err := strconv.Atoi(g.Gid); err == nil {
				id = n
			}
		}
	} else {
		if u, err := user.Lookup(name); err == nil {
			if n, err := strconv.Atoi(u.Uid); err == nil {
				id = n
			}
		}
	}
	cache[name] = id
	return id, id >= 0
}

// applyFD sets owner (when SameOwner), mode and modification time of the open
// file or directory fd, in that order (chown clears setuid bits, so it must
// come first). All failures are returned, joined.
func (w *Writer) applyFD(fd int, hdr *tar.Header) error {
	return w.applyFDSkipping(fd, hdr, false, false)
}

// applyFile sets the metadata of the regular file of as applyFD does,
// leaving out the owner or mode when the file got them when created.
func (w *Writer) applyFile(of *openFile, hdr *tar.Header) error {
	return of.f.control(func(fd int) error { return w.applyFDSkipping(fd, hdr, of.ownerSet, of.modeSet) })
}

// applyFDSkipping is applyFD, without the owner when ownerSet and without
// the mode when modeSet.
func (w *Writer) applyFDSkipping(fd int, hdr *tar.Header, ownerSet, modeSet bool) error {
	var errs []error
	if w.opts.SameOwner && !ownerSet {
		uid, gid := w.owner(hdr)
		if err := fchown(fd, uid, gid); err != nil {
			errs = append(errs, memberErr(hdr.Name, fmt.Sprintf("cannot change ownership to uid %d, gid %d", uid, gid), err))
		}
	}
	if m := w.mode(hdr); !modeSet {
		if err := fchmod(fd, m); err != nil {
			errs = append(errs, memberErr(hdr.Name, fmt.Sprintf("cannot change mode to %04o", m), err))
		}
	}
	if w.opts.Touch {
		return errors.Join(errs...)
	}
	if err := futimens(fd, hdr.ModTime); err != nil {
		errs = append(errs, memberErr(hdr.Name, "cannot set modification time", err))
	}
	return errors.Join(errs...)
}

// applyAt sets owner (when SameOwner), mode (unless link) and modification
// time of base in the directory dirfd without following a symbolic link
// there. It serves symbolic links, FIFOs and device nodes, which cannot be
// opened for the purpose.
func (w *Writer) applyAt(dirfd int, base string, hdr *tar.Header, link bool) error {
	var errs []error
	if w.opts.SameOwner {
		uid, gid := w.owner(hdr)
		if err := lchownAt(dirfd, base, uid, gid); err != nil {
			errs = append(errs, memberErr(hdr.Name, fmt.Sprintf("cannot change ownership to uid %d, gid %d", uid, gid), err))
		}
	}
	if !link {
		// Linux cannot chmod without following a symbolic link; base was
		// just created by this Writer in dirfd as a node that is not one.
		m := w.mode(hdr)
		if err := chmodAt(dirfd, base, m); err != nil {
			errs = append(errs, memberErr(hdr.Name, fmt.Sprintf("cannot change mode to %04o", m), err))
		}
	}
	if w.opts.Touch {
		return errors.Join(errs...)
	}
	if err := lutimesAt(dirfd, base, hdr.ModTime); err != nil {
		errs = append(errs, memberErr(hdr.Name, "cannot set modification time", err))
	}
	return errors.Join(errs...)
}

// withFD calls fn with the descriptor of f.
func withFD(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
