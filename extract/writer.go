package extract

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/tarx-dev/tarx/internal/tarfmt"
	"golang.org/x/sys/unix"
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
	zero  []byte // a block of zeros, never written
	bufs  sync.Pool

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

// kind is what a node holds.
type kind uint8

const (
	kindNone    kind = iota // nothing known on disk (a member failed)
	kindFile                // a regular file, maybe still being written
	kindDir                 // a directory; metadata set by Close
	kindSymlink             // a symbolic link to create in Close
	kindLink                // a hard link to create in Close
	kindSpecial             // a FIFO or device node
)

// node is the state of one path.
type node struct {
	// mu is held while a member of this path is being created, so members
	// of one path are created one at a time.
	mu sync.Mutex

	// The fields below are written with both mu and Writer.mu held, and
	// read with either held.
	claimed bool
	seq     int64       // sequence number of the winning member
	kind    kind        // what the winning member made
	hdr     *tar.Header // copy of the header, for kindDir, kindSymlink, kindLink
	target  string      // cleaned hard link target, for kindLink
	file    *File       // a CreateFile not yet done, for kindFile
}

// openFile is a regular file being written.
type openFile struct {
	name   string // name in the root
	member string // member name in the archive
	f      *os.File
	dev    uint64
	ino    uint64
}

const (
	blockSize = 4096      // granularity of holes
	bufSize   = 256 << 10 // copy buffer
	dirPerm   = 0o777     // implicit directories, less the umask, as GNU tar
	filePerm  = 0o600     // files while being written
)

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
	if w.euid != 0 {
		// There is no way to read the umask without setting it.
		old := unix.Umask(0)
		unix.Umask(old)
		w.umask = uint32(old)
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
// (when root; otherwise a warning and the member is skipped). Extended and
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
			w.warn(quoteName(hdr.Name) + ": not creating device node: not running as root")
			return nil
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

func (w *Writer) isClosed() bool {
	w.life.RLock()
	defer w.life.RUnlock()
	return w.closed
}

// begin claims name for member seq (auto: the next number). With ok true it
// returns with n.mu held; the caller must call end. ok is false when a member
// with a higher number owns the path. A member below a symbolic or hard link
// that an earlier member will create is refused, as GNU tar cannot create it
// either (the link is not a directory yet when the member comes).
func (w *Writer) begin(seq int64, auto bool, name, member string) (n *node, ok bool, err error) {
	w.mu.Lock()
	if auto {
		w.maxSeq++
		seq = w.maxSeq
	} else if seq > w.maxSeq {
		w.maxSeq = seq
	}
	for p := name; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
		if m := w.nodes[p]; m != nil && m.claimed && m.seq < seq && (m.kind == kindSymlink || m.kind == kindLink) {
			w.mu.Unlock()
			what := "symbolic link"
			if m.kind == kindLink {
				what = "hard link"
			}
			return nil, false, &MemberError{Member: member, Op: "parent " + quoteName(p) + " is a " + what + " in the archive", Err: ErrUnsafePath}
		}
	}
	n = w.nodes[name]
	if n == nil {
		n = new(node)
		w.nodes[name] = n
	}
	w.mu.Unlock()

	n.mu.Lock()
	if n.claimed && seq < n.seq {
		n.mu.Unlock()
		return nil, false, nil
	}
	w.mu.Lock()
	old := n.file
	n.claimed, n.seq, n.kind, n.hdr, n.target, n.file = true, seq, kindNone, nil, "", nil
	w.mu.Unlock()
	if old != nil {
		w.supersede(old)
	}
	return n, true, nil
}

// end records what the member that called begin made and releases n.
func (w *Writer) end(n *node, k kind, hdr *tar.Header, target string) {
	w.mu.Lock()
	n.kind, n.hdr, n.target = k, hdr, target
	w.mu.Unlock()
	n.mu.Unlock()
}

// writeFile creates a regular file and copies r into it.
func (w *Writer) writeFile(seq int64, auto bool, name string, hdr *tar.Header, r io.Reader) (err error) {
	n, ok, err := w.begin(seq, auto, name, hdr.Name)
	if err != nil || !ok {
		return err
	}
	k := kindNone
	defer func() { w.end(n, k, nil, "") }()

	of, err := w.create(name, hdr.Name)
	if err != nil {
		return err
	}
	if err := w.fill(of, hdr.Size, r); err != nil {
		w.release(of, true)
		return err
	}
	var errs []error
	if err := withFD(of.f, func(fd int) error { return w.applyFD(fd, hdr) }); err != nil {
		errs = append(errs, err)
	}
	if err := w.release(of, false); err != nil {
		errs = append(errs, err)
	} else {
		k = kindFile
	}
	return errors.Join(errs...)
}

