//go:build unix && !linux && !freebsd

package extract

import (
	"fmt"
	"runtime"
)

// mknodat fails: x/sys has no mknodat for this system (macOS among them),
// and creating the node by its full path could follow a symbolic link
// that appeared meanwhile.
func mknodat(dirfd int, base string, mode uint32, dev uint64) error {
	return fmt.Errorf("%w: FIFOs and device nodes cannot be created on %s", ErrUnsupported, runtime.GOOS)
}
