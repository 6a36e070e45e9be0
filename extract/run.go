package extract

import (
	"archive/tar"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/match"
	"github.com/tarx-dev/tarx/internal/tarfmt"
	"golang.org/x/sync/errgroup"
)

// Options configures an extraction.
type Options struct {
	// Dir is the destination directory, created if missing.
	Dir string
	// Jobs is the number of workers (runtime.NumCPU() if zero).
	Jobs int
	// Patterns select members as internal/match does; none selects all.
	Patterns []string
	// Writer configures how members are written.
	Writer WriterOptions
	// Report, if set, receives every per-member error as it happens.
	// The extraction goes on with the other members.
	Report func(err error)
	// Exclude, if set, leaves out the members whose name (as stored) it
	// reports true for, before anything is done with them (tar --exclude).
	Exclude func(name string) bool
	// Selected, if set, is called in archive order with every member that
	// is selected and not excluded, before it is written (tar -v). Calls
	// are serialized.
	Selected func(hdr *tar.Header)
	// Progress, if set, is called with the members and bytes written so
	// far each time a member is done; it may be called concurrently.
	Progress func(members, bytes int64)
	// Shards, if not zero, makes FromIndex extract only shard Shard
	// (counting from 0) of the NewPlan of Shards shards, and record under
	// Dir that it is done once it is, with the number of members that
	// failed. Directories and links are left to Finish, which runs once
	// all shards are done.
	Shard, Shards int
}

// excluded reports whether the member named name is left out.
func (o *Options) excluded(name string) bool {
	return o.Exclude != nil && o.Exclude(name)
}

// selected tells Selected about hdr.
func (o *Options) selected(hdr *tar.Header) {
	if o.Selected != nil {
		o.Selected(hdr)
	}
}

func (o *Options) jobs() int { return Workers(o.Jobs) }

// Workers returns how many workers FromIndex runs for Options.Jobs = jobs:
// jobs if it is positive, else one per CPU.
func Workers(jobs int) int {
	if jobs > 0 {
		return jobs
	}
	return runtime.NumCPU()
}

// Result summarizes an extraction.
type Result struct {
	Members   int64    // members written
	Bytes     int64    // bytes of member contents written
	Errors    int64    // members (or other steps) that failed
	Unmatched []string // patterns that selected nothing
}

// run holds the state shared by the workers of one extraction.
type run struct {
	ctx    context.Context
	w      *Writer
	opts   *Options
	res    Result
	errsMu sync.Mutex
}

func (x *run) report(err error) {
	atomic.AddInt64(&x.res.Errors, 1)
	if x.opts.Report != nil {
		x.errsMu.Lock()
		x.opts.Report(err)
		x.errsMu.Unlock()
	}
}

func (x *run) done(size int64) {
	m := atomic.AddInt64(&x.res.Members, 1)
	b := atomic.AddInt64(&x.res.Bytes, size)
	if x.opts.Progress != nil {
		x.opts.Progress(m, b)
	}
}

