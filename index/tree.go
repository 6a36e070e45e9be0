package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/tarx-dev/tarx/internal/tarname"
	bolt "go.etcd.io/bbolt"
)

// This file builds and reads the directory tree of an archive: every path
// that extraction creates (members' names cleaned by internal/tarname, and
// the parent directories they imply), with the members that bear it.
//
// The tree bucket holds, for each directory, its children sorted by name
// in chunks of up to treeChunkEntries records, under the key
// "DIR\x00FIRSTNAME" (DIR is "" for the top). Looking up a path costs one
// chunk per element; listing a directory reads its chunks and nothing
// else; no count of members enters either.
//
// A build collects the entries as scratch records keyed the same way,
// sorted in bounded memory by a treeSorter (runs spilled to a file beside
// the index and merged), then writes the chunks in key order and removes
// the scratch file: memory stays bounded whatever the member count.

// treeChunkEntries is the most entries one tree chunk holds.
const treeChunkEntries = 256

// Entry kinds, as stored.
const (
	entryMember   = 1 // the last member with this path bears it
	entryImplicit = 2 // a directory implied by the members under it
)

// An Entry is one path of the tree that extracting the archive leaves.
type Entry struct {
	// Path is the cleaned path (internal/tarname), "." for the top.
	Path string
	// Dir reports whether the path is a directory: a directory member, or
	// a directory implied by the members below it.
	Dir bool
	// Seq is the sequence number of the member that bears the path, the
	// last of those with this path; -1 for an implied directory.
	Seq int64
	// Seqs are all members whose cleaned name is Path, in archive order.
	// For an implied directory they are members it replaced (a file named
	// like a directory that later members are under).
	Seqs []int64
	// ModTime is, for an implied directory, the modification time of the
	// newest member beneath it; for the top directory ("."), the newest
	// of its entries'. Implied directories have mode 0755 and owner 0:0.
	ModTime time.Time
}

// Name returns the last element of the entry's path.
func (e *Entry) Name() string { return path.Base(e.Path) }

// Implicit reports whether the entry is a directory no member bears.
func (e *Entry) Implicit() bool { return e.Seq < 0 }

// treeKey is the key of a path in the scratch records and the tree bucket.
func treeKey(p string) []byte { return appendTreeKey(make([]byte, 0, len(p)+1), p) }

// appendTreeKey appends treeKey(p) to k.
func appendTreeKey(k []byte, p string) []byte {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	k = append(k, dir...)
	k = append(k, 0)
	return append(k, base...)
}

// scratchValue is an entry of the tree being built, as finish assembles
// it from the scratch keys of its path.
type scratchValue struct {
	kind  byte
	dir   bool
	mtime int64
	seqs  []int64
}

// The scratch records are, per path P (as treeKey(P)), a key P 0x00 SEQ
// (SEQ a big-endian uint64) for each member of that path, valued with a
// flags byte (1: a directory member), and for directories that members
// are under a key P 0x00 valued with the newest mtime beneath (varint)
// and the highest sequence number beneath (uvarint). Sorted, the keys of
// one path are contiguous, in member order after its directory keys.
// Directory states are kept in a small cache while members of the same
// directories come, and added as records when the cache is full or the
// build ends, so a directory may have several records: finish merges them.

// dirState is what the cache knows of a directory the members are under.
type dirState struct {
	mtime  int64
	maxSeq int64
}

// merge folds the state o of the same directory into st.
func (st *dirState) merge(o dirState) {
	st.mtime = max(st.mtime, o.mtime)
	st.maxSeq = max(st.maxSeq, o.maxSeq)
}

// treeDirCache bounds the directories the builder holds in memory.
const treeDirCache = 4096

// treeBuilder collects the tree during a build.
type treeBuilder struct {
	sorter *treeSorter
	dirs   map[string]dirState
	key    []byte
	// unsafe counts members whose names extraction refuses (".." or
	// NUL): they are not in the tree.
	unsafe int64
}

func newTreeBuilder(path string) (*treeBuilder, error) {
	s, err := newTreeSorter(path)
	if err != nil {
		return nil, err
	}
	return &treeBuilder{sorter: s, dirs: make(map[string]dirState)}, nil
}

