package mount

import (
	"sync"

	"github.com/tarx-dev/tarx/index"
)

// listedCache holds the attributes of entries a directory listing just
// computed, for the lookups the kernel sends next (one per entry, with
// READDIRPLUS, ls -l or find), so that each costs nothing more. It holds
// at most maxListed entries; a lookup takes its entry out.
type listedCache struct {
	mu      sync.Mutex
	entries map[string]listedEntry
	order   []string // insertion order, for eviction
}

// maxListed bounds the entries a listedCache holds.
const maxListed = 1 << 16

type listedEntry struct {
	a attr
	m *index.Member
}

func (c *listedCache) put(p string, e listedEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]listedEntry{}
	}
	for len(c.entries) >= maxListed && len(c.order) > 0 {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	if _, ok := c.entries[p]; !ok {
		c.order = append(c.order, p)
	}
	c.entries[p] = e
	if len(c.order) > 2*maxListed { // drop names already taken
		kept := c.order[:0]
		for _, q := range c.order {
			if _, ok := c.entries[q]; ok {
				kept = append(kept, q)
			}
		}
		c.order = kept
	}
}

func (c *listedCache) take(p string) (listedEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[p]
	if ok {
		delete(c.entries, p)
	}
	return e, ok
}