// FromIndex extracts the selected members of an indexed archive. Workers
// each resume at their own checkpoint, so inflating and writing run in
// parallel; members longer than the distance between checkpoints are
// written in pieces by several workers. Per-member errors are reported and
// counted in the Result; the returned error is for failures of the whole.
func FromIndex(ctx context.Context, a *index.Archive, opts Options) (Result, error) {
	if _, err := match.New(opts.Patterns); err != nil {
		return Result{}, err
	}
	var sh *shardRun
	if opts.Shards != 0 {
		var err error
		if sh, err = newShardRun(ctx, a, &opts); err != nil {
			return Result{}, err
		}
	}
	// Superseded members are skipped below, so the Writer sees each path
	// once (unless --strip-components makes names collide).
	opts.Writer.UniquePaths = opts.Writer.StripComponents == 0
	w, err := NewWriter(opts.Dir, opts.Writer)
	if err != nil {
		return Result{}, err
	}
	x := &run{ctx: ctx, w: w, opts: &opts}
	cps, err := a.Checkpoints()
	if err != nil {
		w.Abort()
		return x.res, err
	}

	// Workers take runs of unitRun consecutive units from one bounded
	// queue that this goroutine fills while it reads the selected members
	// in archive order: memory holds the queue, not the member list. A
	// worker does a whole run, so that the workers are that far apart in
	// the archive: the members of one directory are mostly neighbours,
	// and the kernel creates the files of one directory one at a time
	// (under the directory's lock), so workers in the same directory wait
	// for each other. The queue is shared, so a worker that is ahead takes
	// the next run instead of waiting behind a slower one.
	g, gctx := errgroup.WithContext(ctx)
	x.ctx = gctx
	jobs := opts.jobs()
	queue := make(chan []*unit, jobs*queueRuns)
	for range jobs {
		g.Go(func() error {
			for run := range queue {
				for _, u := range run {
					x.runUnit(a, u)
				}
			}
			return gctx.Err()
		})
	}
	// A run is queued at once, and a remote archive told to fetch the
	// run's bytes first: they are fetched while the run waits in the
	// queue, not when a worker first reads them, in one request for units
	// that follow each other.
	var run []*unit
	send := func() error {
		if len(run) == 0 {
			return nil
		}
		lo, hi := int64(-1), int64(-1)
		for _, u := range run {
			if !u.data {
				continue
			}
			if lo >= 0 && u.start-hi > hintGap {
				a.HintRange(lo, hi)
				lo = -1
			}
			if lo < 0 {
				lo = u.start
			}
			hi = max(hi, u.end)
		}
		a.HintRange(lo, hi)
		select {
		case queue <- run:
		case <-gctx.Done():
			return gctx.Err()
		}
		run = make([]*unit, 0, unitRun)
		return nil
	}
	p := &planner{cps: cps, emit: func(u *unit) error {
		if run = append(run, u); len(run) < unitRun {
			return nil
		}
		return send()
	}}
	// Index knows which members a later one replaces (by path as the
	// index cleans names); with StripComponents other names collide, and
	// the Writer's rule that the highest sequence number wins decides.
	skipSuperseded := opts.Writer.UniquePaths
	unmatched, err := a.Select(opts.Patterns, func(m *index.Member) error {
		if err := gctx.Err(); err != nil {
			return err
		}
		if opts.excluded(m.Header.Name) {
			return nil
		}
		how := partWhole // each shard reports the members it owns
		if sh != nil {
			if how = sh.part(m); how == partNone {
				return nil
			}
		}
		if _, ok, err := w.Name(m.Header.Name); err != nil || !ok {
			if err != nil {
				x.report(err)
			}
			return nil
		}
		opts.selected(&m.Header)
		if skipSuperseded && m.Superseded {
			x.skipSuperseded(m)
			return nil
		}
		if !hasData(m) {
			return p.entry(m)
		}
		if how == partShared {
			return x.planShared(p, m, sh)
		}
		s, err := p.add(m)
		if err != nil || s == nil {
			return err
		}
		if s.f, err = w.CreateFileSeq(m.Seq, header(m), len(s.crcs)); err != nil {
			x.report(err)
			s.failed = true
		}
		return p.pieces(s)
	})
	if err == nil {
		err = p.flush()
	}
	if err == nil {
		err = send()
	}
	close(queue)
	werr := g.Wait()
	if err != nil || werr != nil || ctx.Err() != nil {
		w.Abort()
		return x.res, cmpErr(ctx.Err(), err, werr)
	}
	x.res.Unmatched = unmatched
	if err := w.Close(); err != nil {
		for _, e := range unjoin(err) {
			x.report(e)
		}
	}
	if sh != nil {
		if err := sh.record(opts.Dir, x.res); err != nil {
			return x.res, err
		}
	}
	return x.res, nil
}

