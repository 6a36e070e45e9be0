package gzseek

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/tarx-dev/tarx/internal/inflate"
)

// SparseWindow returns cp's window with every byte that no back-reference
// after cp reaches set to zero, for the gzip file of the given size read
// through ra. Resuming from the result gives the same output as from the
// full window, and zeroed windows compress to a fraction of their size
// (rapidgzip's "sparse windows"). A member start is returned as it is.
//
// It decodes from cp with markers for the window until the last 32 KiB of
// output hold none (no later reference can reach the window then) or the
// member ends, and keeps the window bytes whose markers appeared.
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
	scanned, lastMarker := 0, -1
	for {
		final, err := m.Block()
		if err != nil {
			return nil, inflateError(err, cp.In+m.InputBits()/8)
		}
		sym := m.Output()
		for i, v := range sym[scanned:] {
			if v >= inflate.MarkerBase {
				used[v-inflate.MarkerBase] = true
				lastMarker = scanned + i
			}
		}
		scanned = len(sym)
		if final || scanned-(lastMarker+1) >= WindowSize {
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
