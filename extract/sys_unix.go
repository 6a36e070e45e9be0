//go:build unix

package extract

import (
	"archive/tar"
	"syscall"

	"golang.org/x/sys/unix"
)

// The system calls of the Writer on Unix: each acts on the last element
// base of a name in the open directory dirfd, without following a
// symbolic link there. sys_windows.go has the same set.

// oDirectory is the flag that makes opening anything but a directory fail.
const oDirectory = unix.O_DIRECTORY

// umask returns the process umask. There is no way to read it without
// setting it, so it is set and set back.
func umask() uint32 {
	old := unix.Umask(0)
	unix.Umask(old)
	return uint32(old)
}

// mkdirAt creates the directory base.
func mkdirAt(dirfd int, base string, perm uint32) error {
	return ignoringEINTR(func() error { return unix.Mkdirat(dirfd, base, perm) })
}

// createAt creates the regular file base for writing. It fails if base
// exists, a symbolic link included (never opened).
func createAt(dirfd int, base string, perm uint32) (int, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Openat(dirfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
		return err
	})
	return fd, err
}

// openDirAt opens the directory base to set its metadata.
func openDirAt(dirfd int, base string) (int, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Openat(dirfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		return err
	})
	return fd, err
}

// closeFD closes a descriptor from openDirAt.
func closeFD(fd int) error { return unix.Close(fd) }

// mknodAt creates base as a FIFO (typ tar.TypeFifo) or a device node.
func mknodAt(dirfd int, base string, typ byte, major, minor int64, perm uint32) error {
	var mode uint32
	var dev uint64
	switch typ {
	case tar.TypeFifo:
		mode = unix.S_IFIFO
	case tar.TypeChar:
		mode = unix.S_IFCHR
		dev = unix.Mkdev(uint32(major), uint32(minor))
	case tar.TypeBlock:
		mode = unix.S_IFBLK
		dev = unix.Mkdev(uint32(major), uint32(minor))
	}
	return ignoringEINTR(func() error { return mknodat(dirfd, base, mode|perm, dev) })
}

// symlinkAt creates base as a symbolic link to target.
func symlinkAt(target string, dirfd int, base string) error {
	return ignoringEINTR(func() error { return unix.Symlinkat(target, dirfd, base) })
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

// fchown sets the owner of the open file fd.
func fchown(fd, uid, gid int) error {
	return ignoringEINTR(func() error { return unix.Fchown(fd, uid, gid) })
}

// fchmod sets the mode of the open file fd.
func fchmod(fd int, mode uint32) error {
	return ignoringEINTR(func() error { return unix.Fchmod(fd, mode) })
}

// lchownAt sets the owner of base, a symbolic link itself if it is one.
func lchownAt(dirfd int, base string, uid, gid int) error {
	return ignoringEINTR(func() error { return unix.Fchownat(dirfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW) })
}

// chmodAt sets the mode of base, which must not be a symbolic link (Linux
// cannot chmod one).
func chmodAt(dirfd int, base string, mode uint32) error {
	return ignoringEINTR(func() error { return unix.Fchmodat(dirfd, base, mode, 0) })
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
