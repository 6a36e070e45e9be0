package extract

import "golang.org/x/sys/unix"

// mknodat is mknodat(2).
func mknodat(dirfd int, base string, mode uint32, dev uint64) error {
	return unix.Mknodat(dirfd, base, mode, dev)
}