// close drops the scratch file.
func (t *treeBuilder) close() { t.sorter.close() }

// add records member m: its path, and the directories its path implies.
func (t *treeBuilder) add(m *Member) error {
	n, err := tarname.Clean(m.Header.Name, 0)
	if err != nil {
		t.unsafe++
		return nil
	}
	p := n.Path
	if p == "" {
		return nil // the top directory itself, as "./"
	}
	t.key = binary.BigEndian.AppendUint64(append(appendTreeKey(t.key[:0], p), 0), uint64(m.Seq))
	flags := byte(0)
	if m.Header.Typeflag == '5' {
		flags = 1
	}
	if err := t.sorter.add(t.key, []byte{flags}); err != nil {
		return err
	}
	mtime := m.Header.ModTime.Unix()
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		st, ok := t.dirs[dir]
		if !ok && len(t.dirs) >= treeDirCache {
			if err := t.flushDirs(); err != nil {
				return err
			}
		}
		if !ok || mtime > st.mtime {
			st.mtime = mtime
		}
		st.maxSeq = m.Seq
		t.dirs[dir] = st
	}
	return nil
}

// flushDirs adds the cached directories to the scratch records.
func (t *treeBuilder) flushDirs() error {
	var v []byte
	for dir, st := range t.dirs {
		t.key = append(appendTreeKey(t.key[:0], dir), 0)
		v = binary.AppendUvarint(binary.AppendVarint(v[:0], st.mtime), uint64(st.maxSeq))
		if err := t.sorter.add(t.key, v); err != nil {
			return err
		}
	}
	clear(t.dirs)
	return nil
}

func decodeDirState(v []byte) (dirState, error) {
	r := recordReader{b: v}
	st := dirState{mtime: r.varint("tree mtime"), maxSeq: int64(r.uvarint("tree seq"))}
	return st, r.err
}

// scratchKey splits a scratch key into its path key (DIR 0x00 BASE) and
// the member's sequence number, -1 for a directory key.
func scratchKey(k []byte) (pathKey []byte, seq int64, err error) {
	i := bytes.IndexByte(k, 0)
	j := -1
	if i >= 0 {
		j = bytes.IndexByte(k[i+1:], 0)
	}
	if j < 0 {
		return nil, 0, fmt.Errorf("%w: tree scratch key", ErrFormat)
	}
	end := i + 1 + j
	switch rest := k[end+1:]; len(rest) {
	case 0:
		return k[:end], -1, nil
	case 8:
		return k[:end], int64(binary.BigEndian.Uint64(rest)), nil
	}
	return nil, 0, fmt.Errorf("%w: tree scratch key", ErrFormat)
}

