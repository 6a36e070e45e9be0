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
	// unsummed is the part of buf the block summer has not seen: it
	// sums sumAhead bytes at a time ahead of what is read, so that the
	// parser finds them in cache (a whole buffer at once is twice the
	// size of a core's L2 cache).
	unsummed []byte
}

// sumAhead is how far ahead of the reader the block summer runs.
const sumAhead = 64 << 10

// take consumes up to n bytes of the current buffer, fetching the next
// if it is empty.
func (r *pipeReader) take(n int) ([]byte, error) {
	if len(r.cur) == 0 {
		if err := r.next(); err != nil {
			return nil, err
		}
	}
	n = min(n, len(r.cur))
	if r.sums != nil {
		// Sum up to sumAhead past the end of what is taken.
		for done := len(r.buf) - len(r.unsummed); done < len(r.buf)-len(r.cur)+n && len(r.unsummed) > 0; done += sumAhead {
			k := min(sumAhead, len(r.unsummed))
			if err := r.sums.write(r.unsummed[:k]); err != nil {
				return nil, err
			}
			r.unsummed = r.unsummed[k:]
		}
	}
	b := r.cur[:n]
	r.cur = r.cur[n:]
	r.n += int64(n)
	return b, nil
}

func (r *pipeReader) Read(b []byte) (int, error) {
	t, err := r.take(len(b))
	return copy(b, t), err
}

// Lend returns up to n of the next bytes without copying them
// (tarfmt.Lender): they stay valid until the next call.
func (r *pipeReader) Lend(n int) ([]byte, error) { return r.take(n) }

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
			r.buf, r.cur, r.unsummed = buf, buf, buf
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
