//go:build unix

package index

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// tryLock takes an exclusive flock on f without waiting. busy reports that
// another process holds it.
func tryLock(f *os.File) (unlock func(), busy bool, err error) {
	fd := int(f.Fd())
	err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	if err != nil {
		return nil, errors.Is(err, unix.EWOULDBLOCK), err
	}
	return func() { unix.Flock(fd, unix.LOCK_UN) }, false, nil
}

// dirWritable reports whether the process may create files in dir.
func dirWritable(dir string) bool {
	return unix.Access(dir, unix.W_OK) == nil
}