// fill copies size bytes from r to the new file of, leaving zero blocks as
// holes, and truncates the file to size.
func (w *Writer) fill(of *openFile, size int64, r io.Reader) error {
	var off int64
	if r != nil {
		bp := w.bufs.Get().(*[]byte)
		defer w.bufs.Put(bp)
		buf := *bp
		for {
			// Fill buf, keeping any error that comes with the last bytes
			// (io.ReadFull would drop it when buf fills).
			nr := 0
			var rerr error
			for nr < len(buf) && rerr == nil {
				var k int
				k, rerr = r.Read(buf[nr:])
				nr += k
			}
			if int64(nr) > size-off {
				return &MemberError{Member: of.member, Op: "reading data", Err: fmt.Errorf("more than %d bytes", size)}
			}
			if rerr != nil && rerr != io.EOF {
				return memberErr(of.member, "reading data", rerr)
			}
			if nr > 0 {
				if _, err := w.writeSparse(of.f, buf[:nr], off); err != nil {
					return memberErr(of.member, "cannot write", err)
				}
				off += int64(nr)
			}
			if rerr == io.EOF {
				break
			}
		}
	}
	if off != size {
		return &MemberError{Member: of.member, Op: fmt.Sprintf("reading data: got %d of %d bytes", off, size), Err: io.ErrUnexpectedEOF}
	}
	if err := of.f.Truncate(size); err != nil {
		return memberErr(of.member, "cannot truncate", err)
	}
	return nil
}

// writeSparse writes p at off in a file that reads as zeros where nothing was
// written, skipping the zero bytes of p in runs aligned to blockSize, so that
// whole zero blocks become holes. It returns how many bytes of p are on disk.
func (w *Writer) writeSparse(f *os.File, p []byte, off int64) (int, error) {
	i := 0
	for i < len(p) {
		end := min(len(p), i+blockSize-int((off+int64(i))%blockSize))
		if w.isZero(p[i:end]) {
			i = end
			continue
		}
		j := end // aligned from here on
		for j < len(p) {
			e := min(len(p), j+blockSize)
			if w.isZero(p[j:e]) {
				break
			}
			j = e
		}
		if n, err := f.WriteAt(p[i:j], off+int64(i)); err != nil {
			return i + n, err
		}
		i = j
	}
	return len(p), nil
}

func (w *Writer) isZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(w.zero))
		if string(b[:n]) != string(w.zero[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

// create creates the regular file name, replacing what is there, and
// registers it as being written.
func (w *Writer) create(name, member string) (*openFile, error) {
	w.life.RLock()
	defer w.life.RUnlock()
	if w.closed {
		return nil, &MemberError{Member: member, Err: ErrClosed}
	}
	var f *os.File
	err := w.retry(name, func() error {
		return w.inCachedParent(name, func(dirfd int, base string) error {
			// O_EXCL: an existing entry, a symbolic link included, is
			// never opened; retry removes it first.
			fd, err := unix.Openat(dirfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(filePerm))
			if err != nil {
				return &fs.PathError{Op: "open", Path: name, Err: err}
			}
			f = os.NewFile(uintptr(fd), name)
			return nil
		})
	})
	if err != nil {
		return nil, memberErr(member, "cannot open", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		w.root.Remove(name)
		return nil, memberErr(member, "cannot stat", err)
	}
	of := &openFile{name: name, member: member, f: f}
	of.dev, of.ino = inode(fi)
	w.mu.Lock()
	w.inflight[of] = struct{}{}
	w.mu.Unlock()
	return of, nil
}

// retry calls op, which creates name, and when it fails because name exists
// removes what is there (a directory only if empty) and when it fails because
// the parent is missing creates the parent, and tries again.
func (w *Writer) retry(name string, op func() error) error {
	var err error
	for range 3 {
		err = op()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, fs.ErrExist):
			// What is removed may be a directory with cached handles.
			w.dirs.drop()
			if rerr := w.root.Remove(name); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				return fmt.Errorf("cannot remove existing entry: %w", rerr)
			}
		case errors.Is(err, fs.ErrNotExist):
			if merr := w.mkParents(name); merr != nil {
				return merr
			}
		default:
			return err
		}
	}
	return err
}

