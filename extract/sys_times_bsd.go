//go:build unix && !linux

package extract

import (
	"time"

	"golang.org/x/sys/unix"
)

// futimens sets the modification time of the open file fd, to the
// microsecond (x/sys has no futimens outside Linux), and the access time
// to now.
func futimens(fd int, mtime time.Time) error {
	tv := []unix.Timeval{unix.NsecToTimeval(time.Now().UnixNano()), unix.NsecToTimeval(mtime.UnixNano())}
	return ignoringEINTR(func() error { return unix.Futimes(fd, tv) })
}

// lutimesAt sets the modification time of base, of a symbolic link itself
// if it is one, and its access time to now (UTIME_OMIT is not defined
// everywhere).
func lutimesAt(dirfd int, base string, mtime time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(time.Now().UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	return ignoringEINTR(func() error {
		return unix.UtimesNanoAt(dirfd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
	})
}
