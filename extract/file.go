package extract

import (
	"archive/tar"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

// A File is a regular file member being written in pieces, by positioned
// writes from several goroutines; see [Writer.CreateFile].
type File struct {
	w       *Writer
	n       *node
	of      *openFile // nil when the member is skipped
	hdr     tar.Header
	pieces  int64
	done    atomic.Int64
	dropped atomic.Bool // discarded, or a member with a higher number took the path
}

// CreateFile creates the regular file member hdr, of hdr.Size bytes, to be
// filled in pieces, as the member following all members given to the Writer
// so far. See [Writer.CreateFileSeq].
func (w *Writer) CreateFile(hdr *tar.Header, pieces int) (*File, error) {
	return w.createFile(0, true, hdr, pieces)
}

// CreateFileSeq creates the regular file member hdr, numbered seq as in
// [Writer.WriteEntrySeq], of hdr.Size bytes, to be filled by calls to
// [File.WriteAt] from several goroutines. [File.Done] is called once for
// each of pieces pieces; when the last is done the file is truncated to
// hdr.Size, its owner (with SameOwner), mode (including setuid, setgid and
// sticky bits when root) and modification time are set, and it is closed.
// With pieces 0 that happens at once.
//
// If the member is skipped (its name is empty after stripping, or a member
// with a higher number owns the path) the File is still returned, with
// Skipped true: WriteAt discards the data and Done does nothing. Likewise if
// a member with a higher number for the path arrives while the File is being
// written: the partial file is removed at once and the File turns into a
// skipped one.
//
// A file whose pieces are not all done is removed by Abort and by Close.
func (w *Writer) CreateFileSeq(seq int64, hdr *tar.Header, pieces int) (*File, error) {
	return w.createFile(seq, false, hdr, pieces)
}

func (w *Writer) createFile(seq int64, auto bool, hdr *tar.Header, pieces int) (*File, error) {
	if pieces < 0 {
		return nil, &MemberError{Member: hdr.Name, Op: "CreateFile", Err: fmt.Errorf("negative piece count %d", pieces)}
	}
	if w.isClosed() {
		return nil, &MemberError{Member: hdr.Name, Err: ErrClosed}
	}
	switch hdr.Typeflag {
	case tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeFifo, tar.TypeChar, tar.TypeBlock,
		tar.TypeXHeader, tar.TypeXGlobalHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
		return nil, &MemberError{Member: hdr.Name, Op: "CreateFile", Err: fmt.Errorf("type %q is not a regular file", hdr.Typeflag)}
	}
	if strings.HasSuffix(hdr.Name, "/") {
		return nil, &MemberError{Member: hdr.Name, Op: "CreateFile", Err: errors.New("a name ending in / is a directory")}
	}
	f := &File{w: w, hdr: *hdr, pieces: int64(pieces)}
	name, ok, err := w.Name(hdr.Name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return f, nil
	}
	if keep, err := w.keepOld(name, false, hdr); keep || err != nil {
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	n, ok, err := w.begin(seq, auto, name, hdr.Name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return f, nil
	}
	of, err := w.create(name, hdr)
	if err != nil {
		w.end(name, n, kindNone, nil, "")
		return nil, err
	}
	f.n, f.of = n, of
	w.mu.Lock()
	n.file = f
	w.mu.Unlock()
	w.end(name, n, kindFile, nil, "")
	if pieces == 0 {
		return f, f.finish()
	}
	return f, nil
}

// Skipped reports whether the member is not being written: its name was
// skipped, a member with a higher number owns its path, or the File was
// discarded.
func (f *File) Skipped() bool {
	return f.of == nil || f.dropped.Load()
}

// WriteAt writes p at offset off of the file. It may be called from several
// goroutines at once for pieces that do not overlap; p must lie within
// hdr.Size. Zero bytes are not written (the file reads as zeros where
// nothing was written), so blocks of zeros become holes.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	if f.Skipped() {
		return len(p), nil
	}
	if off < 0 || off > f.hdr.Size || int64(len(p)) > f.hdr.Size-off {
		return 0, &MemberError{Member: f.hdr.Name, Op: fmt.Sprintf("write of %d bytes at offset %d", len(p), off), Err: fmt.Errorf("beyond size %d", f.hdr.Size)}
	}
	n, err := f.w.writeSparse(f.of.f, p, off)
	if err != nil {
		if f.dropped.Load() {
			return len(p), nil
		}
		return n, memberErr(f.hdr.Name, "cannot write", err)
	}
	return n, nil
}

// Done records that one piece is written. When all pieces are, it sets the
// file's metadata and closes it, and returns any error in doing so.
func (f *File) Done() error {
	d := f.done.Add(1)
	switch {
	case d > f.pieces:
		return &MemberError{Member: f.hdr.Name, Op: "Done", Err: fmt.Errorf("called more than %d times", f.pieces)}
	case d < f.pieces:
		return nil
	}
	return f.finish()
}

// finish completes the file once all pieces are written.
func (f *File) finish() error {
	if f.of == nil {
		return nil
	}
	w := f.w
	f.n.mu.Lock()
	defer f.n.mu.Unlock()
	if f.dropped.Load() {
		return nil
	}
	w.mu.Lock()
	_, mine := w.inflight[f.of]
	if f.n.file == f {
		f.n.file = nil
	}
	w.mu.Unlock()
	if !mine {
		return &MemberError{Member: f.hdr.Name, Err: ErrClosed} // aborted
	}
	var errs []error
	if err := f.of.f.Truncate(f.hdr.Size); err != nil {
		errs = append(errs, memberErr(f.hdr.Name, "cannot truncate", err))
	}
	if err := w.applyFile(f.of, &f.hdr); err != nil {
		errs = append(errs, err)
	}
	if err := w.release(f.of, false); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Discard abandons the file, as when its data turned out to be wrong: the
// partial file is removed (if it still holds the path), and later WriteAt
// and Done calls do nothing.
func (f *File) Discard() {
	if f.of == nil {
		return
	}
	f.n.mu.Lock()
	defer f.n.mu.Unlock()
	if f.dropped.Load() {
		return
	}
	f.w.drop(f, true)
}

// supersede turns f, whose path a member with a higher number has claimed,
// into a skipped File and removes its partial file. The caller holds f.n.mu.
func (w *Writer) supersede(f *File) {
	w.drop(f, false)
}

// drop closes and removes the partial file of f and turns f into a skipped
// File. With clearNode, the node is told its path holds nothing now. The
// caller holds f.n.mu.
func (w *Writer) drop(f *File, clearNode bool) {
	f.dropped.Store(true)
	w.mu.Lock()
	_, mine := w.inflight[f.of]
	delete(w.inflight, f.of)
	if clearNode && f.n.file == f {
		f.n.file = nil
		f.n.kind = kindNone
	}
	w.mu.Unlock()
	if mine {
		w.discardFile(f.of)
	} else {
		f.of.f.Close()
	}
}
