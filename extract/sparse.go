package extract

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
)

// Sizes for writing the contents of regular files.
const (
	blockSize = 4096      // granularity of holes
	bufSize   = 256 << 10 // copy buffer
)

// writeFile creates a regular file and copies r into it.
func (w *Writer) writeFile(seq int64, auto bool, name string, hdr *tar.Header, r io.Reader) (err error) {
	n, ok, err := w.begin(seq, auto, name, hdr.Name)
	if err != nil || !ok {
		return err
	}
	k := kindNone
	defer func() { w.end(name, n, k, nil, "") }()

	of, err := w.create(name, hdr)
	if err != nil {
		return err
	}
	if err := w.fill(of, hdr.Size, r); err != nil {
		w.release(of, true)
		return err
	}
	var errs []error
	if err := w.applyFile(of, hdr); err != nil {
		errs = append(errs, err)
	}
	if err := w.release(of, false); err != nil {
		errs = append(errs, err)
	} else {
		k = kindFile
	}
	return errors.Join(errs...)
}

// fill copies size bytes from r to the new file of, leaving zero blocks as
// holes, and truncates the file to size.
func (w *Writer) fill(of *openFile, size int64, r io.Reader) error {
	var off int64
	tailZero := false // the last block read was zeros: maybe not on disk
	if r != nil {
		bp := w.bufs.Get().(*[]byte)
		defer w.bufs.Put(bp)
		buf := *bp
		for {
			// Fill buf, keeping any error that comes with the last bytes
			// (io.ReadFull would drop it when buf fills).
			nr := 0
			var rerr error
			for nr < len(buf) && rerr == nil {
				var k int
				k, rerr = r.Read(buf[nr:])
				nr += k
			}
			if int64(nr) > size-off {
				return &MemberError{Member: of.member, Op: "reading data", Err: fmt.Errorf("more than %d bytes", size)}
			}
			if rerr != nil && rerr != io.EOF {
				return dataErr(of.member, rerr)
			}
			if nr > 0 {
				if _, err := w.writeSparse(of.f, buf[:nr], off); err != nil {
					return memberErr(of.member, "cannot write", err)
				}
				// writeSparse skips the last run of p if it is zeros: the
				// run from the start of the last block (or of p).
				start := off
				off += int64(nr)
				last := max(start, (off-1)/blockSize*blockSize)
				tailZero = w.isZero(buf[last-start : nr])
			}
			if rerr == io.EOF {
				break
			}
		}
	}
	if off != size {
		return &MemberError{Member: of.member, Op: fmt.Sprintf("reading data: got %d of %d bytes", off, size), Err: io.ErrUnexpectedEOF}
	}
	// A file whose last block was a hole is short of its size; one whose
	// last bytes were written has it already (the file is new and empty
	// before), which saves an ftruncate per file.
	if tailZero {
		if err := of.f.Truncate(size); err != nil {
			return memberErr(of.member, "cannot truncate", err)
		}
	}
	return nil
}

// writeSparse writes p at off in a file that reads as zeros where nothing was
// written, skipping the zero bytes of p in runs aligned to blockSize, so that
// whole zero blocks become holes. It returns how many bytes of p are on disk.
func (w *Writer) writeSparse(f *outFile, p []byte, off int64) (int, error) {
	i := 0
	for i < len(p) {
		end := min(len(p), i+blockSize-int((off+int64(i))%blockSize))
		if w.isZero(p[i:end]) {
			i = end
			continue
		}
		j := end // aligned from here on
		for j < len(p) {
			e := min(len(p), j+blockSize)
			if w.isZero(p[j:e]) {
				break
			}
			j = e
		}
		if n, err := f.WriteAt(p[i:j], off+int64(i)); err != nil {
			return i + n, err
		}
		i = j
	}
	return len(p), nil
}

// isZero reports whether b holds only zero bytes.
func (w *Writer) isZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(w.zero))
		if string(b[:n]) != string(w.zero[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}
