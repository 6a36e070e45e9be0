//go:build unix

package extract

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// The system calls of the Writer on Unix: each acts on the last element
// base of a name in the open directory dirfd, without following a
// symbolic link there. sys_windows.go has the same set.

// oDirectory is the flag that makes opening anything but a directory fail.
const oDirectory = unix.O_DIRECTORY

// createSetsMode says that a file gets the mode it is created with, less
// the umask.
const createSetsMode = true

// umask returns the process umask: from /proc on Linux, else (and on
// kernels before 4.7) by setting it and setting it back.
func umask() uint32 {
	if m, ok := procUmask(); ok {
		return m
	}
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

// openSubdirAt opens the directory base in dirfd for the directory cache,
// failing if base is anything but a directory (a symbolic link included).
func openSubdirAt(dirfd int, base string) (int, error) { return openDirAt(dirfd, base) }

// dirGroup returns the group of the open directory fd, or -1.
func dirGroup(fd int) int {
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return -1
	}
	return int(st.Gid)
}

// outFile is a regular file being written, held by its descriptor: an
// os.File would cost an fcntl per file to make and a trip through the
// poller's locks per call. Calls hold mu shared and Close holds it
// exclusively, so the descriptor is never closed, and its number reused for
// another file, while a write to it is in progress.
type outFile struct {
	name string
	mu   sync.RWMutex
	fd   int // -1 once closed
}

// newOutFile takes over the descriptor fd of the file name.
func newOutFile(fd int, name string) *outFile { return &outFile{name: name, fd: fd} }

// WriteAt writes all of p at offset off.
func (f *outFile) WriteAt(p []byte, off int64) (int, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.fd < 0 {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: os.ErrClosed}
	}
	n := 0
	for n < len(p) {
		k, err := unix.Pwrite(f.fd, p[n:], off+int64(n))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return n, &fs.PathError{Op: "write", Path: f.name, Err: err}
		case k == 0:
			return n, &fs.PathError{Op: "write", Path: f.name, Err: io.ErrShortWrite}
		}
		n += k
	}
	return n, nil
}

// Truncate sets the size of the file.
func (f *outFile) Truncate(size int64) error {
	return f.control(func(fd int) error {
		if err := ignoringEINTR(func() error { return unix.Ftruncate(fd, size) }); err != nil {
			return &fs.PathError{Op: "truncate", Path: f.name, Err: err}
		}
		return nil
	})
}

// control calls fn with the descriptor, which stays open meanwhile.
func (f *outFile) control(fn func(fd int) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.fd < 0 {
		return &fs.PathError{Op: "control", Path: f.name, Err: os.ErrClosed}
	}
	return fn(f.fd)
}

// sameFile reports whether fi describes the open file.
func (f *outFile) sameFile(fi fs.FileInfo) bool {
	ls, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	var st unix.Stat_t
	err := f.control(func(fd int) error { return unix.Fstat(fd, &st) })
	return err == nil && uint64(st.Dev) == uint64(ls.Dev) && uint64(st.Ino) == uint64(ls.Ino)
}

// Close closes the file. A close interrupted by a signal is not retried:
// the descriptor is gone either way on Linux and the BSDs.
func (f *outFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fd < 0 {
		return &fs.PathError{Op: "close", Path: f.name, Err: os.ErrClosed}
	}
	err := unix.Close(f.fd)
	f.fd = -1
	if err != nil && err != unix.EINTR {
		return &fs.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
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
