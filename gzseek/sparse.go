package gzseek

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/tarx-dev/tarx/internal/inflate"
)

// maxMatch is the longest deflate back-reference.
const maxMatch = 258

// SparseWindow returns cp's window with every byte that no back-reference
// after cp reaches set to zero, for the gzip file of the given size read
// through ra. Resuming from the result gives the same output as from the
// full window, and zeroed windows compress to a fraction of their size
// (rapidgzip's "sparse windows"). A member start is returned as it is.
// It is a Sparsifier used once.
func SparseWindow(ra io.ReaderAt, size int64, cp Checkpoint) ([]byte, error) {
	var s Sparsifier
	return s.Window(ra, size, cp)
}

// A Sparsifier makes sparse windows (see SparseWindow), keeping its
// decoder and buffers from one checkpoint to the next: a build calls it for
// every checkpoint. The zero value is ready; it is not safe for
// concurrent use.
//
// It decodes from the checkpoint with markers for the window and keeps the
// window bytes whose markers appear. A back-reference reaches at most
// WindowSize bytes back, so only a match that starts in the first
// WindowSize bytes of output can copy from the window, and it ends within
// maxMatch bytes: a marker that first appears later is a copy of an
// earlier one. So it decodes that much output (inflate.MarkerDecoder.Prefix,
// stopping inside a block), about 33 KiB a checkpoint, however long the
// markers live on in the output after it. Resuming with the result
// rebuilds every copied byte from the kept ones.
type Sparsifier struct {
	m    inflate.MarkerDecoder
	br   *bufio.Reader
	used [WindowSize]bool
}

// Window returns cp's sparse window, as SparseWindow does.
func (s *Sparsifier) Window(ra io.ReaderAt, size int64, cp Checkpoint) ([]byte, error) {
	if err := cp.validate(); err != nil {
		return nil, err
	}
	if cp.MemberStart || len(cp.Window) == 0 {
		return cp.Window, nil
	}
	if cp.In >= size {
		return nil, fmt.Errorf("%w: compressed offset %d beyond file size %d", ErrCheckpoint, cp.In, size)
	}
	src := io.NewSectionReader(ra, cp.In, size-cp.In)
	if s.br == nil {
		// Deflate rarely packs 33 KiB of output into less than 4 KiB of
		// input; a bigger buffer would read more than the decoder needs.
		s.br = bufio.NewReaderSize(src, 16<<10)
	} else {
		s.br.Reset(src)
	}
	s.m.Reset(s.br, cp.Bit)
	if _, err := s.m.Prefix(WindowSize + maxMatch); err != nil {
		return nil, inflateError(err, cp.In+s.m.InputBits()/8)
	}
	clear(s.used[:])
	for _, v := range s.m.Output() {
		if v >= inflate.MarkerBase {
			s.used[v-inflate.MarkerBase] = true
		}
	}
	w := bytes.Clone(cp.Window)
	skip := WindowSize - len(w)
	for i := range w {
		if !s.used[skip+i] {
			w[i] = 0
		}
	}
	return w, nil
}
