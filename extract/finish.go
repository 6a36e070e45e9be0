package extract

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
)

// deferLink records a symbolic link (target empty) or a hard link to target,
// for Close to create.
func (w *Writer) deferLink(seq int64, auto bool, name, target string, hdr *tar.Header) error {
	n, ok, err := w.begin(seq, auto, name, hdr.Name)
	if err != nil || !ok {
		return err
	}
	h := *hdr
	k := kindSymlink
	if hdr.Typeflag == tar.TypeLink {
		k = kindLink
	}
	w.end(name, n, k, &h, target)
	return nil
}

// Close finishes the extraction. It removes files from CreateFile whose
// pieces were not all done (reporting ErrIncomplete), then creates the hard
// links (whose targets must exist inside the root), then the symbolic links,
// then hard links to those symbolic links, and then sets the owners, modes
// and times of directories, deepest first. It closes the root and returns
// all errors, joined. Close must be called after all other calls have
// returned; calling it again, or after Abort, does nothing.
//
// Hard links are created last, so a hard link whose target is replaced by a
// later member links to the later file (GNU tar links to the earlier one).
func (w *Writer) Close() error {
	if !w.markClosed() {
		return nil
	}
	errs := w.removeUnfinished()
	links, symlinks, dirs := w.deferred()
	made := make(map[string]bool) // symbolic links created
	errs = append(errs, w.makeLinks(links, symlinks, made)...)
	// The links may have replaced entries: the directories are opened
	// afresh, each from its parent's cached handle, as during extraction.
	w.dirs.drop()
	errs = append(errs, w.setDirs(dirs, made)...)
	w.dirs.drop()
	if err := w.root.Close(); err != nil {
		errs = append(errs, fmt.Errorf("extract: %w", err))
	}
	return errors.Join(errs...)
}

// pathNode is a path and its node, as Close's phases take them.
type pathNode struct {
	name string
	n    *node
}

// removeUnfinished closes and removes the regular files still being
// written, and returns an ErrIncomplete error for each. Once all other calls
// have returned, as Close requires, these are the files from CreateFile whose
// pieces were not all done; Abort also takes those of WriteEntry calls in
// progress, and ignores the errors.
func (w *Writer) removeUnfinished() []error {
	var errs []error
	for _, of := range w.takeInflight() {
		w.discardFile(of)
		errs = append(errs, &MemberError{Member: of.member, Err: ErrIncomplete})
	}
	return errs
}

// deferred returns the paths whose winning members Close completes: hard
// links and symbolic links, each in member order, and directories.
func (w *Writer) deferred() (links, symlinks, dirs []pathNode) {
	w.mu.Lock()
	for name, n := range w.nodes {
		switch n.kind {
		case kindLink:
			links = append(links, pathNode{name, n})
		case kindSymlink:
			symlinks = append(symlinks, pathNode{name, n})
		case kindDir:
			dirs = append(dirs, pathNode{name, n})
		}
	}
	w.mu.Unlock()
	bySeq := func(a, b pathNode) int { return cmpInt(a.n.seq, b.n.seq) }
	slices.SortFunc(links, bySeq)
	slices.SortFunc(symlinks, bySeq)
	return links, symlinks, dirs
}

// makeLinks creates the hard links and symbolic links, recording in made the
// symbolic links it creates: first the hard links whose targets are not
// symbolic links from the archive, then the symbolic links, then the hard
// links to symbolic links. A hard link left after that is part of a loop of
// hard links and fails.
func (w *Writer) makeLinks(links, symlinks []pathNode, made map[string]bool) []error {
	settled := make(map[string]bool) // hard links made or failed
	links, errs := w.makeHardLinks(links, settled, made, false)
	errs = append(errs, w.makeSymlinks(symlinks, made)...)
	links, lerrs := w.makeHardLinks(links, settled, made, true)
	errs = append(errs, lerrs...)
	for _, l := range links {
		errs = append(errs, &MemberError{Member: l.n.hdr.Name, Op: "cannot hard link to " + quoteName(l.n.hdr.Linkname), Err: errors.New("hard link loop")})
	}
	return errs
}

// makeHardLinks creates, in member order and in passes until a pass creates
// none, the hard links whose targets are ready: a target that is a hard link
// from the archive once that link is settled (made or failed), a target that
// is a symbolic link from the archive only with symlinksMade. It records the
// links it settles in settled, and returns the links left waiting and the
// errors.
func (w *Writer) makeHardLinks(links []pathNode, settled, made map[string]bool, symlinksMade bool) ([]pathNode, []error) {
	var errs []error
	for progress := true; progress; {
		progress = false
		rest := links[:0]
		for _, l := range links {
			t := w.kindOf(l.n.target)
			if t == kindLink && !settled[l.n.target] || t == kindSymlink && !symlinksMade {
				rest = append(rest, l)
				continue
			}
			if err := w.makeLink(l.name, l.n, made); err != nil {
				errs = append(errs, err)
			}
			settled[l.name] = true
			progress = true
		}
		links = rest
	}
	return links, errs
}