// finish writes the tree and superseded buckets of the index from the
// scratch entries, in key order, into dst; wrote is told the bytes of
// each value written and returns the transaction to go on in (the
// builder commits every commitBytes).
func (t *treeBuilder) finish(dst *bolt.Tx, wrote func(n int) (*bolt.Tx, error)) error {
	if err := t.flushDirs(); err != nil {
		return err
	}
	tree, err := dst.CreateBucket(bucketTree)
	if err != nil {
		return err
	}
	tree.FillPercent = 1.0
	sup := newSupersededWriter()
	var (
		raw    []byte
		n      int
		first  []byte // key of the chunk being filled
		curDir []byte
		pk     = packer{better: true}
		// The path being assembled.
		cur     []byte
		v       scratchValue
		lastDir bool
		dirSt   *dirState
	)
	flush := func() error {
		if n == 0 {
			return nil
		}
		val := bytes.Clone(pk.pack(raw))
		raw, n = raw[:0], 0
		if err := tree.Put(first, val); err != nil {
			return err
		}
		// The transaction may have been committed and a new one begun.
		tx, err := wrote(len(val))
		if err != nil {
			return err
		}
		if tx != dst {
			dst = tx
			tree = dst.Bucket(bucketTree)
			tree.FillPercent = 1.0
		}
		return nil
	}
	// entry ends the path being assembled: the last member bears it,
	// unless it is not a directory and members came under it later (a
	// file system would have made it a directory), or there is none.
	entry := func() error {
		if cur == nil {
			return nil
		}
		switch last := len(v.seqs) - 1; {
		case last >= 0 && (lastDir || dirSt == nil || dirSt.maxSeq < v.seqs[last]):
			v.kind, v.dir = entryMember, lastDir
		default:
			v.kind, v.dir, v.mtime = entryImplicit, true, dirSt.mtime
		}
		i := bytes.IndexByte(cur, 0)
		dir, name := cur[:i], cur[i+1:]
		if n == treeChunkEntries || !bytes.Equal(dir, curDir) {
			if err := flush(); err != nil {
				return err
			}
			curDir = append(curDir[:0], dir...)
		}
		if n == 0 {
			first = bytes.Clone(cur)
		}
		raw = appendEntry(raw, name, &v)
		n++
		// Extraction replaces all but the last member of a path. (A
		// member that later members make a directory is not superseded:
		// extraction meets it and the Writer decides.)
		for _, s := range v.seqs[:max(len(v.seqs)-1, 0)] {
			sup.add(s)
		}
		return nil
	}
	err = t.sorter.each(func(k, val []byte) error {
		pathKey, seq, err := scratchKey(k)
		if err != nil {
			return err
		}
		if !bytes.Equal(pathKey, cur) {
			if err := entry(); err != nil {
				return err
			}
			cur = append(cur[:0], pathKey...)
			v, lastDir, dirSt = scratchValue{}, false, nil
		}
		if seq < 0 {
			st, err := decodeDirState(val)
			if err != nil {
				return err
			}
			if dirSt != nil {
				st.merge(*dirSt)
			}
			dirSt = &st
			return nil
		}
		if len(val) != 1 {
			return fmt.Errorf("%w: tree scratch value", ErrFormat)
		}
		v.seqs = append(v.seqs, seq)
		lastDir = val[0] == 1
		return nil
	})
	if err == nil {
		err = entry()
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	return sup.write(dst)
}

// appendEntry appends the record of one tree entry: name, kind, flags,
// mtime, count and sequence numbers (as deltas).
func appendEntry(b, name []byte, v *scratchValue) []byte {
	b = binary.AppendUvarint(b, uint64(len(name)))
	b = append(b, name...)
	flags := byte(0)
	if v.dir {
		flags = 1
	}
	b = append(b, v.kind, flags)
	b = binary.AppendVarint(b, v.mtime)
	b = binary.AppendUvarint(b, uint64(len(v.seqs)))
	prev := int64(0)
	for _, s := range v.seqs {
		b = binary.AppendUvarint(b, uint64(s-prev))
		prev = s
	}
	return b
}

// decodeEntries decodes a tree chunk of directory dir, calling fn for each
// entry in name order until it returns false.
func decodeEntries(dir string, v []byte, fn func(*Entry) bool) error {
	raw, err := unpack(v)
	if err != nil {
		return fmt.Errorf("%w: tree chunk: %w", ErrFormat, err)
	}
	r := recordReader{b: raw}
	for len(r.b) > 0 && r.err == nil {
		name := r.string("tree name")
		kind := r.byte("tree kind")
		flags := r.byte("tree flags")
		mtime := r.varint("tree mtime")
		cnt := r.uvarint("tree count")
		if cnt > uint64(len(r.b)) {
			r.fail("tree count")
			break
		}
		e := &Entry{Path: path.Join(dir, name), Dir: flags&1 != 0, Seq: -1, Seqs: make([]int64, 0, cnt)}
		var prev int64
		for i := uint64(0); i < cnt; i++ {
			d := r.uvarint("tree seq")
			prev += int64(d)
			e.Seqs = append(e.Seqs, prev)
		}
		switch kind {
		case entryMember:
			if len(e.Seqs) == 0 {
				r.fail("tree entry")
				break
			}
			e.Seq = e.Seqs[len(e.Seqs)-1]
		case entryImplicit:
			e.Dir, e.ModTime = true, time.Unix(mtime, 0)
		default:
			r.fail("tree kind")
		}
		if r.err != nil || name == "" || strings.ContainsRune(name, '/') {
			r.fail("tree name")
			break
		}
		if !fn(e) {
			return nil
		}
	}
	return r.err
}

// treeDir returns the key prefix of the children of dir.
func treeDir(dir string) []byte {
	if dir == "." {
		dir = ""
	}
	return append([]byte(dir), 0)
}

// lookupEntry finds the entry of the cleaned path p in tx.
func lookupEntry(tx *bolt.Tx, p string) (*Entry, error) {
	if p == "." || p == "" {
		return topEntry(tx)
	}
	b := tx.Bucket(bucketTree)
	if b == nil {
		return nil, fmt.Errorf("%w: no tree bucket", ErrFormat)
	}
	dir, name := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	prefix := treeDir(dir)
	k := treeKey(p)
	c := b.Cursor()
	ck, cv := c.Seek(k)
	if ck == nil || !bytes.Equal(ck, k) {
		ck, cv = c.Prev()
	}
	if ck == nil || !bytes.HasPrefix(ck, prefix) {
		return nil, fmt.Errorf("%s: %w", p, ErrNotFound)
	}
	var found *Entry
	err := decodeEntries(dirOrTop(dir), cv, func(e *Entry) bool {
		if path.Base(e.Path) == name {
			found = e
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("%s: %w", p, ErrNotFound)
	}
	return found, nil
}

// topEntry returns the entry of the top directory, which no member bears
// (a member "./" sets the modes of the directory extraction goes into, not
// a name in it): it is implied like other directories, with the newest
// modification time among its entries (an implied directory's is the
// newest beneath it), so that its cost is that of the top level.
func topEntry(tx *bolt.Tx) (*Entry, error) {
	top := &Entry{Path: ".", Dir: true, Seq: -1}
	err := readDir(tx, ".", func(e *Entry) error {
		if e.ModTime.After(top.ModTime) {
			top.ModTime = e.ModTime
		}
		return nil
	})
	return top, err
}

func dirOrTop(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// readDir calls fn for the children of directory dir in name order.
func readDir(tx *bolt.Tx, dir string, fn func(*Entry) error) error {
	b := tx.Bucket(bucketTree)
	if b == nil {
		return fmt.Errorf("%w: no tree bucket", ErrFormat)
	}
	prefix := treeDir(dir)
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var ferr error
		err := decodeEntries(dir, v, func(e *Entry) bool {
			ferr = fn(e)
			return ferr == nil
		})
		if err != nil {
			return err
		}
		if ferr != nil {
			return ferr
		}
	}
	return nil
}

// Stat returns the entry of path in the archive's tree (path is cleaned
// by internal/tarname's rules first; "." is the top directory).
func (a *Archive) Stat(p string) (*Entry, error) {
	var found *Entry
	err := a.atEntry(p, func(_ *bolt.Tx, e *Entry) error {
		found = e
		return nil
	})
	return found, err
}

// ReadDir calls fn for every entry of the directory dir, in name order.
// Its cost is that of the entries, whatever the size of the archive.
func (a *Archive) ReadDir(dir string, fn func(*Entry) error) error {
	return a.atEntry(dir, func(tx *bolt.Tx, e *Entry) error {
		if !e.Dir {
			return fmt.Errorf("%s: not a directory", dir)
		}
		return readDir(tx, e.Path, fn)
	})
}

// Walk calls fn for the entry at root and every entry beneath it, depth
// first in name order (a directory before its children). fn returning
// fs.SkipDir for a directory skips its children.
func (a *Archive) Walk(root string, fn func(*Entry) error) error {
	return a.atEntry(root, func(tx *bolt.Tx, e *Entry) error { return walk(tx, e, fn) })
}

// atEntry calls fn, in a read transaction, with the entry of the path p.
func (a *Archive) atEntry(p string, fn func(*bolt.Tx, *Entry) error) error {
	clean, err := tarname.Clean(p, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", p, ErrNotFound)
	}
	return view(a.db, func(tx *bolt.Tx) error {
		e, err := lookupEntry(tx, clean.Path)
		if err != nil {
			return err
		}
		return fn(tx, e)
	})
}

// walk walks down from e. Each level has its own cursor, so memory is
// one chunk per level, whatever the size of a directory.
func walk(tx *bolt.Tx, e *Entry, fn func(*Entry) error) error {
	if err := fn(e); err != nil {
		if err == fs.SkipDir {
			return nil
		}
		return err
	}
	if !e.Dir {
		return nil
	}
	return readDir(tx, e.Path, func(c *Entry) error { return walk(tx, c, fn) })
}
