package extract

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/match"
)

// shardRun is what FromIndex needs to extract one shard of a plan.
type shardRun struct {
	k, n   int
	plan   *Plan
	lo, hi int64 // the shard's territory
}

// newShardRun checks opts for a run of shard opts.Shard of opts.Shards,
// plans the extraction, and removes the shard's record from an earlier run.
func newShardRun(ctx context.Context, a *index.Archive, opts *Options) (*shardRun, error) {
	if err := checkShardOptions(opts); err != nil {
		return nil, err
	}
	if opts.Shard < 0 || opts.Shard >= opts.Shards {
		return nil, fmt.Errorf("%w: shard %d of %d: shards count from 0 to %d", ErrShard, opts.Shard, opts.Shards, opts.Shards-1)
	}
	p, err := NewPlan(ctx, a, opts, opts.Shards)
	if err != nil {
		return nil, err
	}
	sh := &shardRun{k: opts.Shard, n: opts.Shards, plan: p}
	sh.lo, sh.hi = p.territory(sh.k)
	if s := p.Shards[sh.k]; s.Start < s.End {
		a.HintRange(s.Start, s.End+index.BlockSize)
	}
	if err := os.MkdirAll(opts.Dir, 0o777); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	if err := removeRecord(opts.Dir, sh.k, sh.n); err != nil {
		return nil, err
	}
	return sh, nil
}

// checkShardOptions refuses the options under which shards would decide
// differently about the same path.
func checkShardOptions(opts *Options) error {
	switch {
	case opts.Writer.StripComponents != 0:
		// Names that collide only once stripped would need every shard
		// to know the others' members.
		return fmt.Errorf("%w: --strip-components cannot be used with shards", ErrShard)
	case opts.Writer.OldFiles != ReplaceOldFiles:
		// Whether a file exists depends on which shard ran first.
		return fmt.Errorf("%w: options that keep existing files cannot be used with shards", ErrShard)
	}
	return nil
}

// A part says what a shard does with a member.
type part uint8

const (
	partNone   part = iota // another shard, or Finish, creates it
	partWhole              // the shard creates it
	partShared             // the shard writes its share of the member's data
)

// part returns what the shard does with member m.
func (sh *shardRun) part(m *index.Member) part {
	in := func(off int64) bool { return sh.lo <= off && off < sh.hi }
	switch {
	case m.Superseded || toFinish(&m.Header):
		return partNone
	case !hasData(m) || !m.Contiguous():
		if in(m.HeaderOffset) {
			return partWhole
		}
		return partNone
	case m.DataEnd <= sh.lo || m.DataOffset >= sh.hi:
		return partNone
	case sh.lo <= m.DataOffset && m.DataEnd <= sh.hi:
		return partWhole
	}
	return partShared
}

// planShared plans the shard's share of member m, which other shards
// write the rest of: pieces cut at the checkpoints inside it (rounded up to
// blocks), each a unit read through a RangeReader that proves every block.
func (x *run) planShared(p *planner, m *index.Member, sh *shardRun) error {
	lo, hi := max(m.DataOffset, sh.lo), min(m.DataEnd, sh.hi)
	sf, err := x.w.OpenShared(header(m))
	if err != nil {
		x.report(err)
		return nil
	}
	if sf == nil {
		return nil // its name is skipped
	}
	cuts := []int64{lo}
	i, _ := slices.BinarySearch(p.cps, lo+1)
	for ; i < len(p.cps) && p.cps[i] < hi; i++ {
		if c := alignUp(p.cps[i], index.BlockSize); c > cuts[len(cuts)-1] && c < hi {
			cuts = append(cuts, c)
		}
	}
	cuts = append(cuts, hi)
	pieces := len(cuts) - 1
	s := &split{m: m, shared: sf, crcs: make([]uint32, pieces), lens: make([]int64, pieces), left: pieces}
	for k := range pieces {
		s.lens[k] = cuts[k+1] - cuts[k]
	}
	for k := range pieces {
		u := &unit{start: cuts[k], end: cuts[k+1], data: true, verified: true,
			tasks: []task{{m: m, off: cuts[k], end: cuts[k+1], split: s, piece: k}}}
		if err := p.emit(u); err != nil {
			return err
		}
	}
	return nil
}

