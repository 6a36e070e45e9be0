package index

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/tarx-dev/tarx/internal/tarname"
	bolt "go.etcd.io/bbolt"
)

// FS returns the archive as an io/fs.FS: a read-only file tree of its
// members, as extracting them would leave it (a later member of the same
// name wins; leading "/" and "./" are dropped; names with ".." elements
// are left out). Directories missing from the archive but implied by
// member names exist. Symbolic links are followed within the archive;
// hard links read their target's contents.
//
// FileInfo.Sys of a file or directory member returns its *Member (the
// target's for a hard link); of an implied directory, nil.
//
// Open files are read with a checked reader: a read that reaches the end
// of a file has verified its CRC-32 against the index. Files also
// implement io.Seeker (Reads after a Seek are checked only when they reach
// the end) and io.ReaderAt, whose reads are checked 64 KiB block by block
// before they return (see RangeReader). The FS is safe for concurrent use.
func (a *Archive) FS() (fs.FS, error) {
	return &tree{a: a}, nil
}

// tree is the FS of an archive, served from the index's directory tree:
// nothing is held per member, and a lookup reads one tree chunk per path
// element.
type tree struct {
	a *Archive
}

// node is one file or directory of the tree.
type node struct {
	name  string // base name
	m     *Member
	dir   bool
	mtime time.Time // of an implied directory: its newest member's
}

// newNode returns the node of entry e, whose member (if any) is m.
func newNode(e *Entry, m *Member) *node {
	return &node{name: e.Name(), m: m, dir: e.Dir, mtime: e.ModTime}
}

// node returns the node at the cleaned path p, not following links.
func (t *tree) node(p string) (*node, error) {
	e, err := t.a.Stat(p)
	if err != nil {
		return nil, fs.ErrNotExist
	}
	var m *Member
	if e.Seq >= 0 {
		if m, err = t.a.member(e.Seq); err != nil {
			return nil, err
		}
	}
	if e.Path == "." {
		return &node{name: ".", dir: true}, nil
	}
	return newNode(e, m), nil
}

// resolve follows symbolic and hard links from name to the node holding
// the data.
func (t *tree) resolve(name string) (*node, string, error) {
	for range 40 {
		n, err := t.node(name)
		if err != nil {
			return nil, name, err
		}
		if n.m == nil {
			return n, name, nil
		}
		switch n.m.Header.Typeflag {
		case tar.TypeSymlink:
			target := n.m.Header.Linkname
			if path.IsAbs(target) {
				return nil, name, fs.ErrNotExist // outside the archive
			}
			name = path.Join(path.Dir(name), target)
			if !fs.ValidPath(name) {
				return nil, name, fs.ErrNotExist
			}
		case tar.TypeLink:
			target, ok := tarname.Path(n.m.Header.Linkname)
			if !ok {
				return nil, name, fs.ErrNotExist
			}
			name = target
		default:
			return n, name, nil
		}
	}
	return nil, name, errors.New("too many links")
}

// Open implements fs.FS.
func (t *tree) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	n, resolved, err := t.resolve(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	info := n.info(path.Base(name))
	if n.dir {
		return &dirFile{t: t, path: resolved, info: info}, nil
	}
	return &file{t: t, m: n.m, info: info}, nil
}

// Stat implements fs.StatFS.
func (t *tree) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	n, _, err := t.resolve(name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return n.info(path.Base(name)), nil
}

// info returns the FileInfo of n under the given base name.
func (n *node) info(name string) fs.FileInfo {
	if n.m != nil {
		return nodeInfo{name: name, fi: n.m.Header.FileInfo(), m: n.m}
	}
	return nodeInfo{name: name, dir: true, mtime: n.mtime}
}

// entryInfo is the FileInfo of a directory entry: a hard link shows its
// target's, as a file system would; a symbolic link shows itself.
func (t *tree) entryInfo(dir string, n *node) fs.FileInfo {
	if n.m != nil && n.m.Header.Typeflag == tar.TypeLink {
		if target, _, err := t.resolve(path.Join(dir, n.name)); err == nil {
			return target.info(n.name)
		}
	}
	return n.info(n.name)
}

// nodeInfo is the FileInfo of a node: a member's, or an implied directory's.
type nodeInfo struct {
	name  string
	fi    fs.FileInfo // nil for an implied directory
	m     *Member     // the member, nil for an implied directory
	dir   bool
	mtime time.Time // of an implied directory
}

func (i nodeInfo) Name() string { return i.name }
func (i nodeInfo) Size() int64 {
	if i.fi == nil {
		return 0
	}
	return i.fi.Size()
}
func (i nodeInfo) Mode() fs.FileMode {
	if i.fi == nil {
		return fs.ModeDir | 0o755
	}
	return i.fi.Mode()
}
func (i nodeInfo) ModTime() time.Time {
	if i.fi == nil {
		return i.mtime
	}
	return i.fi.ModTime()
}
func (i nodeInfo) IsDir() bool { return i.Mode().IsDir() }

// Sys returns the *Member, or nil for an implied directory.
func (i nodeInfo) Sys() any {
	if i.m == nil {
		return nil
	}
	return i.m
}

// dirFile is an open directory. Its entries are read from the tree on
// the first ReadDir.
type dirFile struct {
	t        *tree
	path     string
	info     fs.FileInfo
	children []*node
	loaded   bool
	off      int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: errors.New("is a directory")}
}
func (d *dirFile) Close() error { return nil }