// mkParents creates the missing parents of name, as GNU tar does, with mode
// 0o777 less the umask.
func (w *Writer) mkParents(name string) error {
	dir := path.Dir(name)
	if dir == "." {
		return nil
	}
	if err := w.root.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("cannot create parent directory: %w", err)
	}
	return nil
}

// release closes of and ends its registration. With remove, or if Abort took
// it, the file is removed. It reports ErrClosed if Abort took the file.
func (w *Writer) release(of *openFile, remove bool) error {
	cerr := of.f.Close()
	w.mu.Lock()
	_, mine := w.inflight[of]
	delete(w.inflight, of)
	w.mu.Unlock()
	if !mine {
		return &MemberError{Member: of.member, Err: ErrClosed}
	}
	if remove {
		w.removeFile(of)
		return nil
	}
	if cerr != nil {
		return memberErr(of.member, "cannot close", cerr)
	}
	return nil
}

// removeFile removes the file of if its name still refers to it.
func (w *Writer) removeFile(of *openFile) {
	if fi, err := w.root.Lstat(of.name); err == nil && sameInode(fi, of.dev, of.ino) {
		w.root.Remove(of.name)
	}
}

// takeInflight empties the set of files being written and returns them.
func (w *Writer) takeInflight() []*openFile {
	w.mu.Lock()
	defer w.mu.Unlock()
	ofs := make([]*openFile, 0, len(w.inflight))
	for of := range w.inflight {
		ofs = append(ofs, of)
	}
	clear(w.inflight)
	slices.SortFunc(ofs, func(a, b *openFile) int { return strings.Compare(a.name, b.name) })
	return ofs
}

// writeDir creates a directory, or keeps an existing one; its metadata is set
// by Close.
func (w *Writer) writeDir(seq int64, auto bool, name string, hdr *tar.Header) error {
	n, ok, err := w.begin(seq, auto, name, hdr.Name)
	if err != nil || !ok {
		return err
	}
	k := kindNone
	h := *hdr
	defer func() { w.end(n, k, &h, "") }()
	// Created writable by its owner, so members can go in; Close sets the
	// mode.
	perm := fs.FileMode(w.mode(hdr)&0o777 | 0o700)
	err = w.retryDir(name, func() error {
		return w.inCachedParent(name, func(dirfd int, base string) error {
			if err := unix.Mkdirat(dirfd, base, uint32(perm)); err != nil {
				return &fs.PathError{Op: "mkdir", Path: name, Err: err}
			}
			return nil
		})
	})
	if err != nil {
		return memberErr(hdr.Name, "cannot mkdir", err)
	}
	k = kindDir
	return nil
}

// retryDir is retry for a directory: an existing directory is kept.
func (w *Writer) retryDir(name string, op func() error) error {
	return w.retry(name, func() error {
		err := op()
		if errors.Is(err, fs.ErrExist) {
			if fi, serr := w.root.Lstat(name); serr == nil && fi.IsDir() {
				return nil
			}
		}
		return err
	})
}

// deferLink records a symbolic link (target empty) or a hard link to target,
// for Close to create.
func (w *Writer) deferLink(seq int64, auto bool, name, target string, hdr *tar.Header) error {
	n, ok, err := w.begin(seq, auto, name, hdr.Name)
	if err != nil || !ok {
		return err
	}
	h := *hdr
	k := kindSymlink
	if hdr.Typeflag == tar.TypeLink {
		k = kindLink
	}
	w.end(n, k, &h, target)
	return nil
}

