package gzseek

import (
	"bufio"
	"fmt"
	"io"

	"github.com/tarx-dev/tarx/internal/inflate"
)

// A Reader reads the decompressed stream from a checkpoint to the end of
// the file. Members that it reads from their start have their CRC-32 and
// ISIZE checked; the member it resumes inside cannot be, since the
// checksum covers bytes before the checkpoint.
type Reader struct {
	d decoder
}

// Resume returns a Reader of the decompressed data that starts at cp, in
// the gzip file of the given size read through ra.
func Resume(ra io.ReaderAt, size int64, cp Checkpoint) (*Reader, error) {
	r := new(Reader)
	if err := r.Reset(ra, size, cp); err != nil {
		return nil, err
	}
	return r, nil
}

// Reset makes r read from checkpoint cp, as Resume does, reusing its
// buffers: its input buffer and its inflater, some 400 KiB that a reader
// of many short runs (a worker resuming at one checkpoint after another)
// would otherwise allocate and clear for each.
func (r *Reader) Reset(ra io.ReaderAt, size int64, cp Checkpoint) error {
	if err := cp.validate(); err != nil {
		return err
	}
	if cp.In >= size {
		return fmt.Errorf("%w: compressed offset %d beyond file size %d", ErrCheckpoint, cp.In, size)
	}
	d := &r.d
	br, inflater := d.br, d.inflater
	*d = decoder{inflater: inflater}
	d.src = &countingReader{r: io.NewSectionReader(ra, cp.In, size-cp.In), n: cp.In}
	if br == nil {
		br = bufio.NewReaderSize(d.src, bufSize)
	} else {
		br.Reset(d.src)
	}
	d.br = br
	d.member = cp.Member
	d.out = cp.Out
	if cp.MemberStart {
		return nil
	}
	d.started = true
	d.memOut = cp.Out
	d.fr = d.startInflate(inflate.Options{StartBit: cp.Bit, Window: cp.Window})
	return nil
}

// Read reads decompressed data.
func (r *Reader) Read(p []byte) (int, error) { return r.d.Read(p) }

// Offset returns the offset in the decompressed stream of the next byte
// Read returns.
func (r *Reader) Offset() int64 { return r.d.out }

// Close ends the Reader: reads fail until Reset. It keeps the buffers for
// Reset and does not close the underlying file.
func (r *Reader) Close() error {
	r.d.fr, r.d.src = nil, nil
	r.d.err = fmt.Errorf("gzseek: read after Close")
	return nil
}
