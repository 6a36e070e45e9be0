//go:build linux

package mount

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/tarx-dev/tarx/index"
)

// listing is the list of a directory's entries, made once per open
// directory and not changed after: each entry's name, type and inode
// number, which is all a READDIR answers. The members of the directory
// are decoded together (index.Archive.MembersOf, a chunk of records at a
// time), and no attributes are computed until a lookup asks for them.
// Entries are sorted by name, so that lookups can search them.
type listing struct {
	ents  []dirEnt
	errno syscall.Errno
}

// dirEnt is one entry of a listing.
type dirEnt struct {
	e    *index.Entry
	name string
	mode uint32 // file type bits
	ino  uint64
}

// list lists the directory n.
func (s *server) list(n *node) *listing {
	var entries []*index.Entry
	err := s.a.ReadDir(n.path, func(e *index.Entry) error {
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return &listing{errno: s.errno("readdir "+n.path, err)}
	}
	l := &listing{ents: make([]dirEnt, len(entries))}
	// The members, in archive order: neighbours share a chunk of records.
	var order []int
	for i, e := range entries {
		l.ents[i] = dirEnt{e: e, name: e.Name()}
		if e.Seq < 0 {
			l.ents[i].mode, l.ents[i].ino = sIFDIR, inoOf(nil, e.Path)
			continue
		}
		order = append(order, i)
	}
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(entries[i].Seq, entries[j].Seq) })
	seqs := make([]int64, len(order))
	for k, i := range order {
		seqs[k] = entries[i].Seq
	}
	k := 0
	err = s.a.MembersOf(seqs, func(m *index.Member) error {
		de := &l.ents[order[k]]
		k++
		t, err := s.linkTarget(m)
		if notExist(err) {
			de.e = nil // a dangling hard link, left out as Lookup leaves it out
			return nil
		}
		if err != nil {
			return err
		}
		de.mode, de.ino = fileType(t.Header.Typeflag), inoOf(t, "")
		return nil
	})
	if err != nil {
		return &listing{errno: s.errno("readdir "+n.path, err)}
	}
	l.ents = slices.DeleteFunc(l.ents, func(de dirEnt) bool { return de.e == nil })
	// The tree lists names in order already; this makes sure of it.
	slices.SortStableFunc(l.ents, func(a, b dirEnt) int { return strings.Compare(a.name, b.name) })
	return l
}

// find returns the entry named name, or nil.
func (l *listing) find(name string) *dirEnt {
	i, ok := slices.BinarySearchFunc(l.ents, name, func(de dirEnt, name string) int { return strings.Compare(de.name, name) })
	if !ok {
		return nil
	}
	return &l.ents[i]
}

// listings keeps the last few listings made, for the lookups that
// follow a listing (ls -l, diff -r, rsync stat what they listed): such a
// lookup searches the listing instead of the index's tree, and the
// lookup of a name the directory lacks needs no index at all.
type listings struct {
	mu    sync.Mutex
	dirs  []*node // most recently listed last
	lists []*listing
}

// keptListings is how many listings a server keeps after their
// directories are closed.
const keptListings = 8

// keptEntries is the size of the biggest listing kept after its
// directory is closed (about 100 bytes an entry).
const keptEntries = 1 << 16

func (c *listings) put(dir *node, l *listing) {
	if l.errno != 0 || len(l.ents) > keptEntries {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.dirs, dir); i >= 0 {
		c.dirs, c.lists = slices.Delete(c.dirs, i, i+1), slices.Delete(c.lists, i, i+1)
	} else if len(c.dirs) == keptListings {
		c.dirs, c.lists = slices.Delete(c.dirs, 0, 1), slices.Delete(c.lists, 0, 1)
	}
	c.dirs, c.lists = append(c.dirs, dir), append(c.lists, l)
}

// get returns the listing of dir if it is kept, or nil.
func (c *listings) get(dir *node) *listing {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.dirs, dir); i >= 0 {
		return c.lists[i]
	}
	return nil
}

// dirHandle is an open directory. Its listing is made at the first
// READDIR of the handle (a kernel that cached the listing sends none),
// and every READDIR after it answers from that listing, at the offset
// the kernel asks for.
type dirHandle struct {
	dir  *node
	l    *listing
	next int // index of the entry Readdirent returns next
}

var (
	_ fs.NodeOpendirHandler = (*node)(nil)
	_ fs.FileReaddirenter   = (*dirHandle)(nil)
	_ fs.FileSeekdirer      = (*dirHandle)(nil)
	_ fs.FileLookuper       = (*dirHandle)(nil)
)

// OpendirHandle opens the directory n. The archive is immutable, so the
// kernel may keep the listing in its cache (FOPEN_CACHE_DIR) and list
// the directory again without asking.
func (n *node) OpendirHandle(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	return &dirHandle{dir: n}, fuse.FOPEN_CACHE_DIR | fuse.FOPEN_KEEP_CACHE, 0
}

func (h *dirHandle) listing() *listing {
	if h.l == nil {
		s := h.dir.s
		h.l = s.list(h.dir)
		s.listings.put(h.dir, h.l)
	}
	return h.l
}

// Readdirent returns the next entry, nil at the end.
func (h *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	l := h.listing()
	if l.errno != 0 {
		return nil, l.errno
	}
	if h.next >= len(l.ents) {
		return nil, 0
	}
	de := &l.ents[h.next]
	h.next++
	return &fuse.DirEntry{Name: de.name, Mode: de.mode, Ino: de.ino, Off: uint64(h.next)}, 0
}

// Seekdir goes to the offset off, as Readdirent numbers its entries (0
// is the start).
func (h *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	l := h.listing()
	if l.errno != 0 {
		return l.errno
	}
	if off > uint64(len(l.ents)) {
		return syscall.EINVAL
	}
	h.next = int(off)
	return 0
}

// plusEntries is the size of the largest directory whose entries a
// READDIRPLUS reply gives with their attributes. The kernel asks for them
// in the first reply of every listing (about 150 entries fit in it), so
// that a program that stats what it lists (ls -l, diff -r) needs no
// lookup per entry; but a program that does not (find) then costs an
// inode in go-fuse and in the kernel per entry. In a small directory the
// first reply holds the whole listing and saves a lookup per entry; in a
// bigger one it holds a small part of it, and a program that stats the
// entries looks up the rest anyway (from the kept listing, see
// listings), so its entries come without attributes (a zero node ID,
// which the kernel takes as a plain entry).
const plusEntries = 256

// Lookup looks up the entry Readdirent returned last, for READDIRPLUS,
// in a directory of at most plusEntries entries.
func (h *dirHandle) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	l := h.listing()
	if len(l.ents) > plusEntries {
		return nil, syscall.ENOENT // a plain entry, not a negative one
	}
	if h.next == 0 || h.next > len(l.ents) || l.ents[h.next-1].name != name {
		return h.dir.Lookup(ctx, name, out)
	}
	return h.dir.lookupIn(ctx, &l.ents[h.next-1], out)
}

// lookupIn returns the child of n for its listed entry de.
func (n *node) lookupIn(ctx context.Context, de *dirEnt, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	a, r, err := n.s.entryOf(de.e.Path, de.e)
	if err != nil {
		return nil, n.s.errno("lookup "+de.e.Path, err)
	}
	return n.newChild(ctx, de.e.Path, a, r, out), 0
}