// writeSpecial creates a FIFO or device node.
func (w *Writer) writeSpecial(seq int64, auto bool, name string, hdr *tar.Header) error {
	n, ok, err := w.begin(seq, auto, name, hdr.Name)
	if err != nil || !ok {
		return err
	}
	k := kindNone
	defer func() { w.end(n, k, nil, "") }()
	var mode uint32
	dev := 0
	switch hdr.Typeflag {
	case tar.TypeFifo:
		mode = unix.S_IFIFO
	case tar.TypeChar:
		mode = unix.S_IFCHR
		dev = int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
	case tar.TypeBlock:
		mode = unix.S_IFBLK
		dev = int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
	}
	var metaErr error
	err = w.inParent(name, true, func(dirfd int, base string) error {
		err := retryAt(dirfd, base, func() error {
			return unix.Mknodat(dirfd, base, mode|filePerm, dev)
		})
		if err != nil {
			return err
		}
		k = kindSpecial
		metaErr = w.applyAt(dirfd, base, hdr, false)
		return nil
	})
	if err != nil {
		return memberErr(hdr.Name, "cannot mknod", err)
	}
	return metaErr
}

// retryAt calls op, which creates base in dirfd, and once more after
// removing what was there if op failed because base exists.
func retryAt(dirfd int, base string, op func() error) error {
	err := ignoringEINTR(op)
	if err == unix.EEXIST {
		if rerr := removeAt(dirfd, base); rerr != nil && rerr != unix.ENOENT {
			return fmt.Errorf("cannot remove existing entry: %w", rerr)
		}
		err = ignoringEINTR(op)
	}
	return err
}

// inParent calls fn with a descriptor of the parent directory of name, opened
// through the root, and the last element of name. With mkdir, a missing
// parent is created.
func (w *Writer) inParent(name string, mkdir bool, fn func(dirfd int, base string) error) error {
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	d, err := w.root.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil && mkdir && errors.Is(err, fs.ErrNotExist) {
		if err = w.mkParents(name); err == nil {
			d, err = w.root.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
		}
	}
	if err != nil {
		return err
	}
	defer d.Close()
	return withFD(d, func(fd int) error { return fn(fd, base) })
}

