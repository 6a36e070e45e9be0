package index

import (
	"context"
	"io"

	"github.com/tarx-dev/tarx/gzseek"
)

// pipeBufSize is the size of the decompressed chunks handed from the
// inflating goroutine to the tar parser.
const pipeBufSize = 1 << 20

// pipeHead is the room before a chunk in its buffer for the last bytes
// of the chunk before it: the inflater's window (see gzseek.Scanner.Append).
const pipeHead = gzseek.WindowSize

// appender is a source the pipe fills its buffers from: Append adds to
// dst, which ends with the last pipeHead bytes it added before (all of
// them, if fewer), up to its capacity, which leaves it at least
// gzseek.AppendRoom bytes of room; and returns io.EOF at the end.
type appender interface {
	Append(dst []byte) ([]byte, error)
}

// pipe hands decompressed bytes from one goroutine to another in large
// chunks, recycling a fixed set of buffers so memory stays bounded. It
// exists because io.Pipe copies in the writer's call and would keep the
// two goroutines in lock step; and so that the inflater writes its output
// where the reader finds it, not into a buffer of its own first.
type pipe struct {
	ctx  context.Context
	full chan []byte
	free chan []byte
	err  error // why fill stopped early; read after full is closed
}

func newPipe(ctx context.Context, buffers int) *pipe {
	p := &pipe{ctx: ctx, full: make(chan []byte, buffers), free: make(chan []byte, buffers)}
	for range buffers {
		p.free <- make([]byte, pipeHead+pipeBufSize+gzseek.AppendRoom)
	}
	return p
}

// fill appends from src to free buffers and sends them until src ends.
// Each buffer starts with pipeHead bytes, the last of the buffer before
// (nothing in particular in the first), and the reader skips them. It
// closes the pipe when done. A read error is not returned but handed to
// the reader after everything read before it, so the consumer processes
// (and reports on) all the data that came before the error. Only
// cancellation is returned.
func (p *pipe) fill(src appender, progress func()) (err error) {
	defer func() {
		if err != nil && p.ctx.Err() == nil {
			p.err, err = err, nil
		}
		close(p.full)
	}()
	var prev []byte // the buffer filled last, not sent yet
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-p.ctx.Done():
			return p.ctx.Err()
		}
		// Copied before prev is sent: the reader cannot have handed it
		// back (as buf) yet.
		if prev != nil {
			copy(buf[:pipeHead], prev[len(prev)-pipeHead:])
			if err := p.send(prev); err != nil {
				return err
			}
		}
		dst := buf[:pipeHead]
		var rerr error
		for len(dst) < pipeHead+pipeBufSize && rerr == nil {
			dst, rerr = src.Append(dst)
		}
		if progress != nil {
			progress()
		}
		prev = dst
		if len(dst) == pipeHead {
			prev = nil
			p.free <- buf
		}
		if rerr != nil {
			if prev != nil {
				if err := p.send(prev); err != nil {
					return err
				}
			}
			if rerr == io.EOF {
				return nil
			}
			return rerr
		}
	}
}

// send hands the reader buffer b, whose first pipeHead bytes it skips.
func (p *pipe) send(b []byte) error {
	select {
	case p.full <- b:
		return nil
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
}

// pipeReader is the receiving end of a pipe. It counts the bytes read.
type pipeReader struct {
	p    *pipe
	sums *blockSummer // sums the stream's blocks, if set
	cur  []byte       // what is left to read of buf
	buf  []byte       // the buffer being read, with its head
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
			r.buf, r.cur, r.unsummed = buf, buf[pipeHead:], buf[pipeHead:]
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
