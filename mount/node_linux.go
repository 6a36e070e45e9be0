//go:build linux

package mount

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"path"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/tarname"
)

// node is one file or directory of the mount. It keeps little, since
// the kernel may hold an inode of every entry of the archive at once
// (a find over it): attributes, link targets and extended attributes
// come from the index when asked (the kernel caches them).
type node struct {
	fs.Inode
	s *server
	// path is the cleaned path in the archive ("." for the top), kept
	// for directories only: their lookups and listings need it.
	path string
	ref
}

// ref is what a node needs of its member to serve it.
type ref struct {
	// seq is the member that bears the node (for a hard link, its
	// target), -1 for an implied directory.
	seq int64
	// data and size place a regular file's contents in the
	// decompressed stream; sparse ones are rebuilt from their header.
	data, size int64
	sparse     bool
}

// refOf returns the ref of member m (nil: an implied directory).
func refOf(m *index.Member) ref {
	if m == nil {
		return ref{seq: -1}
	}
	return ref{seq: m.Seq, data: m.DataOffset, size: m.Header.Size, sparse: !m.Contiguous()}
}

var (
	_ fs.NodeLookuper    = (*node)(nil)
	_ fs.NodeGetattrer   = (*node)(nil)
	_ fs.NodeOpener      = (*node)(nil)
	_ fs.NodeFlusher     = (*node)(nil)
	_ fs.NodeReader      = (*node)(nil)
	_ fs.NodeReadlinker  = (*node)(nil)
	_ fs.NodeGetxattrer  = (*node)(nil)
	_ fs.NodeListxattrer = (*node)(nil)
	_ fs.NodeStatfser    = (*node)(nil)
)

// entry returns the attributes and ref of the path p of the archive,
// as its directory lists it: a hard link shows its target. It looks p up
// in the index's tree directly: the kernel resolves symbolic links
// itself, so p's parent is a directory already, and a lookup costs one
// tree entry and one member record, whatever its depth.
func (s *server) entry(p string) (attr, ref, error) {
	e, err := s.a.Stat(p)
	if err != nil {
		return attr{}, ref{}, err
	}
	return s.entryOf(p, e)
}

// entryOf returns the attributes and ref of the tree entry e at p.
func (s *server) entryOf(p string, e *index.Entry) (attr, ref, error) {
	if e.Seq < 0 {
		return dirAttr(p, e.ModTime), refOf(nil), nil
	}
	m, err := s.a.Member(e.Seq)
	if err != nil {
		return attr{}, ref{}, err
	}
	m, err = s.linkTarget(m)
	if err != nil {
		return attr{}, ref{}, err
	}
	return memberAttr(m, s.nlink(m)), refOf(m), nil
}

// attr returns the attributes of n.
func (n *node) attr() (attr, error) {
	var a attr
	if n.seq >= 0 {
		m, err := n.s.a.Member(n.seq)
		if err != nil {
			return attr{}, err
		}
		a = memberAttr(m, n.s.nlink(m))
	} else {
		e, err := n.s.a.Stat(n.path)
		if err != nil {
			return attr{}, err
		}
		a = dirAttr(n.path, e.ModTime)
	}
	if n.path == "." {
		a.ino = rootIno
	}
	return a, nil
}

// member returns the member of n, nil for an implied directory.
func (n *node) member() (*index.Member, error) {
	if n.seq < 0 {
		return nil, nil
	}
	return n.s.a.Member(n.seq)
}

