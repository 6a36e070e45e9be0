package extract

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mtimeSpec returns utimensat times that leave the access time alone and set
// the modification time to mtime.
func mtimeSpec(mtime time.Time) ([2]unix.Timespec, error) {
	m, err := unix.TimeToTimespec(mtime)
	return [2]unix.Timespec{{Nsec: unix.UTIME_OMIT}, m}, err
}

// futimens sets the modification time of the open file fd with nanosecond
// precision. (unix.Futimes goes through /proc with microseconds on Linux.)
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

// lutimesAt sets the modification time of base, of a symbolic link itself
// if it is one.
func lutimesAt(dirfd int, base string, mtime time.Time) error {
	ts, err := mtimeSpec(mtime)
	if err != nil {
		return err
	}
	return ignoringEINTR(func() error {
		return unix.UtimesNanoAt(dirfd, base, ts[:], unix.AT_SYMLINK_NOFOLLOW)
	})
}
