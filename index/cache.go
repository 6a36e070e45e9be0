package index

import (
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// memberCache keeps the last few decoded member chunks, so that looking
// up neighbouring members one at a time (a directory's, as a file system
// does entry by entry) decodes their chunk once rather than once each.
// Memory is bounded by cachedChunks chunks, whatever the archive.
type memberCache struct {
	mu     sync.Mutex
	chunks []*cachedChunk // most recently used last
}

// cachedChunks is how many decoded chunks of membersPerChunk members a
// cache keeps.
const cachedChunks = 8

type cachedChunk struct {
	first   int64
	members []Member
}

// get returns a copy of the member seq if its chunk is cached.
func (c *memberCache) get(seq int64) (*Member, bool) {
	first := seq / membersPerChunk * membersPerChunk
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, ch := range c.chunks {
		if ch.first == first && seq-first < int64(len(ch.members)) {
			c.chunks = append(append(c.chunks[:i:i], c.chunks[i+1:]...), ch)
			m := ch.members[seq-first]
			return &m, true
		}
	}
	return nil, false
}

func (c *memberCache) put(ch *cachedChunk) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.chunks) == cachedChunks {
		c.chunks = append(c.chunks[:0], c.chunks[1:]...)
	}
	c.chunks = append(c.chunks, ch)
}

// cachedMember returns the member seq, decoding and caching its whole
// chunk (with Superseded set) when it is not cached.
func (a *Archive) cachedMember(seq int64) (*Member, error) {
	if seq < 0 || seq >= a.info.Members {
		return nil, fmt.Errorf("%w: member %d", ErrNotFound, seq)
	}
	if m, ok := a.cache.get(seq); ok {
		return m, nil
	}
	first := seq / membersPerChunk * membersPerChunk
	ch := &cachedChunk{first: first}
	err := view(a.db, func(tx *bolt.Tx) error {
		last := first + membersPerChunk - 1
		if last >= a.info.Members {
			last = a.info.Members - 1
		}
		seqs := make([]int64, 0, last-first+1)
		for s := first; s <= last; s++ {
			seqs = append(seqs, s)
		}
		return membersBySeq(tx, seqs, func(m *Member) error {
			ch.members = append(ch.members, *m)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	a.cache.put(ch)
	if m, ok := a.cache.get(seq); ok {
		return m, nil
	}
	return nil, fmt.Errorf("%w: member %d", ErrNotFound, seq)
}