// linkTarget follows hard links from m to the member that holds the
// data, as extraction links them: by the target's cleaned name, which
// must be a member (not an implied directory). Other members are their
// own target.
func (s *server) linkTarget(m *index.Member) (*index.Member, error) {
	for range 40 {
		if m.Header.Typeflag != tar.TypeLink {
			return m, nil
		}
		p, ok := tarname.Path(m.Header.Linkname)
		if !ok {
			return nil, iofs.ErrNotExist
		}
		e, err := s.a.Stat(p)
		if err != nil {
			return nil, err
		}
		if e.Seq < 0 || e.Seq == m.Seq {
			return nil, iofs.ErrNotExist // a link to itself or to no member: tar -x fails
		}
		if m, err = s.a.Member(e.Seq); err != nil {
			return nil, err
		}
	}
	return nil, iofs.ErrNotExist
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if l := n.s.listings.get(n); l != nil {
		de := l.find(name)
		if de == nil {
			return nil, syscall.ENOENT
		}
		return n.lookupIn(ctx, de, out)
	}
	p := path.Join(n.path, name)
	if !iofs.ValidPath(p) {
		return nil, syscall.ENOENT
	}
	a, r, err := n.s.entry(p)
	if err != nil {
		return nil, n.s.errno("lookup "+p, err)
	}
	return n.newChild(ctx, p, a, r, out), 0
}

// newChild returns the inode of the child of n at path p, with
// attributes a, filling out.
func (n *node) newChild(ctx context.Context, p string, a attr, r ref, out *fuse.EntryOut) *fs.Inode {
	child := &node{s: n.s, ref: r}
	if a.mode&sIFMT == sIFDIR {
		child.path = p
	}
	a.fill(&out.Attr)
	return n.NewInode(ctx, child, fs.StableAttr{Mode: a.mode & sIFMT, Ino: a.ino})
}

func (n *node) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	a, err := n.attr()
	if err != nil {
		return n.s.errno("stat", err)
	}
	a.fill(&out.Attr)
	return 0
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC|syscall.O_APPEND) != 0 {
		return nil, 0, syscall.EROFS
	}
	if n.Mode()&sIFMT != sIFREG {
		return nil, 0, syscall.EINVAL
	}
	if n.s.noOpen.Load() {
		// The kernel then opens files itself, keeping their cached
		// pages (FOPEN_KEEP_CACHE), and sends neither OPEN nor RELEASE
		// again: two requests fewer a file. The mount is read-only, so
		// the kernel refuses writing opens itself.
		return nil, 0, syscall.ENOSYS
	}
	// The archive does not change: the kernel may keep what it cached.
	return nil, fuse.FOPEN_KEEP_CACHE, 0
}

// Flush answers that the file system needs no FLUSH on close (there is
// nothing to write back): the kernel sends no more.
func (n *node) Flush(ctx context.Context, f fs.FileHandle) syscall.Errno {
	return syscall.ENOSYS
}

func (n *node) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	s := n.s
	if s.opts.beforeRead != nil {
		s.opts.beforeRead(s.ctx)
	}
	if s.ctx.Err() != nil {
		return nil, syscall.EIO // unmounting
	}
	if n.Mode()&sIFMT != sIFREG || off >= n.size {
		return fuse.ReadResultData(nil), 0
	}
	end := min(off+int64(len(dest)), n.size)
	dest = dest[:end-off]
	var res fuse.ReadResult
	var err error
	if !n.sparse {
		var r *heldRead
		r, err = s.heldRead(n.data+off, len(dest))
		res = r
	} else {
		err = n.readSparse(dest, off)
		res = fuse.ReadResultData(dest)
	}
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.readError(n.seq, err)
		}
		return nil, syscall.EIO
	}
	return res, 0
}

