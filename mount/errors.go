package mount

import "errors"

var (
	// ErrUnsupported means FUSE mounts are not supported on this system.
	ErrUnsupported = errors.New("mount: not supported on this system")
	// ErrNoFUSE means FUSE is not usable here: no /dev/fuse, no
	// fusermount3 for a user other than root, or no permission.
	ErrNoFUSE = errors.New("mount: FUSE is not available")
)
