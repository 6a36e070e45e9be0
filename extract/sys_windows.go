package extract

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The system calls of the Writer on Windows, the same set as in
// sys_unix.go. A descriptor is a Windows handle; names are opened relative
// to the handle of their directory with NtCreateFile (as os.Root does on
// Windows), with FILE_OPEN_REPARSE_POINT so that a symbolic link or
// junction at the last element is never followed.
//
// What Windows cannot do is one error per member: FIFOs and device nodes,
// owners. Modes are reduced to the read-only attribute of files.

// oDirectory: os.Root opens directories on Windows without a flag.
const oDirectory = 0

// umask: Windows has none.
func umask() uint32 { return 0 }

// createSetsMode: the mode of a new file is set by fchmod (the read-only
// attribute) on Windows.
const createSetsMode = false

// openSubdirAt: the directory cache opens directories through the os.Root
// on Windows, which knows its reparse points.
func openSubdirAt(dirfd int, base string) (int, error) { return 0, errors.ErrUnsupported }

// dirGroup: Windows directories have no group.
func dirGroup(fd int) int { return -1 }

// outFile is a regular file being written; on Windows an os.File.
type outFile struct{ f *os.File }

// newOutFile takes over the handle fd of the file name.
func newOutFile(fd int, name string) *outFile { return &outFile{os.NewFile(uintptr(fd), name)} }

// WriteAt writes all of p at offset off.
func (f *outFile) WriteAt(p []byte, off int64) (int, error) { return f.f.WriteAt(p, off) }

// Truncate sets the size of the file.
func (f *outFile) Truncate(size int64) error { return f.f.Truncate(size) }

// control calls fn with the handle, which stays open meanwhile.
func (f *outFile) control(fn func(fd int) error) error { return withFD(f.f, fn) }

// sameFile reports whether fi describes the open file.
func (f *outFile) sameFile(fi fs.FileInfo) bool {
	ofi, err := f.f.Stat()
	return err == nil && os.SameFile(ofi, fi)
}

// Close closes the file.
func (f *outFile) Close() error { return f.f.Close() }

// ntCreate opens or creates base relative to the directory handle dirfd.
func ntCreate(dirfd int, base string, access, disposition, options uint32) (windows.Handle, error) {
	if base == "" || base == "." || base == ".." || strings.ContainsAny(base, `\:`) {
		return 0, fmt.Errorf("%w: name %q cannot be created on Windows", ErrUnsupported, base)
	}
	name, err := windows.NewNTUnicodeString(base)
	if err != nil {
		return 0, err
	}
	oa := &windows.OBJECT_ATTRIBUTES{
		RootDirectory: windows.Handle(dirfd),
		ObjectName:    name,
		Attributes:    windows.OBJ_CASE_INSENSITIVE,
	}
	oa.Length = uint32(unsafe.Sizeof(*oa))
	var h windows.Handle
	var iosb windows.IO_STATUS_BLOCK
	err = windows.NtCreateFile(&h, access|windows.SYNCHRONIZE, oa, &iosb, nil, windows.FILE_ATTRIBUTE_NORMAL,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, disposition,
		options|windows.FILE_SYNCHRONOUS_IO_NONALERT|windows.FILE_OPEN_FOR_BACKUP_INTENT|windows.FILE_OPEN_REPARSE_POINT, 0, 0)
	if err != nil {
		var st windows.NTStatus
		if errors.As(err, &st) {
			return 0, st.Errno()
		}
		return 0, err
	}
	return h, nil
}

// mkdirAt creates the directory base.
func mkdirAt(dirfd int, base string, perm uint32) error {
	h, err := ntCreate(dirfd, base, windows.FILE_LIST_DIRECTORY, windows.FILE_CREATE, windows.FILE_DIRECTORY_FILE)
	if err != nil {
		return err
	}
	return windows.CloseHandle(h)
}

// createAt creates the regular file base for writing; it fails if base
// exists.
func createAt(dirfd int, base string, perm uint32) (int, error) {
	h, err := ntCreate(dirfd, base, windows.GENERIC_READ|windows.GENERIC_WRITE, windows.FILE_CREATE, windows.FILE_NON_DIRECTORY_FILE)
	return int(h), err
}

// openDirAt opens the directory base to set its metadata.
func openDirAt(dirfd int, base string) (int, error) {
	h, err := ntCreate(dirfd, base, windows.FILE_LIST_DIRECTORY|windows.FILE_READ_ATTRIBUTES|windows.FILE_WRITE_ATTRIBUTES,
		windows.FILE_OPEN, windows.FILE_DIRECTORY_FILE)
	return int(h), err
}

