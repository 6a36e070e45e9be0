package extract

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RecordDir is the directory, under the destination, where each shard
// records that it is done; Finish reads the records and removes it.
const RecordDir = ".tarx-shards"

// A record says that one shard of a plan completed.
type record struct {
	Shard   int       `json:"shard"`
	Shards  int       `json:"shards"`
	Digest  string    `json:"digest"`
	Members int64     `json:"members"`
	Bytes   int64     `json:"bytes"`
	Errors  int64     `json:"errors"` // members that failed
	Host    string    `json:"host,omitempty"`
	Done    time.Time `json:"done"`
}

func recordName(k, n int) string { return fmt.Sprintf("shard-%d-of-%d.json", k, n) }

// writeRecord records r under dir, atomically: a record is whole or absent.
func writeRecord(dir string, r record) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("extract: record shard %d: %w", r.Shard, err)
	}
	defer root.Close()
	if err := root.Mkdir(RecordDir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("extract: record shard %d: %w", r.Shard, err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	name := path.Join(RecordDir, recordName(r.Shard, r.Shards))
	tmp := name + ".tmp-" + strconv.Itoa(os.Getpid())
	err = root.WriteFile(tmp, append(b, '\n'), 0o644)
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		root.Remove(tmp)
		return fmt.Errorf("extract: record shard %d: %w", r.Shard, err)
	}
	return nil
}

// removeRecord removes shard k's record, if any, before the shard runs:
// a shard that stops before its end leaves none.
func removeRecord(dir string, k, n int) error {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	defer root.Close()
	if err := root.Remove(path.Join(RecordDir, recordName(k, n))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("extract: %w", err)
	}
	return nil
}

// readRecords reads the shard records under dir.
func readRecords(dir string) ([]record, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	defer root.Close()
	d, err := root.Open(RecordDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no shard has recorded that it is done (no %s in %s)", ErrShardsMissing, RecordDir, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("extract: %s: %w", RecordDir, err)
	}
	slices.Sort(names)
	var recs []record
	for _, name := range names {
		if !strings.HasPrefix(name, "shard-") || !strings.HasSuffix(name, ".json") {
			continue // a temporary file of a shard being recorded
		}
		b, err := root.ReadFile(path.Join(RecordDir, name))
		if err != nil {
			return nil, fmt.Errorf("extract: %w", err)
		}
		var r record
		if err := json.Unmarshal(b, &r); err != nil || r.Shards < 1 || r.Shard < 0 || r.Shard >= r.Shards || name != recordName(r.Shard, r.Shards) {
			return nil, fmt.Errorf("%w: %s/%s is not a shard record", ErrShard, RecordDir, name)
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: no shard has recorded that it is done (%s in %s is empty)", ErrShardsMissing, RecordDir, dir)
	}
	return recs, nil
}

// checkRecords checks that the records recs are those of plan p, one for
// each of its shards, and names the shards missing.
func checkRecords(recs []record, p *Plan) error {
	n := len(p.Shards)
	have := make([]bool, n)
	for _, r := range recs {
		if r.Shards != n || r.Digest != p.Digest {
			return fmt.Errorf("%w: %s/%s is from another plan (%d shards, plan %s; this one has %d, plan %s): remove it and run that shard again",
				ErrShard, RecordDir, recordName(r.Shard, r.Shards), r.Shards, r.Digest, n, p.Digest)
		}
		have[r.Shard] = true
	}
	var missing []string
	for k, ok := range have {
		if !ok {
			missing = append(missing, strconv.Itoa(k))
		}
	}
	if len(missing) > 0 {
		what := "shard " + missing[0]
		if len(missing) > 1 {
			what = "shards " + strings.Join(missing, ", ")
		}
		return fmt.Errorf("%w: %s of %d not done (no record in %s)", ErrShardsMissing, what, n, RecordDir)
	}
	return nil
}

// removeRecords removes the record directory under dir.
func removeRecords(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	defer root.Close()
	if err := root.RemoveAll(RecordDir); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	return nil
}
