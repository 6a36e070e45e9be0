package extract

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// A SharedFile is a regular file member that several shards write, each
// its own byte ranges (see NewPlan): every shard opens the file, creating
// it if no other has yet, and writes in place; none truncates below the
// member's size or removes it, and Finish sets its metadata once all have
// written. All bytes are written, zeros included, so a file left by an
// earlier run of the same shard is overwritten exactly.
type SharedFile struct {
	hdr tar.Header
	f   *os.File
}

// OpenShared opens the regular file member hdr for positioned writes of a
// part of it. It returns nil and no error if the member is skipped (its
// name is empty after stripping). What is at the path must be a regular
// file or nothing: a shard never removes what another may be writing.
func (w *Writer) OpenShared(hdr *tar.Header) (*SharedFile, error) {
	if w.isClosed() {
		return nil, &MemberError{Member: hdr.Name, Err: ErrClosed}
	}
	name, ok, err := w.Name(hdr.Name)
	if err != nil || !ok {
		return nil, err
	}
	var f *os.File
	for range 2 {
		if fi, err := w.root.Lstat(name); err == nil && !fi.Mode().IsRegular() {
			return nil, &MemberError{Member: hdr.Name, Op: "cannot open",
				Err: fmt.Errorf("%w: %s exists and is not a regular file (a shared file is written in place)", ErrShard, name)}
		}
		f, err = w.root.OpenFile(name, os.O_WRONLY|os.O_CREATE, filePerm)
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err = w.mkParents(name); err != nil {
			break
		}
	}
	if err != nil {
		return nil, memberErr(hdr.Name, "cannot open", err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() != hdr.Size {
		err = f.Truncate(hdr.Size)
	}
	if err != nil {
		f.Close()
		return nil, memberErr(hdr.Name, "cannot truncate", err)
	}
	return &SharedFile{hdr: *hdr, f: f}, nil
}

// WriteAt writes p at offset off of the member's contents.
func (s *SharedFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || int64(len(p)) > s.hdr.Size-off {
		return 0, &MemberError{Member: s.hdr.Name, Op: fmt.Sprintf("write of %d bytes at offset %d", len(p), off), Err: fmt.Errorf("beyond size %d", s.hdr.Size)}
	}
	n, err := s.f.WriteAt(p, off)
	if err != nil {
		return n, memberErr(s.hdr.Name, "cannot write", err)
	}
	return n, nil
}

// Close closes the file; its metadata is left to FinishShared.
func (s *SharedFile) Close() error {
	if err := s.f.Close(); err != nil {
		return memberErr(s.hdr.Name, "cannot close", err)
	}
	return nil
}

// FinishShared sets the owner, mode and time of the shared file member hdr
// once all shards have written it. The file must be there, regular and of
// the member's size.
func (w *Writer) FinishShared(hdr *tar.Header) error {
	name, ok, err := w.Name(hdr.Name)
	if err != nil || !ok {
		return err
	}
	fi, err := w.root.Lstat(name)
	switch {
	case err != nil:
		return memberErr(hdr.Name, "cannot set metadata", err)
	case !fi.Mode().IsRegular() || fi.Size() != hdr.Size:
		return &MemberError{Member: hdr.Name, Err: fmt.Errorf("%w: not the regular file of %d bytes the shards write", ErrIncomplete, hdr.Size)}
	}
	f, err := w.root.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return memberErr(hdr.Name, "cannot set metadata", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !os.SameFile(st, fi) {
		return memberErr(hdr.Name, "cannot set metadata", fmt.Errorf("%s changed while it was opened", name))
	}
	return withFD(f, func(fd int) error { return w.applyFD(fd, hdr) })
}