// runVerified performs the tasks of a unit of shared pieces, reading
// through a RangeReader, which checks every block it reads against the
// index before handing out its bytes.
func (x *run) runVerified(a *index.Archive, u *unit) {
	rr := a.NewRangeReader()
	defer rr.Close()
	buf := make([]byte, 1<<20)
	for _, t := range u.tasks {
		var err error
		for off := t.off; off < t.end && err == nil; {
			if err = x.ctx.Err(); err != nil {
				break
			}
			n := int(min(int64(len(buf)), t.end-off))
			rel := off - t.m.DataOffset
			if _, err = rr.ReadMemberAt(t.m, buf[:n], rel); err == nil {
				_, err = t.split.shared.WriteAt(buf[:n], rel)
			}
			off += int64(n)
		}
		x.pieceDone(t, 0, err)
	}
}

// record records that the shard is done, and how many members failed.
func (sh *shardRun) record(dir string, res Result) error {
	host, _ := os.Hostname()
	return writeRecord(dir, record{Shard: sh.k, Shards: sh.n, Digest: sh.plan.Digest,
		Members: res.Members, Bytes: res.Bytes, Errors: res.Errors, Host: host, Done: time.Now().UTC()})
}

// Finish completes a sharded extraction into opts.Dir once every shard of
// the plan has recorded that it is done (and fails with ErrShardsMissing,
// naming the others, until then): it creates the directories, symbolic
// links and hard links, sets the metadata of the files that several shards
// wrote and then that of the directories, deepest first, as a Writer's
// Close does, and removes the records. opts must select the members the
// shards did (Patterns and Exclude); the number of shards comes from the
// records. A shard that recorded failed members is reported as an error
// (the members themselves were reported by the shard), as tar goes on past
// a failed member and exits with an error. Finish may be run again: it
// redoes the same steps, and the records stay until it succeeds without
// errors.
func Finish(ctx context.Context, a *index.Archive, opts Options) (Result, error) {
	if _, err := match.New(opts.Patterns); err != nil {
		return Result{}, err
	}
	if err := checkShardOptions(&opts); err != nil {
		return Result{}, err
	}
	recs, err := readRecords(opts.Dir)
	if err != nil {
		return Result{}, err
	}
	p, err := NewPlan(ctx, a, &opts, recs[0].Shards)
	if err != nil {
		return Result{}, err
	}
	if err := checkRecords(recs, p); err != nil {
		return Result{}, err
	}
	opts.Writer.UniquePaths = true
	w, err := NewWriter(opts.Dir, opts.Writer)
	if err != nil {
		return Result{}, err
	}
	x := &run{ctx: ctx, w: w, opts: &opts}
	for _, r := range recs {
		if r.Errors > 0 {
			what := "members"
			if r.Errors == 1 {
				what = "member"
			}
			x.report(fmt.Errorf("%w: shard %d of %d: %d %s failed (as it reported); run it again once they can be extracted", ErrShard, r.Shard, r.Shards, r.Errors, what))
		}
	}
	unmatched, err := a.Select(opts.Patterns, func(m *index.Member) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if opts.excluded(m.Header.Name) {
			return nil
		}
		if _, ok, err := w.Name(m.Header.Name); err != nil || !ok {
			if err != nil && toFinish(&m.Header) {
				x.report(err) // the shards reported the others
			}
			return nil
		}
		if m.Superseded {
			x.skipSuperseded(m)
			return nil
		}
		var err error
		switch {
		case toFinish(&m.Header):
			opts.selected(&m.Header)
			err = w.WriteEntrySeq(m.Seq, header(m), eofReader{})
		case hasData(m) && m.Contiguous() && p.shared(m):
			err = w.FinishShared(header(m))
		default:
			return nil
		}
		if err != nil {
			x.report(err)
		} else {
			x.done(0)
		}
		return nil
	})
	if err != nil || ctx.Err() != nil {
		w.Abort()
		return x.res, cmpErr(ctx.Err(), err)
	}
	x.res.Unmatched = unmatched
	if err := w.Close(); err != nil {
		for _, e := range unjoin(err) {
			x.report(e)
		}
	}
	if x.res.Errors == 0 {
		if err := removeRecords(opts.Dir); err != nil {
			return x.res, err
		}
	}
	return x.res, nil
}