// readSparse reads dest from offset off of a sparse member, which
// archive/tar rebuilds from its header: through a decoder of the pool,
// which keeps its place in the member for the next read.
func (n *node) readSparse(dest []byte, off int64) error {
	m, err := n.member()
	if err != nil {
		return err
	}
	s := n.s
	slot, err := s.pool.get(s.ctx, span{seq: m.Seq, off: off, end: off + int64(len(dest))})
	if err != nil {
		return err
	}
	defer s.pool.put(slot)
	k, err := slot.rr.ReadMemberAt(m, dest, off)
	if err == io.EOF && k == len(dest) {
		err = nil
	} else if err == nil && k < len(dest) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// heldRead is a read served from the cached blocks of the store, held
// until the reply is written: go-fuse writes the slices (Slices) to the
// kernel with one writev, without copying them, and then calls Done.
type heldRead struct {
	s    *store
	held []*block
	vecs [][]byte
}

var _ fuse.ReadResult = (*heldRead)(nil)

func (s *server) heldRead(off int64, n int) (*heldRead, error) {
	held, vecs, err := s.store.read(off, n)
	if err != nil {
		return nil, err
	}
	return &heldRead{s: s.store, held: held, vecs: vecs}, nil
}

// Slices returns the bytes of the read, in order.
func (r *heldRead) Slices() ([][]byte, fuse.Status) { return r.vecs, fuse.OK }

// Bytes returns the bytes of the read in one slice, copied into buf.
func (r *heldRead) Bytes(buf []byte) ([]byte, fuse.Status) {
	buf = buf[:0]
	for _, v := range r.vecs {
		buf = append(buf, v...)
	}
	return buf, fuse.OK
}

// Size returns the length of the read.
func (r *heldRead) Size() int {
	n := 0
	for _, v := range r.vecs {
		n += len(v)
	}
	return n
}

// Done gives back the blocks.
func (r *heldRead) Done() {
	if r.held != nil {
		r.s.release(r.held...)
		r.held, r.vecs = nil, nil
	}
}

func (n *node) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	if n.Mode()&sIFMT != sIFLNK {
		return nil, syscall.EINVAL
	}
	m, err := n.member()
	if err != nil {
		return nil, n.s.errno("readlink", err)
	}
	return []byte(m.Header.Linkname), 0
}

// xattrs returns the extended attributes of n (see xattrs).
func (n *node) xattrs() ([]string, map[string][]byte, syscall.Errno) {
	m, err := n.member()
	if err != nil {
		return nil, nil, n.s.errno("xattr", err)
	}
	if m == nil {
		return nil, nil, 0
	}
	names, values := xattrs(&m.Header)
	return names, values, 0
}

func (n *node) Getxattr(ctx context.Context, name string, dest []byte) (uint32, syscall.Errno) {
	_, values, errno := n.xattrs()
	if errno != 0 {
		return 0, errno
	}
	v, ok := values[name]
	if !ok {
		return 0, syscall.ENODATA
	}
	if len(dest) < len(v) {
		return uint32(len(v)), syscall.ERANGE
	}
	return uint32(copy(dest, v)), 0
}

func (n *node) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	names, _, errno := n.xattrs()
	if errno != 0 {
		return 0, errno
	}
	var b []byte
	for _, name := range names {
		b = append(append(b, name...), 0)
	}
	if len(dest) < len(b) {
		return uint32(len(b)), syscall.ERANGE
	}
	return uint32(copy(dest, b)), 0
}

func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	info := n.s.a.Info()
	out.Bsize = 4096
	out.Frsize = 4096
	out.Blocks = uint64(info.UncompressedSize+4095) / 4096
	out.Files = uint64(info.Members)
	out.NameLen = 255
	return 0
}

// fill copies a into the attributes FUSE returns.
func (a *attr) fill(out *fuse.Attr) {
	out.Ino = a.ino
	out.Mode = a.mode
	out.Size = uint64(a.size)
	out.Blocks = a.blocks
	out.Blksize = 4096
	out.Nlink = a.nlink
	out.Owner = fuse.Owner{Uid: a.uid, Gid: a.gid}
	out.Rdev = a.rdev
	out.SetTimes(&a.atime, &a.mtime, &a.ctime)
}

// notExist reports whether err says that a path or member does not exist.
func notExist(err error) bool {
	return errors.Is(err, iofs.ErrNotExist) || errors.Is(err, index.ErrNotFound)
}

// errno maps an error of the index to an errno, logging what is not a
// plain "no such file".
func (s *server) errno(op string, err error) syscall.Errno {
	if notExist(err) {
		return syscall.ENOENT
	}
	s.opts.log(fmt.Sprintf("%s: %v", op, err))
	return syscall.EIO
}

// readError logs a failed read, once per member.
func (s *server) readError(seq int64, err error) {
	if _, seen := s.failed.LoadOrStore(seq, true); seen {
		return
	}
	name := fmt.Sprintf("member %d", seq)
	if m, merr := s.a.Member(seq); merr == nil {
		name = m.Header.Name
	}
	s.opts.log(fmt.Sprintf("%s: %s: %v", s.a.Info().Archive, name, err))
}