// closeFD closes a handle from openDirAt.
func closeFD(fd int) error { return windows.CloseHandle(windows.Handle(fd)) }

// mknodAt fails: Windows has no FIFOs or device nodes in its file system.
func mknodAt(dirfd int, base string, typ byte, major, minor int64, perm uint32) error {
	return fmt.Errorf("%w: FIFOs and device nodes cannot be created on Windows", ErrUnsupported)
}

// symlinkAt creates base as a symbolic link to target. Windows has no
// call relative to a directory handle, so the link is made by the
// directory's final path (the directory itself was opened safely). It
// needs the privilege to create symbolic links or developer mode.
func symlinkAt(target string, dirfd int, base string) error {
	if base == "" || strings.ContainsAny(base, `\:`) {
		return fmt.Errorf("%w: name %q cannot be created on Windows", ErrUnsupported, base)
	}
	dir, err := finalPath(windows.Handle(dirfd))
	if err != nil {
		return err
	}
	return os.Symlink(filepath.FromSlash(target), filepath.Join(dir, base))
}

// finalPath returns the path of the open handle h.
func finalPath(h windows.Handle) (string, error) {
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n, err := windows.GetFinalPathNameByHandle(h, &buf[0], uint32(len(buf)), 0)
	if err != nil {
		return "", err
	}
	return windows.UTF16ToString(buf[:n]), nil
}

// removeAt removes base, whatever it is; a directory only if empty.
func removeAt(dirfd int, base string) error {
	h, err := ntCreate(dirfd, base, windows.DELETE, windows.FILE_OPEN, 0)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	info := struct{ Delete bool }{true} // FILE_DISPOSITION_INFO
	return windows.SetFileInformationByHandle(h, windows.FileDispositionInfo, (*byte)(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)))
}

// errOwner is why owners are not set on Windows.
var errOwner = fmt.Errorf("%w: Windows has no numeric owners", ErrUnsupported)

// fchown fails: Windows files have security descriptors, not uids.
func fchown(fd, uid, gid int) error { return errOwner }

// lchownAt fails as fchown does.
func lchownAt(dirfd int, base string, uid, gid int) error { return errOwner }

// fchmod sets or clears the read-only attribute of the open file fd from
// the owner's write bit; other bits have no meaning on Windows.
func fchmod(fd int, mode uint32) error {
	h := windows.Handle(fd)
	var fi windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &fi); err != nil {
		return err
	}
	if fi.FileAttributes&windows.FILE_ATTRIBUTE_DIRECTORY != 0 {
		return nil // read-only means something else for directories
	}
	attrs := fi.FileAttributes &^ windows.FILE_ATTRIBUTE_READONLY
	if mode&0o200 == 0 {
		attrs |= windows.FILE_ATTRIBUTE_READONLY
	}
	if attrs == fi.FileAttributes {
		return nil
	}
	if attrs == 0 {
		attrs = windows.FILE_ATTRIBUTE_NORMAL
	}
	// FILE_BASIC_INFO: zero times are left alone.
	info := struct {
		CreationTime, LastAccessTime, LastWriteTime, ChangeTime int64
		FileAttributes                                          uint32
		_                                                       uint32
	}{FileAttributes: attrs}
	return windows.SetFileInformationByHandle(h, windows.FileBasicInfo, (*byte)(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)))
}

// chmodAt sets the read-only attribute of base as fchmod does.
func chmodAt(dirfd int, base string, mode uint32) error {
	h, err := ntCreate(dirfd, base, windows.FILE_READ_ATTRIBUTES|windows.FILE_WRITE_ATTRIBUTES, windows.FILE_OPEN, 0)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	return fchmod(int(h), mode)
}

// futimens sets the modification time of the open file fd (Windows keeps
// it to 100 ns).
func futimens(fd int, mtime time.Time) error {
	ft := windows.NsecToFiletime(mtime.UnixNano())
	return windows.SetFileTime(windows.Handle(fd), nil, nil, &ft)
}

// lutimesAt sets the modification time of base, of a symbolic link itself
// if it is one.
func lutimesAt(dirfd int, base string, mtime time.Time) error {
	h, err := ntCreate(dirfd, base, windows.FILE_WRITE_ATTRIBUTES, windows.FILE_OPEN, 0)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	return futimens(int(h), mtime)
}