// Prefetch announces to a remote archive the ranges that FromIndex with
// every member selected and jobs workers asks for first: the runs its
// queue holds at the start, each of unitRun checkpoint spans, from the
// start of the tar stream on. It reads the checkpoints only and writes
// nothing, so it fits index.Options.Prefetch: those runs are fetched
// while the archive's identity is confirmed. A selection's first ranges
// are known only by planning it, which creates files: with one, call
// nothing.
func Prefetch(a *index.Archive, jobs int) {
	cps, err := a.Checkpoints()
	if err != nil {
		return
	}
	end := a.Info().UncompressedSize
	for r := range Workers(jobs) * queueRuns {
		i := r * unitRun
		if i >= len(cps) {
			break
		}
		hi := end
		if j := i + unitRun; j < len(cps) {
			hi = cps[j]
		}
		a.HintRange(cps[i], hi)
	}
}

// unitRun is how many consecutive units one worker gets in a row.
const unitRun = 4

// queueRuns is how many runs of units the queue holds per worker: a
// remote archive fetches a run's bytes from when it is queued, so the
// queue must hold more than a round trip's worth of work.
const queueRuns = 3

// hintGap is how far apart in the tar stream two units of a run may be
// and still be announced to a remote archive as one range: the bytes
// between them cost less than another request.
const hintGap = 64 << 10

func cmpErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// unjoin splits an error made by errors.Join into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// skipSuperseded leaves out m, which a later member replaces. A superseded
// hard link is still checked, as a serial extraction would have tried to
// make it.
func (x *run) skipSuperseded(m *index.Member) {
	if m.Header.Typeflag == tar.TypeLink {
		if _, err := x.w.linkTarget(&m.Header); err != nil {
			x.report(err)
		}
	}
}

// header returns a copy of the member's header for the Writer.
func header(m *index.Member) *tar.Header {
	h := m.Header
	return &h
}

// runUnit performs the tasks of one unit from its own resumed stream.
func (x *run) runUnit(a *index.Archive, u *unit) {
	if u.verified {
		x.runVerified(a, u)
		return
	}
	// Members behind a broken stream fail with the stream's error, as
	// the checked reader reports it for the member it broke in; entries
	// need no stream and are written still.
	fail := func(tasks []task, err error) {
		for _, t := range tasks {
			if t.entry {
				x.writeEntry(t.m)
				continue
			}
			err := &index.ReadError{Member: t.m.Header.Name, Err: err}
			if t.split != nil {
				x.pieceDone(t, 0, err)
				continue
			}
			x.report(err)
		}
	}
	var s *stream // opened at the first task that reads it
	var r io.ReadCloser
	defer func() {
		if r != nil {
			r.Close()
		}
	}()
	for i, t := range u.tasks {
		if x.ctx.Err() != nil {
			return
		}
		if t.entry {
			x.writeEntry(t.m)
			continue
		}
		if s == nil {
			var err error
			if r, err = a.OpenAt(u.start); err != nil {
				fail(u.tasks[i:], err)
				return
			}
			s = &stream{r: r, pos: u.start}
		}
		if err := s.skipTo(t.off); err != nil {
			fail(u.tasks[i:], err)
			return
		}
		switch {
		case t.split != nil:
			x.writePiece(s, t)
		case t.m.Contiguous():
			x.writeWhole(t.m, &limitedStream{s: s, left: t.m.Header.Size})
		default:
			tr := tarfmt.NewReader(s, tarfmt.Options{})
			if _, err := tr.Next(); err != nil {
				s.err = cmpErr(s.err, err)
			} else {
				x.writeWhole(t.m, tr)
			}
		}
		if s.err != nil {
			fail(u.tasks[i+1:], s.err)
			return
		}
	}
}

