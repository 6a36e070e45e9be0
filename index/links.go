package index

import (
	"archive/tar"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The links bucket lists the hard-link members, so that a file system
// view (the mount) can count each file's links at the cost of the links
// alone, not of every member.

var bucketLinks = []byte("links")

// putLink records m in tx's links bucket if it is a hard link. The bucket
// is created by the first call, so call it once with nil at the end (an
// archive may have none).
func putLink(tx *bolt.Tx, m *Member) error {
	if m != nil && m.Header.Typeflag != tar.TypeLink {
		return nil // most members: no bucket lookup
	}
	b, err := tx.CreateBucketIfNotExists(bucketLinks)
	if err != nil || m == nil {
		return err
	}
	b.FillPercent = 1.0
	return b.Put(u64(m.Seq), nil)
}

// HardLinks calls fn for every hard-link member, in archive order, with
// Superseded set. Its cost is that of the hard links, whatever the
// number of members.
func (a *Archive) HardLinks(fn func(*Member) error) error {
	var seqs []int64
	return view(a.db, func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketLinks).ForEach(func(k, _ []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("%w: link key", ErrFormat)
			}
			seqs = append(seqs, int64(binary.BigEndian.Uint64(k)))
			return nil
		})
		if err != nil {
			return err
		}
		return membersBySeq(tx, seqs, fn)
	})
}
