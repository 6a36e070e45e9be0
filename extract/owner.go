package extract

import (
	"archive/tar"
	"strings"
	"sync"
)

// kind is what a node holds.
type kind uint8

const (
	kindNone    kind = iota // nothing known on disk (a member failed)
	kindFile                // a regular file, maybe still being written
	kindDir                 // a directory; metadata set by Close
	kindSymlink             // a symbolic link to create in Close
	kindLink                // a hard link to create in Close
	kindSpecial             // a FIFO or device node
)

// node is the state of one path.
type node struct {
	// mu is held while a member of this path is being created, so members
	// of one path are created one at a time.
	mu sync.Mutex

	// The fields below are written with both mu and Writer.mu held, and
	// read with either held.
	claimed bool
	seq     int64       // sequence number of the winning member
	kind    kind        // what the winning member made
	hdr     *tar.Header // copy of the header, for kindDir, kindSymlink, kindLink
	target  string      // cleaned hard link target, for kindLink
	file    *File       // a CreateFile not yet done, for kindFile
}

// begin claims name for member seq (auto: the next number). With ok true it
// returns with n.mu held; the caller must call end. ok is false when a member
// with a higher number owns the path. A member below a symbolic or hard link
// that an earlier member will create is refused, as GNU tar cannot create it
// either (the link is not a directory yet when the member comes).
func (w *Writer) begin(seq int64, auto bool, name, member string) (n *node, ok bool, err error) {
	w.mu.Lock()
	if auto {
		w.maxSeq++
		seq = w.maxSeq
	} else if seq > w.maxSeq {
		w.maxSeq = seq
	}
	for p := name; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
		if m := w.nodes[p]; m != nil && m.claimed && m.seq < seq && (m.kind == kindSymlink || m.kind == kindLink) {
			w.mu.Unlock()
			what := "symbolic link"
			if m.kind == kindLink {
				what = "hard link"
			}
			return nil, false, &MemberError{Member: member, Op: "parent " + quoteName(p) + " is a " + what + " in the archive", Err: ErrUnsafePath}
		}
	}
	n = w.nodes[name]
	if n == nil {
		n = new(node)
		w.nodes[name] = n
	}
	w.mu.Unlock()

	n.mu.Lock()
	if n.claimed && seq < n.seq {
		n.mu.Unlock()
		return nil, false, nil
	}
	w.mu.Lock()
	old := n.file
	n.claimed, n.seq, n.kind, n.hdr, n.target, n.file = true, seq, kindNone, nil, "", nil
	w.mu.Unlock()
	if old != nil {
		w.supersede(old)
	}
	return n, true, nil
}

// end records what the member that called begin made at name and
// releases n. With UniquePaths, a finished file or special file is
// forgotten: no other member will claim its path, and Close has nothing to
// do for it, so the Writer's memory follows the directories and links.
func (w *Writer) end(name string, n *node, k kind, hdr *tar.Header, target string) {
	w.mu.Lock()
	n.kind, n.hdr, n.target = k, hdr, target
	if w.opts.UniquePaths && (k == kindFile || k == kindSpecial) && n.file == nil {
		delete(w.nodes, name)
	}
	w.mu.Unlock()
	n.mu.Unlock()
}

// kindOf returns what the node of name holds.
func (w *Writer) kindOf(name string) kind {
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := w.nodes[name]; n != nil {
		return n.kind
	}
	return kindNone
}
