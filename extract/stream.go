package extract

import (
	"archive/tar"
	"bytes"
	"context"
	"hash/maphash"
	"io"
	"strings"

	"github.com/tarx-dev/tarx/internal/match"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// smallFile is the size up to which a streamed member is read into memory
// and handed to a worker; larger ones are written by a worker straight
// from the stream while the reader waits.
const smallFile = 1 << 20

// maxBuffered bounds the bytes of member data held for workers at once.
const maxBuffered = 32 << 20

// A Streamer extracts members that arrive in archive order from one
// reading goroutine (an archive read once, without an index), spreading
// file creation over workers. Members are assigned to workers by name, so
// later duplicates of a path are written after earlier ones.
type Streamer struct {
	x      *run
	sel    *match.Matcher
	seed   maphash.Seed
	shards []chan streamJob
	g      *errgroup.Group
	sem    *semaphore.Weighted

	// pending maps the names of dispatched members to a channel closed
	// when the member is written. A member waits for the members named
	// like its parent directories, so "p" (a file, a directory or a
	// symbolic link) is in place before "p/child" is written, as in a
	// serial extraction. Only Member's goroutine uses it.
	pending map[string]chan struct{}
	sent    int
}

type streamJob struct {
	seq  int64
	hdr  *tar.Header
	data io.Reader
	held int64         // bytes of the buffering budget the job holds
	src  *trackReader  // the archive stream behind data, if streamed
	done chan struct{} // closed when the member is written
}

// NewStreamer starts the workers of a streaming extraction.
func NewStreamer(ctx context.Context, opts Options) (*Streamer, error) {
	sel, err := match.New(opts.Patterns)
	if err != nil {
		return nil, err
	}
	w, err := NewWriter(opts.Dir, opts.Writer)
	if err != nil {
		return nil, err
	}
	g := &errgroup.Group{}
	s := &Streamer{
		x:    &run{ctx: ctx, w: w, opts: &opts},
		sel:  sel,
		seed: maphash.MakeSeed(),
		g:    g,
		sem:  semaphore.NewWeighted(maxBuffered),

		pending: make(map[string]chan struct{}),
	}
	for range opts.jobs() {
		ch := make(chan streamJob, 64)
		s.shards = append(s.shards, ch)
		g.Go(func() error {
			for j := range ch {
				s.write(j)
			}
			return nil
		})
	}
	return s, nil
}

func (s *Streamer) write(j streamJob) {
	if s.x.ctx.Err() == nil {
		if err := s.x.w.WriteEntrySeq(j.seq, j.hdr, j.data); err != nil {
			// A failed read of the archive is the reader's to report.
			if j.src == nil || j.src.err == nil {
				s.x.report(err)
			}
		} else {
			s.x.done(j.hdr.Size)
		}
	}
	if j.held > 0 {
		s.sem.Release(j.held)
	}
	close(j.done)
}

// Member extracts one member; seq is its number in the archive. It must be
// called in archive order from one goroutine. data is read before Member
// returns, or not at all.
func (s *Streamer) Member(seq int64, hdr *tar.Header, data io.Reader) error {
	ctx := s.x.ctx
	if err := ctx.Err(); err != nil {
		return err
	}
	if !s.sel.Match(hdr.Name) || s.x.opts.excluded(hdr.Name) {
		return nil
	}
	name, ok, err := s.x.w.Name(hdr.Name)
	if err != nil {
		s.x.report(err)
		return nil
	}
	if !ok {
		return nil
	}
	s.x.opts.selected(hdr)
	if err := s.waitParents(name); err != nil {
		return err
	}
	h := *hdr
	j := streamJob{seq: seq, hdr: &h, data: eofReader{}, done: make(chan struct{})}
	s.track(name, j.done)
	wait := false
	shard := s.shards[maphash.String(s.seed, name)%uint64(len(s.shards))]
	switch {
	case !isRegular(hdr.Typeflag):
	case hdr.Size <= smallFile:
		// Buffers are exactly sized and left to the collector: pooled
		// 1 MiB buffers held most of the memory for archives of small files.
		j.held = max(hdr.Size, 512)
		if err := s.sem.Acquire(ctx, j.held); err != nil {
			return err
		}
		b := make([]byte, hdr.Size)
		if _, err := io.ReadFull(data, b); err != nil {
			s.sem.Release(j.held)
			return err
		}
		j.data = bytes.NewReader(b)
	default:
		// Stream it: the worker reads data while this goroutine waits.
		j.src = &trackReader{r: &ctxReader{ctx: ctx, r: data}}
		j.data = j.src
		wait = true
	}
	select {
	case shard <- j:
	case <-ctx.Done():
		return ctx.Err()
	}
	if wait {
		select {
		case <-j.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// waitParents waits until the members named like the parent directories
// of name are written.
func (s *Streamer) waitParents(name string) error {
	for i := strings.IndexByte(name, '/'); i >= 0; {
		if done := s.pending[name[:i]]; done != nil {
			select {
			case <-done:
			case <-s.x.ctx.Done():
				return s.x.ctx.Err()
			}
		}
		next := strings.IndexByte(name[i+1:], '/')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return nil
}

// track records a dispatched member, forgetting written ones now and then
// so the map stays small.
func (s *Streamer) track(name string, done chan struct{}) {
	s.pending[name] = done
	if s.sent++; s.sent%4096 == 0 {
		for k, ch := range s.pending {
			select {
			case <-ch:
				delete(s.pending, k)
			default:
			}
		}
	}
}

// Close waits for the workers and finishes the extraction (links,
// directory times), also after a read error, as tar does with what it
// extracted. After cancellation it aborts instead, removing files not
// completely written.
func (s *Streamer) Close() (Result, error) {
	for _, ch := range s.shards {
		close(ch)
	}
	s.g.Wait()
	s.x.res.Unmatched = s.sel.Unmatched()
	if s.x.ctx.Err() != nil {
		s.x.w.Abort()
		return s.x.res, s.x.ctx.Err()
	}
	if err := s.x.w.Close(); err != nil {
		for _, e := range unjoin(err) {
			s.x.report(e)
		}
	}
	return s.x.res, nil
}

// trackReader remembers the first read error other than io.EOF.
type trackReader struct {
	r   io.Reader
	err error
}

func (t *trackReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}