// writeEntry writes member m, which has no data.
func (x *run) writeEntry(m *index.Member) {
	if err := x.w.WriteEntrySeq(m.Seq, header(m), eofReader{}); err != nil {
		x.report(err)
		return
	}
	x.done(0)
}

// writeWhole writes member m from data, proving it with index's check.
func (x *run) writeWhole(m *index.Member, data io.Reader) {
	if err := x.w.WriteEntrySeq(m.Seq, header(m), m.Check(&ctxReader{ctx: x.ctx, r: data})); err != nil {
		if x.ctx.Err() == nil {
			x.report(err)
		}
		return
	}
	x.done(m.Header.Size)
}

// writePiece writes one piece of a split member.
func (x *run) writePiece(s *stream, t task) {
	sp := t.split
	if sp.f == nil {
		// CreateFile failed and was reported; just skip the bytes.
		_, err := io.CopyN(io.Discard, s, t.end-t.off)
		x.pieceDone(t, 0, err)
		return
	}
	h := crc32.NewIEEE()
	dst := io.NewOffsetWriter(sp.f, t.off-t.m.DataOffset)
	_, err := io.CopyN(io.MultiWriter(dst, h), &ctxReader{ctx: x.ctx, r: s}, t.end-t.off)
	switch {
	case err == nil:
	case s.err != nil || err == io.EOF:
		err = &index.ReadError{Member: t.m.Header.Name, Err: cmpErr(s.err, io.ErrUnexpectedEOF)}
	case x.ctx.Err() == nil:
		err = &MemberError{Member: t.m.Header.Name, Op: "cannot write", Err: err}
	}
	x.pieceDone(t, h.Sum32(), err)
}

// pieceDone records a finished piece. The last piece checks the whole
// member's CRC, combined from the pieces', before the file is finished.
func (x *run) pieceDone(t task, sum uint32, err error) {
	sp := t.split
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.crcs[t.piece] = sum
	sp.left--
	if err != nil && !sp.failed {
		sp.failed = true
		if x.ctx.Err() == nil {
			x.report(err)
		}
	}
	if sp.shared != nil {
		if sp.left > 0 {
			return
		}
		if err := sp.shared.Close(); err != nil && !sp.failed {
			sp.failed = true
			x.report(err)
		}
		if !sp.failed {
			var n int64
			for _, l := range sp.lens {
				n += l
			}
			x.done(n)
		}
		return
	}
	if sp.f == nil {
		return
	}
	if sp.left == 0 && !sp.failed {
		if err := t.m.CheckPieces(sp.crcs, sp.lens); err != nil {
			sp.failed = true
			x.report(err)
		}
	}
	if sp.failed {
		if !sp.discarded {
			sp.discarded = true
			sp.f.Discard()
		}
		return
	}
	// The last Done sets the file's metadata: only after the check above.
	if err := sp.f.Done(); err != nil {
		sp.failed = true
		x.report(err)
		return
	}
	if sp.left == 0 {
		x.done(t.m.Header.Size)
	}
}

// stream is a unit's decompressed stream with its position.
type stream struct {
	r   io.Reader
	pos int64
	err error // a read error other than io.EOF: the stream is broken
}

func (s *stream) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.pos += int64(n)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// skipTo discards bytes up to offset off.
func (s *stream) skipTo(off int64) error {
	if off < s.pos {
		return fmt.Errorf("extract: internal error: stream at %d, task at %d", s.pos, off)
	}
	if _, err := io.CopyN(io.Discard, s, off-s.pos); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		s.err = err
		return err
	}
	return nil
}

// limitedStream reads the next left bytes of a stream; running out early
// is an error.
type limitedStream struct {
	s    *stream
	left int64
}

func (l *limitedStream) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.s.Read(p)
	l.left -= int64(n)
	if err == io.EOF && l.left > 0 {
		err = io.ErrUnexpectedEOF
		l.s.err = err
	}
	return n, err
}

// ctxReader stops reading once its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// eofReader is the empty contents of a member without data.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
