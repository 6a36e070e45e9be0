package index

import (
	"context"
	"io"
)

// pipeBufSize is the size of the decompressed chunks handed from the
// inflating goroutine to the tar parser.
const pipeBufSize = 1 << 20

// pipe hands decompressed bytes from one goroutine to another in large
// chunks, recycling a fixed set of buffers so memory stays bounded. It
// exists because io.Pipe copies in the writer's call and would keep the
// two goroutines in lock step.
type pipe struct {
	ctx  context.Context
	full chan []byte
	free chan []byte
	err  error // why fill stopped early; read after full is closed
}

func newPipe(ctx context.Context, buffers int) *pipe {
	p := &pipe{ctx: ctx, full: make(chan []byte, buffers), free: make(chan []byte, buffers)}
	for range buffers {
		p.free <- make([]byte, pipeBufSize)
	}
	return p
}

// fill reads from r into free buffers and sends them until r ends.
// It closes the pipe when done. A read error is not returned but handed
// to the reader after everything read before it, so the consumer
// processes (and reports on) all the data that came before the error.
// Only cancellation is returned.
func (p *pipe) fill(r io.Reader, progress func()) (err error) {
	defer func() {
		if err != nil && p.ctx.Err() == nil {
			p.err, err = err, nil
		}
		close(p.full)
	}()
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-p.ctx.Done():
			return p.ctx.Err()
		}
		n, err := io.ReadFull(r, buf[:cap(buf)])
		if n > 0 {
			select {
			case p.full <- buf[:n]:
			case <-p.ctx.Done():
				return p.ctx.Err()
			}
		} else {
			p.free <- buf
		}
		if progress != nil {
			progress()
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// pipeReader is the receiving end of a pipe. It counts the bytes read.
type pipeReader struct {
	p    *pipe
	sums *blockSummer // sums the stream's blocks, if set
	cur  []byte
	buf  []byte
	n    int64
}

func (r *pipeReader) Read(b []byte) (int, error) {
	if len(r.cur) == 0 {
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(b, r.cur)
	r.cur = r.cur[n:]
	r.n += int64(n)
	return n, nil
}

// Lend returns up to n of the next bytes without copying them
// (tarfmt.Lender): they stay valid until the next call.
func (r *pipeReader) Lend(n int) ([]byte, error) {
	if len(r.cur) == 0 {
		if err := r.next(); err != nil {
			return nil, err
		}
	}
	n = min(n, len(r.cur))
	b := r.cur[:n]
	r.cur = r.cur[n:]
	r.n += int64(n)
	return b, nil
}

// next recycles the buffer read and waits for the next one.
func (r *pipeReader) next() error {
	for len(r.cur) == 0 {
		if r.buf != nil {
			r.p.free <- r.buf[:cap(r.buf)]
			r.buf = nil
		}
		select {
		case buf, ok := <-r.p.full:
			if !ok {
				if r.p.err != nil {
					return &sourceError{r.p.err}
				}
				return io.EOF
			}
			r.buf, r.cur = buf, buf
			if r.sums != nil {
				if err := r.sums.write(buf); err != nil {
					return err
				}
			}
		case <-r.p.ctx.Done():
			return r.p.ctx.Err()
		}
	}
	return nil
}

// drain reads and discards the rest of the stream.
func (r *pipeReader) drain() error {
	_, err := io.Copy(io.Discard, r)
	return err
}

// sourceError marks an error of the pipe's source (the gzip layer), so
// that the tar parser can tell it from archive/tar's own errors without
// looking at message texts.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }
