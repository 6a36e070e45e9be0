package extract

import (
	"archive/tar"
	"errors"
	"io/fs"
)

// OldFiles says what the Writer does with an entry that exists at a
// member's path, as GNU tar's options of the same names.
type OldFiles int

const (
	// ReplaceOldFiles removes the entry and creates the member (GNU tar's
	// default, and the result of its --overwrite: tarx never writes into
	// an existing file, so other hard links to it keep their contents).
	ReplaceOldFiles OldFiles = iota
	// KeepOldFiles keeps the entry and fails the member (tar -k).
	KeepOldFiles
	// SkipOldFiles keeps the entry and skips the member silently (tar
	// --skip-old-files).
	SkipOldFiles
	// KeepNewerFiles keeps an entry whose modification time is not older
	// than the member's and skips the member silently (tar
	// --keep-newer-files); older entries are replaced.
	KeepNewerFiles
)

// Permissions says how member modes are applied.
type Permissions int

const (
	// DefaultPermissions is SamePermissions when running as root and
	// UmaskPermissions otherwise, as in GNU tar.
	DefaultPermissions Permissions = iota
	// SamePermissions applies the archived mode, setuid, setgid and
	// sticky bits included, ignoring the umask (tar -p).
	SamePermissions
	// UmaskPermissions applies the permission bits less the umask (tar
	// --no-same-permissions).
	UmaskPermissions
)

// errNotRoot is why device nodes are not created by other users.
var errNotRoot = errors.New("operation not permitted: not running as root")

// errExists is why tar -k fails a member.
var errExists = errors.New("file exists (keeping old files)")

// keepOld applies OldFiles to the member hdr at name: keep reports that the
// existing entry stays and the member is not written; err that the member
// fails. dir is whether the member is a directory (an existing directory is
// then merged into, whatever OldFiles says).
func (w *Writer) keepOld(name string, dir bool, hdr *tar.Header) (keep bool, err error) {
	if w.opts.OldFiles == ReplaceOldFiles {
		return false, nil
	}
	fi, err := w.root.Lstat(name)
	if err != nil {
		// Missing, or unreachable: creating the member reports why.
		return false, nil
	}
	if dir && fi.IsDir() {
		return false, nil
	}
	switch w.opts.OldFiles {
	case KeepOldFiles:
		return true, &MemberError{Member: hdr.Name, Op: "cannot open", Err: errExists}
	case SkipOldFiles:
		return true, nil
	case KeepNewerFiles:
		return !fi.ModTime().Before(hdr.ModTime) && !fi.IsDir(), nil
	}
	return false, &MemberError{Member: hdr.Name, Err: fs.ErrInvalid}
}
