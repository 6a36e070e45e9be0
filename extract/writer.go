package extract

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/tarx-dev/tarx/internal/tarfmt"
)

// WriterOptions configures a Writer.
type WriterOptions struct {
	// StripComponents drops this many leading elements from member names
	// and hard link targets, as tar --strip-components. Members left with
	// no name are skipped.
	StripComponents int

	// SameOwner gives members the owner recorded in the archive: the uid
	// of the user name when the system knows the name (as GNU tar does),
	// else the numeric uid; likewise for the group. GNU tar does this by
	// default when run as root; the caller sets it.
	SameOwner bool

	// NumericOwner makes SameOwner use the numeric uid and gid only.
	NumericOwner bool

	// OldFiles says what becomes of an entry that exists at a member's
	// path (tar -k, --skip-old-files, --keep-newer-files). Existing
	// directories are kept for directory members whatever it says.
	OldFiles OldFiles

	// Permissions says whether modes keep the archive's special bits
	// and ignore the umask (tar -p) or not (--no-same-permissions).
	Permissions Permissions

	// Touch leaves modification times alone (tar -m): members get the
	// time of their extraction.
	Touch bool

	// UniquePaths promises that no two members name the same path (the
	// caller dropped superseded members, as FromIndex does from the
	// index): the Writer then forgets regular files and special files
	// once they are written, keeping state only for directories and links.
	UniquePaths bool

	// Warn, if not nil, receives warnings such as
	// "Removing leading `/' from member names" (once per distinct
	// prefix, as GNU tar). Calls are serialized.
	Warn func(msg string)
}

// Writer creates the members of one archive under a directory. All file
// system access goes through an [os.Root] opened on the directory, so no
// name can resolve outside it; the last element of a name is handled with
// *at system calls that do not follow symbolic links.
//
// A Writer is safe for concurrent use by several goroutines: workers write
// different members at once. Members are ordered by sequence numbers (see
// [Writer.WriteEntrySeq]); for each path the member with the highest number
// wins, whatever order the members arrive in.
//
// Regular files, directories, FIFOs and device nodes are created when they
// arrive. Symbolic links and hard links are created by [Writer.Close], after
// all other members, so no member is ever written through a symbolic link
// from the archive and hard link targets exist. Close then sets the modes and
// times of directories, deepest first.
//
// Existing entries at a member's path are replaced as GNU tar replaces them:
// a file or symbolic link is unlinked first (never written through); an
// existing directory is kept for a directory member and otherwise removed if
// empty (if not, the member fails). Missing parent directories are created
// with mode 0o777 less the umask, as GNU tar creates them.
//
// Where GNU tar 1.34 is less careful, the Writer differs from it:
//
//   - A member name or hard link target with a ".." element is refused
//     (GNU tar refuses such member names but strips a hard link target up
//     to its last "..").
//   - A member below a symbolic link from the archive fails instead of
//     being written through it, and so does a member or hard link target
//     below a symbolic link already in the directory that leads outside it
//     (os.Root refuses it). Existing links within the directory are
//     followed, as GNU tar follows them.
//   - For a path named by several members the last always wins (GNU tar
//     keeps an absolute symbolic link, or one with "..", over a later
//     regular file or symbolic link of the same name).
//   - A hard link links to the final file of its target's path, even if the
//     target is replaced by a later member (GNU tar links to the earlier).
//   - A member named "." (as "./") is skipped: the directory's own mode and
//     time are left alone.
//   - Directory times are set at the end, so a directory whose members are
//     scattered over the archive gets its archived time (GNU tar sets it
//     when extraction leaves the directory, and a later member there
//     changes it).
type Writer struct {
	root  *os.Root
	opts  WriterOptions
	euid  int    // effective uid when created; tests may change it
	umask uint32 // process umask when not root
	// procUmask is the process umask, which the system applies to the
	// modes of files the Writer creates; fsuid and fsgid are the owner
	// they get (-1 where there is no such thing).
	procUmask    uint32
	fsuid, fsgid int
	zero         []byte // a block of zeros, never written
	bufs         sync.Pool

	contOnce sync.Once // GNU tar's notice on the first contiguous file

	// life is held shared while a file is created and registered in
	// inflight, and exclusively to set closed.
	life   sync.RWMutex
	closed bool

	dirs dirCache // open parent directories

	mu       sync.Mutex
	nodes    map[string]*node
	maxSeq   int64
	inflight map[*openFile]struct{} // regular files being written

	warnMu sync.Mutex
	warned map[string]bool

	idMu   sync.Mutex
	users  map[string]int // user name to uid; -1 when unknown
	groups map[string]int // group name to gid; -1 when unknown
}

