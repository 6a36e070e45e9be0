//go:build linux

package mount

import (
	"sync"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/tarx-dev/tarx/index"
)

// listedCache holds, for each directory being listed, the entry its
// listing handed out last, with its attributes: with READDIRPLUS, go-fuse
// looks each entry up right after it lists it, and this spares that
// lookup the index. It holds one entry per open listing.
type listedCache struct {
	mu   sync.Mutex
	last map[*node]listedEntry
}

type listedEntry struct {
	name string
	a    attr
	r    ref
}

func (c *listedCache) put(dir *node, e listedEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[*node]listedEntry{}
	}
	c.last[dir] = e
}

// take returns the entry name of dir if its listing just handed it out.
func (c *listedCache) take(dir *node, name string) (listedEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.last[dir]
	if !ok || e.name != name {
		return listedEntry{}, false
	}
	delete(c.last, dir)
	return e, true
}

// drop forgets dir's entry: its listing ended.
func (c *listedCache) drop(dir *node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.last, dir)
}

// listing is the fs.DirStream of a directory: it computes each entry's
// attributes when go-fuse asks for the entry, so that a listing holds
// the directory's tree entries and nothing more, and leaves the entry in
// the listedCache for the lookup that follows.
type listing struct {
	dir     *node
	entries []*index.Entry
	i       int
	next    *listedEntry // computed by HasNext, handed out by Next
	errno   syscall.Errno
}

func (l *listing) HasNext() bool {
	s := l.dir.s
	for l.next == nil && l.errno == 0 && l.i < len(l.entries) {
		e := l.entries[l.i]
		l.i++
		a, r, err := s.entryOf(e.Path, e)
		if notExist(err) {
			continue // a dangling hard link, as in Lookup
		}
		if err != nil {
			l.errno = s.errno("readdir "+l.dir.path, err)
			break
		}
		l.next = &listedEntry{name: e.Name(), a: a, r: r}
	}
	return l.next != nil || l.errno != 0
}

func (l *listing) Next() (fuse.DirEntry, syscall.Errno) {
	if l.next == nil {
		return fuse.DirEntry{}, l.errno
	}
	e := *l.next
	l.next = nil
	l.dir.s.listed.put(l.dir, e)
	return fuse.DirEntry{Name: e.name, Mode: e.a.mode & sIFMT, Ino: e.a.ino}, 0
}

func (l *listing) Close() { l.dir.s.listed.drop(l.dir) }
