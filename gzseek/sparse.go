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
//
// It decodes from cp with markers for the window and keeps the window
// bytes whose markers appear. A back-reference reaches at most WindowSize
// bytes back, so only a match that starts in the first WindowSize bytes of
// output can copy from the window, and it ends within maxMatch bytes: a
// marker that first appears later is a copy of an earlier one. So the set
// is final once that much output is decoded (or the member ends), however
// long markers live on in the output. Resuming with the result rebuilds
// every copied byte from the kept ones.
func SparseWindow(ra io.ReaderAt, size int64, cp Checkpoint) ([]byte, error) {
	if err := cp.validate(); err != nil {
		return nil, err
	}
	if cp.MemberStart || len(cp.Window) == 0 {
		return cp.Window, nil
	}
	if cp.In >= size {
		return nil, fmt.Errorf("%w: compressed offset %d beyond file size %d", ErrCheckpoint, cp.In, size)
	}
	var m inflate.MarkerDecoder
	m.Reset(bufio.NewReaderSize(io.NewSectionReader(ra, cp.In, size-cp.In), bufSize), cp.Bit)
	var used [WindowSize]bool
	scanned := 0
	for {
		final, err := m.Block()
		if err != nil {
			return nil, inflateError(err, cp.In+m.InputBits()/8)
		}
		sym := m.Output()
		for _, v := range sym[scanned:] {
			if v >= inflate.MarkerBase {
				used[v-inflate.MarkerBase] = true
			}
		}
		scanned = len(sym)
		if final || scanned >= WindowSize+maxMatch {
			break
		}
	}
	w := bytes.Clone(cp.Window)
	skip := WindowSize - len(w)
	for i := range w {
		if !used[skip+i] {
			w[i] = 0
		}
	}
	return w, nil
}
