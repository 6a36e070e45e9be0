package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// body reads the bytes [off, end) of an object (end < 0: up to its end,
// length unknown), re-requesting the rest after a dropped connection, a
// stall or a retryable status. It is the one place bodies are read.
type body struct {
	o        *Object
	ctx      context.Context
	off, end int64
	rc       io.ReadCloser
	retry    retrier
}

func (o *Object) newBody(ctx context.Context, off, end int64) *body {
	return &body{o: o, ctx: ctx, off: off, end: end, retry: retrier{opts: &o.opts}}
}

// Read reads the next bytes, resuming across failures within the retry
// budget.
func (b *body) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if b.end >= 0 && b.off >= b.end {
			return 0, io.EOF
		}
		if b.rc == nil {
			if err := b.open(); err != nil {
				return 0, err
			}
		}
		q := p
		if b.end >= 0 && int64(len(q)) > b.end-b.off {
			q = q[:b.end-b.off]
		}
		n, err := b.rc.Read(q)
		b.off += int64(n)
		if n > 0 {
			b.retry.progress()
		}
		if err == nil {
			return n, nil
		}
		b.closeBody()
		if err == io.EOF {
			if b.end < 0 || b.off == b.end {
				b.end = b.off
				if n > 0 {
					return n, nil
				}
				return 0, io.EOF
			}
			err = fmt.Errorf("remote: %s: body ended at byte %d of %d: %w", b.o.id.Name, b.off, b.end, io.ErrUnexpectedEOF)
		}
		if b.ctx.Err() != nil {
			return n, b.ctx.Err()
		}
		if !errors.Is(err, ErrChanged) && !errors.Is(err, ErrNoRange) {
			err = &retryableError{err: err}
		}
		if n > 0 {
			// Progress was made: hand it back; the next Read resumes.
			return n, nil
		}
		if err := b.retry.wait(b.ctx, err); err != nil {
			return 0, err
		}
	}
}

// open requests the rest of the body, retrying within the budget.
func (b *body) open() error {
	for {
		ctx, cancel := context.WithCancel(b.ctx)
		st := newStall(b.o.opts.stallTimeout(), cancel, b.o.id.Name)
		rc, err := b.o.be.get(ctx, b.o.getRequest(b.off, b.end))
		if err == nil {
			st.rc = rc
			b.rc = st
			return nil
		}
		st.stop()
		cancel()
		if b.ctx.Err() != nil {
			return b.ctx.Err()
		}
		if st.fired.Load() {
			err = &retryableError{err: st.err()}
		}
		if err := b.retry.wait(b.ctx, err); err != nil {
			return err
		}
	}
}

func (b *body) closeBody() {
	if b.rc != nil {
		b.rc.Close()
		b.rc = nil
	}
}

// Close ends the current request, if any.
func (b *body) Close() error {
	b.closeBody()
	return nil
}

// stall cancels a request when no byte arrives for d: first while waiting
// for the response, then between reads of its body.
type stall struct {
	rc     io.ReadCloser
	name   string
	d      time.Duration
	t      *time.Timer
	cancel context.CancelFunc
	fired  atomic.Bool
}

func newStall(d time.Duration, cancel context.CancelFunc, name string) *stall {
	s := &stall{d: d, cancel: cancel, name: name}
	s.t = time.AfterFunc(d, func() {
		s.fired.Store(true)
		cancel()
	})
	return s
}

func (s *stall) err() error {
	return fmt.Errorf("%w: %s: no data for %v", ErrStalled, s.name, s.d)
}

func (s *stall) stop() { s.t.Stop() }

func (s *stall) Read(p []byte) (int, error) {
	n, err := s.rc.Read(p)
	if n > 0 && !s.fired.Load() {
		s.t.Reset(s.d)
	}
	if err != nil && err != io.EOF && s.fired.Load() {
		err = s.err()
	}
	return n, err
}

func (s *stall) Close() error {
	s.t.Stop()
	s.cancel()
	return s.rc.Close()
}