// ReadDir implements fs.ReadDirFile.
func (d *dirFile) ReadDir(count int) ([]fs.DirEntry, error) {
	if !d.loaded {
		kids, err := d.t.a.children(d.path)
		if err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: d.path, Err: err}
		}
		d.children, d.loaded = kids, true
	}
	rest := d.children[d.off:]
	if count > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if count > 0 && count < len(rest) {
		rest = rest[:count]
	}
	d.off += len(rest)
	out := make([]fs.DirEntry, len(rest))
	for i, c := range rest {
		out[i] = fs.FileInfoToDirEntry(d.t.entryInfo(d.path, c))
	}
	return out, nil
}

// children returns the nodes of the directory dir, in name order, reading
// their members in one pass over the member chunks.
func (a *Archive) children(dir string) ([]*node, error) {
	var entries []*Entry
	var seqs []int64
	var out []*node
	err := view(a.db, func(tx *bolt.Tx) error {
		if err := readDir(tx, dir, func(e *Entry) error {
			entries = append(entries, e)
			if e.Seq >= 0 {
				seqs = append(seqs, e.Seq)
			}
			return nil
		}); err != nil {
			return err
		}
		slices.Sort(seqs)
		ms := make(map[int64]*Member, len(seqs))
		if err := membersBySeq(tx, slices.Compact(seqs), func(m *Member) error {
			ms[m.Seq] = m
			return nil
		}); err != nil {
			return err
		}
		out = make([]*node, len(entries))
		for i, e := range entries {
			out[i] = newNode(e, ms[e.Seq])
		}
		return nil
	})
	return out, err
}

// file is an open regular (or special) member.
type file struct {
	t    *tree
	m    *Member
	info fs.FileInfo

	mu  sync.Mutex
	off int64        // offset of the next Read
	rd  cursor       // serves Read
	at  *RangeReader // serves ReadAt; nil until the first
}

// cursor is a positioned reader of a member's contents.
type cursor struct {
	mr  *MemberReader // the stream behind r; nil if closed
	r   io.Reader
	off int64 // offset of the next byte r returns
}

// seek positions c at offset off of m's contents. It reads forward from
// the current position when off is at most ReadAhead ahead; otherwise it
// reopens: through the checked tar header at 0, or straight at the data
// for a contiguous member.
func (c *cursor) seek(a *Archive, m *Member, off int64) error {
	if c.mr != nil && off >= c.off && off-c.off <= a.ReadAhead() {
		n, err := io.CopyN(io.Discard, c.r, off-c.off)
		c.off += n
		if err == nil {
			return nil
		}
	}
	c.close()
	if off == 0 || !m.Contiguous() {
		mr := a.NewMemberReader()
		_, r, err := mr.Open(m)
		if err != nil {
			mr.Close()
			return err
		}
		c.mr, c.r, c.off = mr, r, 0
		return c.seek(a, m, off)
	}
	r, err := a.OpenAt(m.DataOffset + off)
	if err != nil {
		return err
	}
	c.mr, c.r, c.off = &MemberReader{a: a, r: r}, io.LimitReader(r, m.Header.Size-off), off
	return nil
}

func (c *cursor) read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.off += int64(n)
	return n, err
}

func (c *cursor) close() {
	if c.mr != nil {
		c.mr.Close()
		c.mr, c.r = nil, nil
	}
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }

func (f *file) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.off >= f.m.Header.Size {
		return 0, io.EOF
	}
	if f.rd.mr == nil || f.rd.off != f.off {
		if err := f.rd.seek(f.t.a, f.m, f.off); err != nil {
			return 0, err
		}
	}
	n, err := f.rd.read(p)
	f.off += int64(n)
	return n, err
}

// Seek implements io.Seeker.
func (f *file) Seek(offset int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.m.Header.Size
	default:
		return 0, errors.New("index: seek: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("index: seek: negative position")
	}
	f.off = offset
	return offset, nil
}

// ReadAt implements io.ReaderAt. Every 64 KiB block of the archive's
// stream that a read covers is checked against the index before any of
// it is returned (see RangeReader).
func (f *file) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.at == nil {
		f.at = f.t.a.NewRangeReader()
	}
	return f.at.ReadMemberAt(f.m, p, off)
}

func (f *file) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rd.close()
	if f.at != nil {
		f.at.Close()
	}
	return nil
}

// lnode returns the node at name without following a final symbolic link.
func (t *tree) lnode(op, name string) (*node, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &node{name: ".", dir: true}, nil
	}
	_, dir, err := t.resolve(path.Dir(name))
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	n, err := t.node(path.Join(dir, path.Base(name)))
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return n, nil
}

// Lstat implements fs.ReadLinkFS.
func (t *tree) Lstat(name string) (fs.FileInfo, error) {
	n, err := t.lnode("lstat", name)
	if err != nil {
		return nil, err
	}
	return t.entryInfo(path.Dir(name), n), nil
}

// ReadLink implements fs.ReadLinkFS.
func (t *tree) ReadLink(name string) (string, error) {
	n, err := t.lnode("readlink", name)
	if err != nil {
		return "", err
	}
	if n.m == nil || n.m.Header.Typeflag != tar.TypeSymlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return n.m.Header.Linkname, nil
}
