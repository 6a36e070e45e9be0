package extract_test

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tarx-dev/tarx/extract"
	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// shardArchive is an archive with big members over many checkpoints.
func shardArchive(t *testing.T) (*index.Archive, []byte) {
	t.Helper()
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 3, SmallFiles: 50, BigFiles: 4, BigSize: 500 << 10})
	gz := testarchive.External(t, testarchive.Tar(t, entries, tar.FormatPAX), "gzip-6")
	return gxOpen(t, gxWriteArchive(t, gz)), gz
}

func TestNewPlan(t *testing.T) {
	a, _ := shardArchive(t)
	ctx := context.Background()
	cps, err := a.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	var all extract.Options
	for _, n := range []int{1, 2, 3, 7, len(cps), len(cps) + 5} {
		p, err := extract.NewPlan(ctx, a, &all, n)
		if err != nil {
			t.Fatalf("NewPlan(%d): %v", n, err)
		}
		again, err := extract.NewPlan(ctx, a, &all, n)
		if err != nil || !reflect.DeepEqual(p, again) {
			t.Errorf("NewPlan(%d) differs from one call to the next: %v", n, err)
		}
		if len(p.Shards) != n {
			t.Fatalf("NewPlan(%d): %d shards", n, len(p.Shards))
		}
		// The shards tile the stream and the checkpoints, in order.
		var bytes, cost int64
		next, nextCP := int64(0), 0
		for k, s := range p.Shards {
			if s.K != k || s.Start != next || s.End < s.Start || s.FirstCheckpoint != nextCP {
				t.Errorf("NewPlan(%d): shard %d is %+v after %d, checkpoint %d", n, k, s, next, nextCP)
			}
			next, nextCP = s.End, s.FirstCheckpoint+s.Checkpoints
			bytes += s.Bytes
			cost += s.Cost
		}
		if info := a.Info(); next != info.UncompressedSize || nextCP != len(cps) {
			t.Errorf("NewPlan(%d): shards end at %d, checkpoint %d; the stream at %d, %d checkpoints", n, next, nextCP, info.UncompressedSize, len(cps))
		}
		if bytes != p.Bytes || cost != p.Cost {
			t.Errorf("NewPlan(%d): shards hold %d bytes at cost %d, the plan %d at %d", n, bytes, cost, p.Bytes, p.Cost)
		}
		if n > 1 && n <= 7 && p.Balance() > 1.6 {
			t.Errorf("NewPlan(%d): balance %.2f", n, p.Balance())
		}
	}
	if _, err := extract.NewPlan(ctx, a, &all, 0); !errors.Is(err, extract.ErrShard) {
		t.Errorf("NewPlan(0): %v, want ErrShard", err)
	}
	// A selection changes the plan, and its digest.
	p1, _ := extract.NewPlan(ctx, a, &all, 3)
	p2, err := extract.NewPlan(ctx, a, &extract.Options{Patterns: []string{"big"}}, 3)
	if err != nil || p2.Digest == p1.Digest || p2.Bytes >= p1.Bytes {
		t.Errorf("plan of big/: %v, digest %s (all: %s), %d bytes (all: %d)", err, p2.Digest, p1.Digest, p2.Bytes, p1.Bytes)
	}
}

// TestShards_SameAsFromIndex runs every shard of several plans in this
// process, one after another and all at once, then Finish, and compares
// the tree with one FromIndex leaves.
func TestShards_SameAsFromIndex(t *testing.T) {
	a, gz := shardArchive(t)
	ctx := context.Background()
	want := filepath.Join(t.TempDir(), "want")
	gxFromIndex(t, a, want, 2)
	for _, n := range []int{1, 4, 9} {
		dir := filepath.Join(t.TempDir(), "got")
		var e gxErrs
		opts := e.options(dir, 2)
		for k := range n {
			opts.Shard, opts.Shards = k, n
			if _, err := extract.FromIndex(ctx, a, opts); err != nil {
				t.Fatalf("shard %d of %d: %v", k, n, err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, extract.RecordDir, "shard-0-of-1.json")); n == 1 && err != nil {
			t.Errorf("shard 0 of 1 left no record: %v", err)
		}
		opts.Shard, opts.Shards = 0, 0
		if _, err := extract.Finish(ctx, a, opts); err != nil {
			t.Fatalf("Finish after %d shards: %v", n, err)
		}
		e.noErrors(t)
		testarchive.CompareTrees(t, gz, want, dir)
	}
}

// TestShards_CorruptShare corrupts a byte of a member that two shards
// share: the shard that writes it fails on it with index.ErrChecksum and
// records the failure, which Finish reports (and it keeps the records).
func TestShards_CorruptShare(t *testing.T) {
	entries := testarchive.CorruptibleEntries()
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	p := testarchive.WriteArchive(t, testarchive.Gzip(t, tarBytes, testarchive.BGZF))
	a := gxOpen(t, p)
	ctx := context.Background()
	plan, err := extract.NewPlan(ctx, a, &extract.Options{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	// "middle" crosses the boundary; spoil a byte just after it.
	var middle index.Member
	a.Members(func(m *index.Member) error {
		if m.Header.Name == "middle" {
			middle = *m
		}
		return nil
	})
	bound := plan.Shards[1].Start
	if middle.DataOffset >= bound || middle.DataEnd <= bound+100 {
		t.Fatalf("middle (%d to %d) does not cross the shard boundary %d", middle.DataOffset, middle.DataEnd, bound)
	}
	a.Close()
	testarchive.Corrupt(t, p, tarBytes, bound+100)
	a = gxOpen(t, p)

	dir := t.TempDir()
	var errs []error
	res, err := extract.FromIndex(ctx, a, extract.Options{Dir: dir, Shard: 1, Shards: 2, Report: func(err error) { errs = append(errs, err) }})
	if err != nil || res.Errors != 1 || len(errs) != 1 || !errors.Is(errs[0], index.ErrChecksum) {
		t.Fatalf("shard 1 of the corrupt archive: %v, %d errors %v; want one index.ErrChecksum", err, res.Errors, errs)
	}
	if res, err := extract.FromIndex(ctx, a, extract.Options{Dir: dir, Shard: 0, Shards: 2}); err != nil || res.Errors != 0 {
		t.Fatalf("shard 0: %v, %d errors", err, res.Errors)
	}
	errs = nil
	res, err = extract.Finish(ctx, a, extract.Options{Dir: dir, Report: func(err error) { errs = append(errs, err) }})
	if err != nil || res.Errors != 1 || len(errs) != 1 || !errors.Is(errs[0], extract.ErrShard) || !strings.Contains(errs[0].Error(), "shard 1 of 2: 1 member failed") {
		t.Errorf("Finish after a shard failed: %v, %d errors %v; want one naming shard 1", err, res.Errors, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, extract.RecordDir)); err != nil {
		t.Errorf("Finish with errors removed the records: %v", err)
	}
}
