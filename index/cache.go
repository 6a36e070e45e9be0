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

// cachedChunk is one decoded chunk. Its members are never modified once
// it is cached: readers share them.
type cachedChunk struct {
	first   int64
	members []Member
}

// get returns the cached chunk whose first member is first, or nil.
func (c *memberCache) get(first int64) *cachedChunk {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, ch := range c.chunks {
		if ch.first == first {
			c.chunks = append(append(c.chunks[:i:i], c.chunks[i+1:]...), ch)
			return ch
		}
	}
	return nil
}

func (c *memberCache) put(ch *cachedChunk) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.chunks) == cachedChunks {
		c.chunks = append(c.chunks[:0], c.chunks[1:]...)
	}
	c.chunks = append(c.chunks, ch)
}

// cachedMember returns a copy of the member seq, decoding and caching its
// whole chunk (with Superseded set) when it is not cached.
func (a *Archive) cachedMember(seq int64) (*Member, error) {
	if seq < 0 || seq >= a.info.Members {
		return nil, fmt.Errorf("%w: member %d", ErrNotFound, seq)
	}
	ch, err := a.chunkOf(seq)
	if err != nil {
		return nil, err
	}
	m := ch.members[seq-ch.first]
	return &m, nil
}

// chunkOf returns the decoded chunk that holds member seq (0 <= seq <
// Members), from the cache or decoded and cached.
func (a *Archive) chunkOf(seq int64) (*cachedChunk, error) {
	first := seq / membersPerChunk * membersPerChunk
	if ch := a.cache.get(first); ch != nil && seq-first < int64(len(ch.members)) {
		return ch, nil
	}
	ch := &cachedChunk{first: first}
	err := view(a.db, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMembers).Get(u64(first))
		if v == nil {
			return fmt.Errorf("%w: member %d", ErrNotFound, seq)
		}
		var err error
		if ch.members, err = appendChunk(make([]Member, 0, membersPerChunk), v, -1); err != nil {
			return err
		}
		sup := supersededReader{b: tx.Bucket(bucketSuperseded)}
		for i := range ch.members {
			m := &ch.members[i]
			m.Seq += first
			m.Superseded = sup.superseded(m.Seq)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if seq-first >= int64(len(ch.members)) {
		return nil, fmt.Errorf("%w: member %d", ErrNotFound, seq)
	}
	a.cache.put(ch)
	return ch, nil
}

// MembersOf calls fn for each member of seqs (Entry.Seq values), in the
// order given, with Superseded set. Neighbouring sequence numbers share
// their decoded chunk, which is cached as for Member, so a directory's
// members cost about one decoding of their records. The Member passed to
// fn is shared with other readers: fn must not modify it, and must copy
// what it keeps.
func (a *Archive) MembersOf(seqs []int64, fn func(*Member) error) error {
	var ch *cachedChunk
	for _, seq := range seqs {
		if seq < 0 || seq >= a.info.Members {
			return fmt.Errorf("%w: member %d", ErrNotFound, seq)
		}
		if ch == nil || seq < ch.first || seq-ch.first >= int64(len(ch.members)) {
			var err error
			if ch, err = a.chunkOf(seq); err != nil {
				return err
			}
		}
		if err := fn(&ch.members[seq-ch.first]); err != nil {
			return err
		}
	}
	return nil
}