// NewWriter returns a Writer that creates members under dir, creating dir
// (mode 0o755 less the umask) if missing. When not running as root it reads
// the process umask (by setting it and setting it back) to apply it to modes
// as GNU tar does. The Writer must be finished with Close or Abort.
func NewWriter(dir string, opts WriterOptions) (*Writer, error) {
	if opts.StripComponents < 0 {
		return nil, fmt.Errorf("extract: negative StripComponents %d", opts.StripComponents)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	w := &Writer{
		root:     root,
		opts:     opts,
		euid:     os.Geteuid(),
		zero:     make([]byte, blockSize),
		nodes:    make(map[string]*node),
		maxSeq:   -1,
		inflight: make(map[*openFile]struct{}),
		warned:   make(map[string]bool),
		users:    make(map[string]int),
		groups:   make(map[string]int),
	}
	w.bufs.New = func() any { b := make([]byte, bufSize); return &b }
	w.procUmask, w.fsuid, w.fsgid = umask(), os.Geteuid(), os.Getegid()
	if w.euid != 0 || opts.Permissions == UmaskPermissions {
		w.umask = w.procUmask
	}
	return w, nil
}

// WriteEntry creates the member hdr (as read by archive/tar) with data r, as
// the member following all members given to the Writer so far: its number is
// one more than the highest used yet. It suits extraction in archive order,
// and callers that give each path only once. See [Writer.WriteEntrySeq].
func (w *Writer) WriteEntry(hdr *tar.Header, r io.Reader) error {
	return w.write(0, true, hdr, r)
}

// WriteEntrySeq creates the member hdr (as read by archive/tar) with data r.
// seq orders members: for a path named by several members, the one with the
// highest seq wins, whatever order the calls come in; a member whose path
// already belongs to a higher seq is skipped (r is not read, and the result
// is nil). The index of the member in the archive or the offset of its header
// serve. Calls for different members may run concurrently; calls for one
// path are serialized.
//
// A member below a symbolic or hard link member with a lower number that is
// already known fails with ErrUnsafePath (GNU tar cannot create it either:
// the link is not a directory). If the link member comes later, the member
// is created below a real directory and the link fails at Close.
//
// r yields the logical bytes of a regular file (for a sparse member, zeros
// for its holes); it may be nil for other types. Blocks of 4 KiB of zeros are
// not written, so they become holes, and the file is truncated to hdr.Size.
//
// Types: regular files (TypeReg, TypeRegA, TypeCont, TypeGNUSparse, and a
// regular type whose name ends in "/" as a directory), TypeDir, TypeSymlink
// and TypeLink (both created by Close), TypeFifo, and TypeChar and TypeBlock
// (when root; otherwise the member fails). Extended and
// long-name headers and volume labels are ignored; an unknown type is
// extracted as a regular file with a warning, as GNU tar does.
//
// Modes are those of the archive, including setuid, setgid and sticky bits,
// when running as root; otherwise the permission bits less the umask. Owners
// are set only with SameOwner. Modification times are set on all types; for
// directories by Close.
//
// Errors are of type [*MemberError] and name the member. A failing member
// leaves no partly written file behind; other members are not affected.
func (w *Writer) WriteEntrySeq(seq int64, hdr *tar.Header, r io.Reader) error {
	return w.write(seq, false, hdr, r)
}

// write dispatches the member hdr by type, after skipping the headers that
// are not members, refusing device nodes when not root, and cleaning the
// name. seq and auto are as for begin.
func (w *Writer) write(seq int64, auto bool, hdr *tar.Header, r io.Reader) error {
	if w.isClosed() {
		return &MemberError{Member: hdr.Name, Err: ErrClosed}
	}
	typ := hdr.Typeflag
	if hdr.Size > 0 && tarfmt.DataBreaksExtraction(typ) {
		return &MemberError{Member: hdr.Name, Err: fmt.Errorf("%d bytes of data after a header of type '%c' (GNU tar cannot extract it)", hdr.Size, typ)}
	}
	switch typ {
	case tar.TypeXHeader, tar.TypeXGlobalHeader, tar.TypeGNULongName, tar.TypeGNULongLink,
		tarfmt.TypeVolume:
		return nil
	case tarfmt.TypeMultiVolume:
		return &MemberError{Member: hdr.Name, Err: errors.New(tarfmt.MultiVolumeError)}
	case tarfmt.TypeDumpDir:
		typ = tar.TypeDir // GNU tar makes the directory; the listing is for incremental restores
	case tar.TypeChar, tar.TypeBlock:
		if w.euid != 0 {
			// GNU tar tries, fails and exits 2.
			return &MemberError{Member: hdr.Name, Op: "cannot mknod", Err: errNotRoot}
		}
	case tar.TypeCont:
		w.contOnce.Do(func() { w.warn("Extracting contiguous files as regular files") })
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse,
		tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeFifo:
	default:
		w.warn(tarfmt.UnknownNotice(quoteName(hdr.Name), typ))
		typ = tar.TypeReg
	}
	if isRegular(typ) && strings.HasSuffix(hdr.Name, "/") {
		typ = tar.TypeDir // old archives mark directories so
	}
	name, ok, err := w.Name(hdr.Name)
	if err != nil || !ok {
		return err
	}
	if keep, err := w.keepOld(name, typ == tar.TypeDir, hdr); keep || err != nil {
		return err
	}
	switch typ {
	case tar.TypeDir:
		return w.writeDir(seq, auto, name, hdr)
	case tar.TypeSymlink:
		return w.deferLink(seq, auto, name, "", hdr)
	case tar.TypeLink:
		target, err := w.linkTarget(hdr)
		if err != nil {
			return err
		}
		return w.deferLink(seq, auto, name, target, hdr)
	case tar.TypeFifo, tar.TypeChar, tar.TypeBlock:
		return w.writeSpecial(seq, auto, name, hdr)
	default:
		return w.writeFile(seq, auto, name, hdr, r)
	}
}

// linkTarget returns the cleaned target of the hard link member hdr, or
// an error if it is unsafe or empty.
func (w *Writer) linkTarget(hdr *tar.Header) (string, error) {
	target, ok, err := w.cleanName(hdr.Linkname, "hard link targets")
	if err != nil {
		return "", memberErr(hdr.Name, "hard link target "+quoteName(hdr.Linkname), errors.Unwrap(err))
	}
	if !ok {
		return "", &MemberError{Member: hdr.Name, Op: "hard link target " + quoteName(hdr.Linkname), Err: fs.ErrInvalid}
	}
	return target, nil
}

// isRegular reports whether members of type typ are written as regular
// files with their contents (unknown types too, as GNU tar does).
func isRegular(typ byte) bool { return tarfmt.Regular(typ) }

// isClosed reports whether Close or Abort has begun.
func (w *Writer) isClosed() bool {
	w.life.RLock()
	defer w.life.RUnlock()
	return w.closed
}

// markClosed marks the Writer closed, so that no file is created from now
// on. It reports false if Close or Abort did so already.
func (w *Writer) markClosed() bool {
	w.life.Lock()
	defer w.life.Unlock()
	if w.closed {
		return false
	}
	w.closed = true
	return true
}
