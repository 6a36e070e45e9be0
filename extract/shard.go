package extract

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/tarfmt"
)

// This file plans sharded extraction: the archive's decompressed stream is
// cut into N runs of checkpoint spans of about equal cost, one per shard,
// so that N processes (on N machines) extract it without talking to each
// other, and a last run of Finish does what must happen once.
//
// A shard's territory is a range of the stream whose ends are rounded up
// from checkpoints to index.BlockSize blocks: a shard resumes at its first
// checkpoint, reads at most one block past its last, and every byte of a
// member it shares with a neighbour lies in blocks that it reads whole and
// checks against the index's block sums. A member's data belongs to the
// shards whose territories it overlaps; members without data (and sparse
// ones, which are rebuilt from their header on) belong to the shard of
// their first header byte. Directories and links belong to Finish.

// memberCost is what creating a file costs in the plan's unit, bytes of
// the stream: about what inflating and writing that many bytes takes.
const memberCost = 16 << 10

// A Plan divides an extraction into shards.
type Plan struct {
	Shards []Shard `json:"shards"`
	// Members and Bytes count the members the shards write (whole or in
	// part, each once) and their bytes; Cost is their sum in the plan's
	// unit (bytes to inflate plus bytes to write plus memberCost per member).
	Members int64 `json:"members"`
	Bytes   int64 `json:"bytes"`
	Cost    int64 `json:"cost"`
	// Finish counts the directories and links left to Finish.
	Finish int64 `json:"finish_members"`
	// Digest identifies the plan: shards and Finish compare it, so that
	// all of them work on the same archive with the same selection.
	Digest string `json:"digest"`

	bounds []int64 // territory starts, N+1 of them; the last is MaxInt64
}

// A Shard is one part of a Plan: a run of checkpoint spans.
type Shard struct {
	K int `json:"shard"`
	// Start and End are the shard's territory in the decompressed stream.
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	// FirstCheckpoint and Checkpoints say which spans it reads.
	FirstCheckpoint int `json:"first_checkpoint"`
	Checkpoints     int `json:"checkpoints"`
	// Members it writes, whole or in part; Split of them are shared with
	// another shard (at most two: its first and its last). They are
	// counted by checkpoint span: a member that starts less than a block
	// after the shard's first checkpoint is written by the shard before.
	Members int64 `json:"members"`
	Split   int64 `json:"split"`
	// Bytes of member contents it writes, Inflate bytes of the stream it
	// decompresses, and Cost the two plus memberCost per member.
	Bytes   int64 `json:"bytes"`
	Inflate int64 `json:"inflate"`
	Cost    int64 `json:"cost"`
	// Fetch is the range of the compressed archive the shard reads (all
	// of it that a remote shard fetches, but for a block at either end).
	FetchStart int64 `json:"fetch_start"`
	FetchEnd   int64 `json:"fetch_end"`
}

// Balance returns the largest shard's cost over the mean (1 is perfect).
func (p *Plan) Balance() float64 {
	if p.Cost == 0 || len(p.Shards) == 0 {
		return 1
	}
	var most int64
	for _, s := range p.Shards {
		most = max(most, s.Cost)
	}
	return float64(most) * float64(len(p.Shards)) / float64(p.Cost)
}

// span is the plan's account of one checkpoint span.
type span struct {
	members int64 // members anchored in it
	bytes   int64 // member bytes in it
	cont    int64 // members whose data runs into it from an earlier span
	work    bool  // whether any member needs it inflated
}

