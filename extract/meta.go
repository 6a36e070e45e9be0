package extract

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mode returns the permission bits to set on a member, as GNU tar does: the
// archived mode including setuid, setgid and sticky bits when running as
// root, else only the permission bits less the umask.
func (w *Writer) mode(hdr *tar.Header) uint32 {
	m := uint32(hdr.Mode) & 0o7777
	if w.euid != 0 {
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
	var errs []error
	if w.opts.SameOwner {
		uid, gid := w.owner(hdr)
		if err := ignoringEINTR(func() error { return unix.Fchown(fd, uid, gid) }); err != nil {
			errs = append(errs, memberErr(hdr.Name, fmt.Sprintf("cannot change ownership to uid %d, gid %d", uid, gid), err))
		}
	}
	m := w.mode(hdr)
	if err := ignoringEINTR(func() error { return unix.Fchmod(fd, m) }); err != nil {
		errs = append(errs, memberErr(hdr.Name, fmt.Sprintf("cannot change mode to %04o", m), err))
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
		err := ignoringEINTR(func() error {
			return unix.Fchownat(dirfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
		})
		if err != nil {
			errs = append(errs, memberErr(hdr.Name, fmt.Sprintf("cannot change ownership to uid %d, gid %d", uid, gid), err))
		}
	}
	if !link {
		// Linux cannot chmod without following a symbolic link; base was
		// just created by this Writer in dirfd as a node that is not one.
		m := w.mode(hdr)
		if err := ignoringEINTR(func() error { return unix.Fchmodat(dirfd, base, m, 0) }); err != nil {
			errs = append(errs, memberErr(hdr.Name, fmt.Sprintf("cannot change mode to %04o", m), err))
		}
	}
	ts, err := mtimeSpec(hdr.ModTime)
	if err == nil {
		err = ignoringEINTR(func() error {
			return unix.UtimesNanoAt(dirfd, base, ts[:], unix.AT_SYMLINK_NOFOLLOW)
		})
	}
	if err != nil {
		errs = append(errs, memberErr(hdr.Name, "cannot set modification time", err))
	}
	return errors.Join(errs...)
}

// mtimeSpec returns utimensat times that leave the access time alone and set
// the modification time to mtime.
func mtimeSpec(mtime time.Time) ([2]unix.Timespec, error) {
	m, err := unix.TimeToTimespec(mtime)
	return [2]unix.Timespec{{Nsec: unix.UTIME_OMIT}, m}, err
}

// futimens sets the modification time of the open file fd with nanosecond
// precision. (unix.Futimes goes through /proc with microseconds.)
func futimens(fd int, mtime time.Time) error {
	ts, err := mtimeSpec(mtime)
	if err != nil {
		return err
	}
	return ignoringEINTR(func() error {
		// utimensat(fd, NULL, ts, 0) is futimens(fd, ts).
		_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
		if e != 0 {
			return e
		}
		return nil
	})
}

// ignoringEINTR calls fn until it fails with something other than EINTR.
func ignoringEINTR(fn func() error) error {
	for {
		err := fn()
		if err != syscall.EINTR {
			return err
		}
	}
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

// removeAt removes base in dirfd, whatever it is; a directory only if empty.
func removeAt(dirfd int, base string) error {
	err := ignoringEINTR(func() error { return unix.Unlinkat(dirfd, base, 0) })
	if err == unix.EISDIR || err == unix.EPERM {
		// Linux says EISDIR for unlink of a directory (POSIX allows EPERM).
		if rerr := ignoringEINTR(func() error { return unix.Unlinkat(dirfd, base, unix.AT_REMOVEDIR) }); rerr != unix.ENOTDIR {
			return rerr
		}
	}
	return err
}

// sameInode reports whether fi describes the inode dev/ino.
func sameInode(fi fs.FileInfo, dev, ino uint64) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && uint64(st.Dev) == dev && uint64(st.Ino) == ino
}

// inode returns the device and inode numbers of fi.
func inode(fi fs.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}
