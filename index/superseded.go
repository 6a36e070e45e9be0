package index

import (
	bolt "go.etcd.io/bbolt"
)

// The superseded bucket marks the members that extraction replaces by a
// later member of the same path (or by a directory implied by later
// members): a bitmap per run of supersededSpan sequence numbers, stored
// only for runs that have one. Extraction streams members in archive
// order and skips these without remembering any name.

// supersededSpan is how many sequence numbers one bitmap covers.
const supersededSpan = 4096

// supersededWriter collects superseded sequence numbers, which arrive in
// any order, one bitmap per run.
type supersededWriter struct {
	runs map[int64][]byte
}

func newSupersededWriter() *supersededWriter {
	return &supersededWriter{runs: map[int64][]byte{}}
}

func (w *supersededWriter) add(seq int64) {
	first := seq / supersededSpan * supersededSpan
	b := w.runs[first]
	if b == nil {
		b = make([]byte, supersededSpan/8)
		w.runs[first] = b
	}
	i := seq - first
	b[i/8] |= 1 << (i % 8)
}

func (w *supersededWriter) write(tx *bolt.Tx) error {
	b, err := tx.CreateBucket(bucketSuperseded)
	if err != nil {
		return err
	}
	for first, bits := range w.runs {
		if err := b.Put(u64(first), bits); err != nil {
			return err
		}
	}
	return nil
}

// supersededReader answers for members read in archive order.
type supersededReader struct {
	b     *bolt.Bucket
	first int64
	bits  []byte
}

func (r *supersededReader) superseded(seq int64) bool {
	if r.b == nil {
		return false
	}
	first := seq / supersededSpan * supersededSpan
	if first != r.first || r.bits == nil {
		r.first = first
		r.bits = r.b.Get(u64(first))
		if r.bits == nil {
			r.bits = []byte{} // none in this run
		}
	}
	i := seq - first
	return int(i/8) < len(r.bits) && r.bits[i/8]&(1<<(i%8)) != 0
}