// makeSymlinks creates the symbolic links, in member order, recording each
// in made.
func (w *Writer) makeSymlinks(symlinks []pathNode, made map[string]bool) []error {
	var errs []error
	for _, s := range symlinks {
		if err := w.makeSymlink(s.name, s.n.hdr, made); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// setDirs sets the owners, modes and times of the directories, deepest
// first, so that no directory's mode bars the way to those below it before
// they are done; siblings follow each other, so that their parent's handle
// is opened once.
func (w *Writer) setDirs(dirs []pathNode, made map[string]bool) []error {
	slices.SortFunc(dirs, func(a, b pathNode) int {
		if c := cmpInt(strings.Count(b.name, "/"), strings.Count(a.name, "/")); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	var errs []error
	for _, d := range dirs {
		if err := w.setDir(d.name, d.n.hdr, made); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// cmpInt compares a and b as [cmp.Compare] does.
func cmpInt[T int | int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// viaSymlink returns the first parent of name that is a symbolic link
// created from the archive, or "".
func viaSymlink(name string, made map[string]bool) string {
	for i := 0; i < len(name); i++ {
		if name[i] == '/' && made[name[:i]] {
			return name[:i]
		}
	}
	return ""
}

// makeLink creates the hard link of node n at name.
func (w *Writer) makeLink(name string, n *node, made map[string]bool) error {
	member, target := n.hdr.Name, n.target
	op := "cannot hard link to " + quoteName(n.hdr.Linkname)
	for _, p := range []string{name, target} {
		if s := viaSymlink(p, made); s != "" {
			return &MemberError{Member: member, Op: op + ": " + quoteName(s) + " is a symbolic link in the archive", Err: ErrUnsafePath}
		}
	}
	tfi, err := w.root.Lstat(target)
	if err != nil {
		return memberErr(member, op, err)
	}
	if tfi.IsDir() {
		return memberErr(member, op, syscall.EPERM)
	}
	if target == name {
		return nil
	}
	err = w.retry(name, func() error {
		err := w.root.Link(target, name)
		if errors.Is(err, fs.ErrExist) {
			if fi, serr := w.root.Lstat(name); serr == nil && os.SameFile(fi, tfi) {
				return nil // already linked
			}
		}
		return err
	})
	if err != nil {
		return memberErr(member, op, err)
	}
	return nil
}

// makeSymlink creates the symbolic link of hdr at name.
func (w *Writer) makeSymlink(name string, hdr *tar.Header, made map[string]bool) error {
	op := "cannot create symlink to " + quoteName(hdr.Linkname)
	if s := viaSymlink(name, made); s != "" {
		return &MemberError{Member: hdr.Name, Op: op + ": " + quoteName(s) + " is a symbolic link in the archive", Err: ErrUnsafePath}
	}
	var metaErr error
	err := w.inParent(name, true, func(dirfd int, base string) error {
		err := retryAt(dirfd, base, func() error { return symlinkAt(hdr.Linkname, dirfd, base) })
		if err != nil {
			return err
		}
		made[name] = true
		metaErr = w.applyAt(dirfd, base, hdr, true)
		return nil
	})
	if err != nil {
		return memberErr(hdr.Name, op, err)
	}
	return metaErr
}

// setDir sets the owner, mode and time of directory name.
func (w *Writer) setDir(name string, hdr *tar.Header, made map[string]bool) error {
	if s := viaSymlink(name, made); s != "" {
		return &MemberError{Member: hdr.Name, Op: "cannot set metadata: " + quoteName(s) + " is a symbolic link in the archive", Err: ErrUnsafePath}
	}
	err := w.inCachedParent(name, func(dir *dirHandle, base string) error {
		fd, err := openDirAt(dir.fd, base)
		if err != nil {
			return err
		}
		defer closeFD(fd)
		return w.applyFD(fd, hdr)
	})
	if err != nil {
		return memberErr(hdr.Name, "cannot set metadata", err)
	}
	return nil
}

// Abort removes the files that are being written (from WriteEntry calls in
// progress and from CreateFile files whose pieces are not all done), so that
// no file is left that looks complete, and closes the root. Further calls
// fail with ErrClosed; calls in progress fail. Members already complete
// stay, and symbolic links, hard links and directory metadata not yet set by
// Close are not made. Abort after Close or Abort does nothing.
func (w *Writer) Abort() {
	if !w.markClosed() {
		return
	}
	w.removeUnfinished()
	w.dirs.drop()
	w.root.Close()
}
