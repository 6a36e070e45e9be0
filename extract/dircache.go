package extract

import (
	"os"
	"path"
	"strings"
	"sync"
)

// maxDirHandles bounds the directory handles a dirCache keeps open.
const maxDirHandles = 256

// dirCache keeps directories open, each opened once through the os.Root,
// so that creating a file or directory in one costs a single *at system
// call instead of os.Root's walk of every path element (which made file
// creation, not inflating, the cost of extraction). Only the last element
// of a name is resolved against a cached handle, with O_NOFOLLOW or
// O_EXCL, so nothing is followed that the root would refuse. The cache is
// emptied whenever the Writer removes an entry that may be a directory,
// so a handle never outlives the directory at its path.
type dirCache struct {
	mu sync.Mutex
	m  map[string]*dirHandle
}

// dirHandle is an open directory; it is closed when it is dropped from
// the cache and no caller holds it.
type dirHandle struct {
	f       *os.File
	fd      int
	refs    int
	dropped bool
}

// get returns a handle of the directory dir (relative to root), opening it
// if needed. The caller must put it back.
func (c *dirCache) get(root *os.Root, dir string) (*dirHandle, error) {
	c.mu.Lock()
	if h := c.m[dir]; h != nil {
		h.refs++
		c.mu.Unlock()
		return h, nil
	}
	c.mu.Unlock()
	f, err := root.OpenFile(dir, os.O_RDONLY|oDirectory, 0)
	if err != nil {
		return nil, err
	}
	h := &dirHandle{f: f, fd: int(f.Fd()), refs: 1}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[dir]; old != nil {
		// Another goroutine opened it meanwhile: use theirs.
		old.refs++
		f.Close()
		return old, nil
	}
	if c.m == nil || len(c.m) >= maxDirHandles {
		c.dropLocked()
		c.m = make(map[string]*dirHandle)
	}
	c.m[dir] = h
	h.refs++ // the cache's own reference
	return h, nil
}

// put gives back a handle from get.
func (c *dirCache) put(h *dirHandle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h.refs--
	if h.refs == 0 {
		h.f.Close()
	}
}

// drop empties the cache; handles in use are closed when put back.
func (c *dirCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked()
}

func (c *dirCache) dropLocked() {
	for k, h := range c.m {
		delete(c.m, k)
		h.refs--
		if h.refs == 0 {
			h.f.Close()
		}
	}
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

// inCachedParent calls fn with a cached descriptor of name's parent
// directory and name's last element.
func (w *Writer) inCachedParent(name string, fn func(dirfd int, base string) error) error {
	dir, base := splitName(name)
	h, err := w.dirs.get(w.root, dir)
	if err != nil {
		return err
	}
	defer w.dirs.put(h)
	return fn(h.fd, base)
}
