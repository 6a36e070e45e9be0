package index

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// tryLock takes an exclusive lock on one byte of f far beyond any end of
// file without waiting (Windows locks are mandatory: a locked byte of the
// archive's data would fail reads of it). busy reports that another
// process holds it.
func tryLock(f *os.File) (unlock func(), busy bool, err error) {
	h := windows.Handle(f.Fd())
	ol := &windows.Overlapped{Offset: 0xffffffff, OffsetHigh: 0x7fffffff}
	err = windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if err != nil {
		return nil, errors.Is(err, windows.ERROR_LOCK_VIOLATION), err
	}
	return func() { windows.UnlockFileEx(h, 0, 1, 0, ol) }, false, nil
}

// dirWritable reports whether the process may create files in dir: on
// Windows, whether a file can be created there (access checks of ACLs
// have no simple call).
func dirWritable(dir string) bool {
	f, err := os.CreateTemp(dir, ".tarx-probe-")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}
