package extract

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
)

// maxDirHandles bounds the directory handles a dirCache keeps open when no
// caller holds them.
const maxDirHandles = 256

// dirCache keeps directories open so that creating a file or directory in
// one costs a single *at system call instead of os.Root's walk of every
// path element (which made file creation, not inflating, the cost of
// extraction).
//
// A missing directory is opened from its cached parent with one system
// call that neither follows a symbolic link nor accepts anything but a
// directory (openSubdirAt), so resolving a name never leaves the tree of
// real directories below the root. Where that call refuses the last
// element because it is a symbolic link (an existing link in the target,
// which GNU tar follows), or where the system has no such call, the
// directory is opened through the os.Root instead, which follows the link
// only if it stays inside the root. Only the last element of a member's
// name is then resolved against the handle, with O_NOFOLLOW or O_EXCL.
//
// The cache keeps the handles used most recently (least recently used
// ones are closed first) and forgets the handles of a path and all below it
// whenever the Writer removes an entry there, so a handle never outlives
// the directory at its path. A directory moved by another process while
// the extraction runs keeps its handle, as it would GNU tar's.
type dirCache struct {
	mu   sync.Mutex
	m    map[string]*dirHandle
	head dirHandle // sentinel of the recency list: head.next is the newest
}

// dirHandle is an open directory; it is closed when it is dropped from
// the cache and no caller holds it.
type dirHandle struct {
	name string
	f    *os.File // set when opened through the os.Root
	fd   int
	gid  int // the directory's group, or -1 if unknown
	refs int // callers holding it, plus one while cached

	prev, next *dirHandle // recency list, while cached
}

// get returns a handle of the directory dir (relative to root), opening it
// and any missing parents if needed. The caller must put it back. A missing
// directory fails with an error that wraps fs.ErrNotExist.
func (c *dirCache) get(root *os.Root, dir string) (*dirHandle, error) {
	c.mu.Lock()
	if h := c.m[dir]; h != nil {
		h.refs++
		c.unlink(h)
		c.pushFront(h)
		c.mu.Unlock()
		return h, nil
	}
	c.mu.Unlock()
	h, err := c.open(root, dir)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[dir]; old != nil {
		// Another goroutine opened it meanwhile: use theirs.
		old.refs++
		h.close()
		return old, nil
	}
	if c.m == nil {
		c.m = make(map[string]*dirHandle)
		c.head.next, c.head.prev = &c.head, &c.head
	}
	h.refs = 2 // the caller's and the cache's
	c.m[dir] = h
	c.pushFront(h)
	for len(c.m) > maxDirHandles {
		c.removeLocked(c.head.prev)
	}
	return h, nil
}

// open opens the directory dir from its parent's handle, or through the
// root where that is not possible.
func (c *dirCache) open(root *os.Root, dir string) (*dirHandle, error) {
	parent, base := splitName(dir)
	if dir != "." && base != "." && base != ".." && base != "" {
		p, err := c.get(root, parent)
		if err != nil {
			return nil, err
		}
		fd, err := openSubdirAt(p.fd, base)
		c.put(p)
		switch {
		case err == nil:
			return &dirHandle{name: dir, fd: fd, gid: dirGroup(fd)}, nil
		case errors.Is(err, fs.ErrNotExist):
			return nil, &fs.PathError{Op: "openat", Path: dir, Err: err}
		}
		// A symbolic link, or no such call here: ask the root.
	}
	f, err := root.OpenFile(dir, os.O_RDONLY|oDirectory, 0)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	return &dirHandle{name: dir, f: f, fd: fd, gid: dirGroup(fd)}, nil
}

// put gives back a handle from get.
func (c *dirCache) put(h *dirHandle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h.refs--
	if h.refs == 0 {
		h.close()
	}
}

// drop empties the cache; handles in use are closed when put back.
func (c *dirCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range c.m {
		c.removeLocked(h)
	}
}

// forget drops the handles of name and of everything below it, as when
// the entry at name is removed.
func (c *dirCache) forget(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name == "." {
		for _, h := range c.m {
			c.removeLocked(h)
		}
		return
	}
	for k, h := range c.m {
		if k == name || strings.HasPrefix(k, name) && k[len(name)] == '/' {
			c.removeLocked(h)
		}
	}
}

// removeLocked takes h out of the cache.
func (c *dirCache) removeLocked(h *dirHandle) {
	delete(c.m, h.name)
	c.unlink(h)
	h.refs--
	if h.refs == 0 {
		h.close()
	}
}

func (c *dirCache) unlink(h *dirHandle) {
	h.prev.next, h.next.prev = h.next, h.prev
	h.prev, h.next = nil, nil
}

func (c *dirCache) pushFront(h *dirHandle) {
	h.prev, h.next = &c.head, c.head.next
	c.head.next.prev = h
	c.head.next = h
}

func (h *dirHandle) close() {
	if h.f != nil {
		h.f.Close()
		return
	}
	closeFD(h.fd)
}

// splitName returns the parent directory of name ("." at the top) and its
// last element.
func splitName(name string) (dir, base string) {
	dir, base = path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	return dir, base
}

// inCachedParent calls fn with a cached handle of name's parent directory
// and name's last element.
func (w *Writer) inCachedParent(name string, fn func(dir *dirHandle, base string) error) error {
	dir, base := splitName(name)
	h, err := w.dirs.get(w.root, dir)
	if err != nil {
		return err
	}
	defer w.dirs.put(h)
	return fn(h, base)
}