// Close finishes the extraction. It removes files from CreateFile whose
// pieces were not all done (reporting ErrIncomplete), then creates the hard
// links (whose targets must exist inside the root), then the symbolic links,
// then hard links to those symbolic links, and then sets the owners, modes
// and times of directories, deepest first. It closes the root and returns
// all errors, joined. Close must be called after all other calls have
// returned; calling it again, or after Abort, does nothing.
//
// Hard links are created last, so a hard link whose target is replaced by a
// later member links to the later file (GNU tar links to the earlier one).
func (w *Writer) Close() error {
	w.life.Lock()
	if w.closed {
		w.life.Unlock()
		return nil
	}
	w.closed = true
	w.life.Unlock()

	var errs []error
	for _, of := range w.takeInflight() {
		of.f.Close()
		w.removeFile(of)
		errs = append(errs, &MemberError{Member: of.member, Err: ErrIncomplete})
	}

	type entry struct {
		name string
		n    *node
	}
	var links, symlinks, dirs []entry
	w.mu.Lock()
	for name, n := range w.nodes {
		switch n.kind {
		case kindLink:
			links = append(links, entry{name, n})
		case kindSymlink:
			symlinks = append(symlinks, entry{name, n})
		case kindDir:
			dirs = append(dirs, entry{name, n})
		}
	}
	w.mu.Unlock()
	bySeq := func(a, b entry) int { return cmpInt(a.n.seq, b.n.seq) }
	slices.SortFunc(links, bySeq)
	slices.SortFunc(symlinks, bySeq)

	made := make(map[string]bool) // symbolic links created
	settled := make(map[string]bool)
	symlinksMade := false
	linkPhase := func() {
		for progress := true; progress; {
			progress = false
			rest := links[:0]
			for _, l := range links {
				t := w.kindOf(l.n.target)
				if t == kindLink && !settled[l.n.target] || t == kindSymlink && !symlinksMade {
					rest = append(rest, l)
					continue
				}
				if err := w.makeLink(l.name, l.n, made); err != nil {
					errs = append(errs, err)
				}
				settled[l.name] = true
				progress = true
			}
			links = rest
		}
	}
	linkPhase()
	for _, s := range symlinks {
		if err := w.makeSymlink(s.name, s.n.hdr, made); err != nil {
			errs = append(errs, err)
		}
	}
	symlinksMade = true
	linkPhase()
	for _, l := range links {
		errs = append(errs, &MemberError{Member: l.n.hdr.Name, Op: "cannot hard link to " + quoteName(l.n.hdr.Linkname), Err: errors.New("hard link loop")})
	}

	slices.SortFunc(dirs, func(a, b entry) int {
		if c := cmpInt(strings.Count(b.name, "/"), strings.Count(a.name, "/")); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	for _, d := range dirs {
		if err := w.setDir(d.name, d.n.hdr, made); err != nil {
			errs = append(errs, err)
		}
	}
	w.dirs.drop()
	if err := w.root.Close(); err != nil {
		errs = append(errs, fmt.Errorf("extract: %w", err))
	}
	return errors.Join(errs...)
}

// kindOf returns what the node of name holds.
func (w *Writer) kindOf(name string) kind {
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := w.nodes[name]; n != nil {
		return n.kind
	}
	return kindNone
}

func cmpInt[T int | int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// viaSymlink returns the first parent of name that is a symbolic link
// created from the archive, or "".
func viaSymlink(name string, made map[string]bool) string {
	for i := 0; i < len(name); i++ {
		if name[i] == '/' && made[name[:i]] {
			return name[:i]
		}
	}
	return ""
}

// makeLink creates the hard link of node n at name.
func (w *Writer) makeLink(name string, n *node, made map[string]bool) error {
	member, target := n.hdr.Name, n.target
	op := "cannot hard link to " + quoteName(n.hdr.Linkname)
	for _, p := range []string{name, target} {
		if s := viaSymlink(p, made); s != "" {
			return &MemberError{Member: member, Op: op + ": " + quoteName(s) + " is a symbolic link in the archive", Err: ErrUnsafePath}
		}
	}
	tfi, err := w.root.Lstat(target)
	if err != nil {
		return memberErr(member, op, err)
	}
	if tfi.IsDir() {
		return memberErr(member, op, unix.EPERM)
	}
	if target == name {
		return nil
	}
	dev, ino := inode(tfi)
	err = w.retry(name, func() error {
		err := w.root.Link(target, name)
		if errors.Is(err, fs.ErrExist) {
			if fi, serr := w.root.Lstat(name); serr == nil && sameInode(fi, dev, ino) {
				return nil // already linked
			}
		}
		return err
	})
	if err != nil {
		return memberErr(member, op, err)
	}
	return nil
}

// makeSymlink creates the symbolic link of hdr at name.
func (w *Writer) makeSymlink(name string, hdr *tar.Header, made map[string]bool) error {
	op := "cannot create symlink to " + quoteName(hdr.Linkname)
	if s := viaSymlink(name, made); s != "" {
		return &MemberError{Member: hdr.Name, Op: op + ": " + quoteName(s) + " is a symbolic link in the archive", Err: ErrUnsafePath}
	}
	var metaErr error
	err := w.inParent(name, true, func(dirfd int, base string) error {
		err := retryAt(dirfd, base, func() error { return unix.Symlinkat(hdr.Linkname, dirfd, base) })
		if err != nil {
			return err
		}
		made[name] = true
		metaErr = w.applyAt(dirfd, base, hdr, true)
		return nil
	})
	if err != nil {
		return memberErr(hdr.Name, op, err)
	}
	return metaErr
}

// setDir sets the owner, mode and time of directory name.
func (w *Writer) setDir(name string, hdr *tar.Header, made map[string]bool) error {
	if s := viaSymlink(name, made); s != "" {
		return &MemberError{Member: hdr.Name, Op: "cannot set metadata: " + quoteName(s) + " is a symbolic link in the archive", Err: ErrUnsafePath}
	}
	err := w.inParent(name, false, func(dirfd int, base string) error {
		var fd int
		err := ignoringEINTR(func() (err error) {
			fd, err = unix.Openat(dirfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			return err
		})
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return w.applyFD(fd, hdr)
	})
	if err != nil {
		return memberErr(hdr.Name, "cannot set metadata", err)
	}
	return nil
}

// Abort removes the files that are being written (from WriteEntry calls in
// progress and from CreateFile files whose pieces are not all done), so that
// no file is left that looks complete, and closes the root. Further calls
// fail with ErrClosed; calls in progress fail. Members already complete
// stay, and symbolic links, hard links and directory metadata not yet set by
// Close are not made. Abort after Close or Abort does nothing.
func (w *Writer) Abort() {
	w.life.Lock()
	if w.closed {
		w.life.Unlock()
		return
	}
	w.closed = true
	w.life.Unlock()
	for _, of := range w.takeInflight() {
		of.f.Close()
		w.removeFile(of)
	}
	w.dirs.drop()
	w.root.Close()
}
