package index

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/tarx-dev/tarx/gzseek"
	bolt "go.etcd.io/bbolt"
)

// ErrMismatch reports a difference between the archive and its index
// found by Verify.
var ErrMismatch = errors.New("index: archive and index differ")

// Verify reads the whole archive once and checks it: every gzip member's
// CRC-32 and size, every tar member's contents against the checksum in
// the index and its record against what the archive holds now, every
// checkpoint against the one a fresh scan produces, and the index's
// totals. It returns the problems found, each wrapping ErrMismatch and
// naming the member or checkpoint, or the error that stopped the pass
// (such as a gzip CRC mismatch). progress, if set, is called with the
// compressed bytes read so far.
func (a *Archive) Verify(ctx context.Context, progress func(done, total int64)) ([]error, error) {
	var problems, leftovers []error
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("%w: "+format, append([]any{ErrMismatch}, args...)...))
	}
	// What the index has beyond the archive counts only if the pass got
	// to the archive's end.
	addLeftover := func(format string, args ...any) {
		leftovers = append(leftovers, fmt.Errorf("%w: "+format, append([]any{ErrMismatch}, args...)...))
	}
	// The index file's own structure first: every page reachable from the
	// buckets is read (in this goroutine, so that bbolt's panics on
	// damaged pages become errors; tx.Check runs its own goroutine).
	err := view(a.db, func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error { return nil })
		})
	})
	if err != nil {
		return problems, err
	}
	opts := &BuildOptions{Progress: progress}
	src := io.NewSectionReader(a.ra, 0, a.info.ArchiveSize)
	sparse := sparseWindows(src, a.info.ArchiveSize, a.info.SparseWindows)
	res, err := pass(ctx, src, a.info.ArchiveSize, a.info.Span, opts,
		func(cps <-chan gzseek.Checkpoint, members <-chan []Member, blocks <-chan blockGroup) error {
			return view(a.db, func(tx *bolt.Tx) error {
				return compare(tx, cps, members, blocks, sparse, add, addLeftover)
			})
		})
	if err != nil {
		return problems, err
	}
	problems = append(problems, leftovers...)
	if res.compression != a.info.Compression {
		add("compression %s, index says %s", res.compression, a.info.Compression)
	}
	if res.out != a.info.UncompressedSize {
		add("decompressed size %d, index says %d", res.out, a.info.UncompressedSize)
	}
	if res.gzipMembers != a.info.GzipMembers {
		add("%d gzip members, index says %d", res.gzipMembers, a.info.GzipMembers)
	}
	if res.tarEnd != a.info.TarEnd {
		add("tar data ends at %d, index says %d", res.tarEnd, a.info.TarEnd)
	}
	return problems, nil
}

// compare checks checkpoints and members from a fresh pass against the
// index, reading both in order.
func compare(tx *bolt.Tx, cps <-chan gzseek.Checkpoint, members <-chan []Member, blocks <-chan blockGroup, sparse func(*gzseek.Checkpoint) error, add, addLeftover func(string, ...any)) error {
	cc := tx.Bucket(bucketCheckpoints).Cursor()
	ck, cv := cc.First()
	codec := &gzseek.WindowCodec{}
	mi := &memberIter{c: tx.Bucket(bucketMembers).Cursor()}
	bc := blockComparer{b: tx.Bucket(bucketBlocks), add: add}
	for cps != nil || members != nil || blocks != nil {
		select {
		case g, ok := <-blocks:
			if !ok {
				blocks = nil
			} else {
				bc.compare(g)
			}
		case c, ok := <-cps:
			if !ok {
				cps = nil
				for ; ck != nil; ck, cv = cc.Next() {
					addLeftover("checkpoint at %d is not in the archive", binary.BigEndian.Uint64(ck))
				}
				continue
			}
			if ck == nil {
				add("checkpoint at %d missing from the index", c.Out)
				continue
			}
			stored, err := readCheckpoint(ck, cv, codec)
			ck, cv = cc.Next()
			if err != nil {
				return err
			}
			if sparse != nil {
				if err := sparse(&c); err != nil {
					return err
				}
			}
			if stored.Out != c.Out || stored.In != c.In || stored.Bit != c.Bit || stored.Member != c.Member ||
				stored.MemberStart != c.MemberStart || !bytes.Equal(stored.Window, c.Window) {
				add("checkpoint at %d (compressed %d+%d bits) differs from the index's at %d (compressed %d+%d bits)",
					c.Out, c.In, c.Bit, stored.Out, stored.In, stored.Bit)
			}
		case ms, ok := <-members:
			if !ok {
				members = nil
				for {
					s, err := mi.next()
					if err != nil {
						return err
					}
					if s == nil {
						break
					}
					addLeftover("%s: in the index but not in the archive", s.Header.Name)
				}
				continue
			}
			for i := range ms {
				m := &ms[i]
				s, err := mi.next()
				if err != nil {
					return err
				}
				switch {
				case s == nil:
					add("%s: in the archive but not in the index", m.Header.Name)
				case s.CRC != m.CRC:
					add("%s: contents differ from the index (CRC-32 %08x, index has %08x)", m.Header.Name, m.CRC, s.CRC)
				case !bytes.Equal(appendMember(nil, s, 0), appendMember(nil, m, 0)):
					add("%s: header or offsets differ from the index", m.Header.Name)
				}
			}
		}
	}
	return nil
}

// memberIter reads member records in order, a chunk at a time.
type memberIter struct {
	c       *bolt.Cursor
	started bool
	buf     []*Member
}

func (it *memberIter) next() (*Member, error) {
	for len(it.buf) == 0 {
		var k, v []byte
		if !it.started {
			k, v = it.c.First()
			it.started = true
		} else {
			k, v = it.c.Next()
		}
		if k == nil {
			return nil, nil
		}
		if len(k) != 8 {
			return nil, fmt.Errorf("%w: member chunk key", ErrFormat)
		}
		first := int64(binary.BigEndian.Uint64(k))
		err := decodeChunk(v, func(m *Member) error {
			m.Seq += first
			it.buf = append(it.buf, m)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	m := it.buf[0]
	it.buf = it.buf[1:]
	return m, nil
}