// NewPlan plans the extraction that opts describes (its Patterns and
// Exclude; superseded members are left out, as FromIndex leaves them) in
// n shards. The same index and options give the same plan everywhere.
func NewPlan(ctx context.Context, a *index.Archive, opts *Options, n int) (*Plan, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: %d shards: need at least 1", ErrShard, n)
	}
	cps, err := a.Checkpoints()
	if err != nil {
		return nil, err
	}
	if len(cps) == 0 || cps[0] != 0 {
		return nil, fmt.Errorf("%w: index has no checkpoint at offset 0", index.ErrFormat)
	}
	info := a.Info()
	spans := make([]span, len(cps))
	spanOf := func(off int64) int {
		i, found := slices.BinarySearch(cps, off)
		if !found {
			i--
		}
		return max(i, 0)
	}
	spanEnd := func(i int) int64 {
		if i+1 < len(cps) {
			return cps[i+1]
		}
		return max(info.UncompressedSize, cps[i])
	}
	p := &Plan{}
	_, err = a.Select(opts.Patterns, func(m *index.Member) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case opts.excluded(m.Header.Name) || m.Superseded:
			return nil
		case toFinish(&m.Header):
			p.Finish++
			return nil
		case !hasData(m) || !m.Contiguous():
			s := &spans[spanOf(m.HeaderOffset)]
			s.members++
			if hasData(m) {
				s.work = true
				s.bytes += m.Header.Size
			}
			p.Members++
			p.Bytes += m.Header.Size
			return nil
		}
		first := spanOf(m.DataOffset)
		spans[first].members++
		for i := first; i < len(cps) && cps[i] < m.DataEnd; i++ {
			s := &spans[i]
			s.work = true
			s.bytes += min(m.DataEnd, spanEnd(i)) - max(m.DataOffset, cps[i])
			if i > first {
				s.cont++
			}
		}
		p.Members++
		p.Bytes += m.Header.Size
		return nil
	})
	if err != nil {
		return nil, err
	}
	cost := make([]int64, len(spans)+1) // prefix sums
	for i, s := range spans {
		c := s.bytes + s.members*memberCost
		if s.work {
			c += spanEnd(i) - cps[i]
		}
		cost[i+1] = cost[i] + c
	}
	p.Cost = cost[len(spans)]
	cuts := cutPrefix(cost, n)
	p.bounds = make([]int64, n+1)
	for k := 1; k < n; k++ {
		if cuts[k] >= len(cps) {
			p.bounds[k] = math.MaxInt64
			continue
		}
		p.bounds[k] = alignUp(cps[cuts[k]], index.BlockSize)
	}
	p.bounds[n] = math.MaxInt64
	for k := range n {
		s := Shard{K: k, Start: p.bounds[k], End: min(p.bounds[k+1], info.UncompressedSize),
			FirstCheckpoint: cuts[k], Checkpoints: cuts[k+1] - cuts[k]}
		s.Start = min(s.Start, s.End)
		for i := cuts[k]; i < cuts[k+1]; i++ {
			s.Members += spans[i].members
			s.Bytes += spans[i].bytes
			if spans[i].work {
				s.Inflate += spanEnd(i) - cps[i]
			}
		}
		if cuts[k] < len(spans) && spans[cuts[k]].cont > 0 {
			s.Members++
			s.Split++
		}
		if cuts[k+1] < len(spans) && spans[cuts[k+1]].cont > 0 {
			s.Split++
		}
		s.Cost = cost[cuts[k+1]] - cost[cuts[k]]
		if s.Start < s.End {
			// A shard reads past its territory by at most a block.
			if s.FetchStart, s.FetchEnd, err = a.CompressedRange(s.Start, s.End+index.BlockSize); err != nil {
				return nil, err
			}
		}
		p.Shards = append(p.Shards, s)
	}
	p.Digest = p.digest(info)
	return p, nil
}

// cutPrefix cuts the spans whose cost prefix sums are prefix into n runs
// of about equal cost: run k is spans cuts[k] to cuts[k+1]. Each cut is
// the span boundary nearest the ideal, never before the previous cut.
func cutPrefix(prefix []int64, n int) []int {
	spans := len(prefix) - 1
	total := prefix[spans]
	cuts := make([]int, n+1)
	cuts[n] = spans
	for k := 1; k < n; k++ {
		want := float64(total) * float64(k) / float64(n)
		i, _ := slices.BinarySearchFunc(prefix, want, func(c int64, w float64) int {
			switch {
			case float64(c) < w:
				return -1
			case float64(c) > w:
				return 1
			}
			return 0
		})
		i = min(i, spans)
		if i > 0 && want-float64(prefix[i-1]) < float64(prefix[i])-want {
			i--
		}
		cuts[k] = max(i, cuts[k-1])
	}
	return cuts
}

func alignUp(off, n int64) int64 { return (off + n - 1) / n * n }

// digest hashes what the plan's shards depend on.
func (p *Plan) digest(info index.Info) string {
	h := sha256.New()
	var b []byte
	for _, v := range []int64{info.ArchiveSize, info.UncompressedSize, info.Members, info.Checkpoints, int64(len(p.Shards)), p.Members, p.Bytes, p.Finish} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	for _, s := range p.Shards {
		for _, v := range []int64{s.Start, s.End, s.Members, s.Bytes} {
			b = binary.BigEndian.AppendUint64(b, uint64(v))
		}
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// territory returns shard k's range of the stream.
func (p *Plan) territory(k int) (lo, hi int64) { return p.bounds[k], p.bounds[k+1] }

// shared reports whether the contiguous member m's data crosses a
// territory boundary, so that several shards write it.
func (p *Plan) shared(m *index.Member) bool {
	i, _ := slices.BinarySearch(p.bounds, m.DataOffset+1)
	return i < len(p.bounds) && p.bounds[i] < m.DataEnd
}

// toFinish reports whether Finish, not a shard, creates the member hdr:
// directories and links, as the Writer reads their types.
func toFinish(hdr *tar.Header) bool {
	switch hdr.Typeflag {
	case tar.TypeDir, tarfmt.TypeDumpDir, tar.TypeSymlink, tar.TypeLink:
		return true
	case tar.TypeFifo, tar.TypeChar, tar.TypeBlock:
		return false
	}
	return strings.HasSuffix(hdr.Name, "/") // a regular file so named is a directory

}
