package index

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// Options configures Open and Build.
type Options struct {
	// IndexPath overrides where the index lives (see Path).
	IndexPath string
	// Span is the checkpoint distance for a new index (gzseek.DefaultSpan if 0).
	Span int64
	// NoBuild makes Open fail with ErrNoIndex instead of building a
	// missing or unusable index.
	NoBuild bool
	// NoReindex makes Open fail with ErrStale instead of rebuilding an
	// index that does not match the archive.
	NoReindex bool
	// LockTimeout bounds how long Open waits for the index file lock
	// (held by a process writing the index). Zero means one minute.
	// Waiting for another process that is building the index is bounded
	// only by the context.
	LockTimeout time.Duration
	// Progress, if set, is called during a build with the compressed
	// bytes read so far and the archive size.
	Progress func(done, total int64)
	// Warn, if set, receives notices such as a stale index being rebuilt.
	Warn func(msg string)
	// OnMember, if set, is called during a build for every member with a
	// reader of its contents; what it does not read is read afterwards.
	// It runs on the build's tar goroutine: a slow OnMember slows the build.
	OnMember func(m *Member, data io.Reader) error
	// ToolVersion is recorded in the index.
	ToolVersion string
}

func (o *Options) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

func (o *Options) lockTimeout() time.Duration {
	if o.LockTimeout > 0 {
		return o.LockTimeout
	}
	return time.Minute
}

// Archive is a tar.gz archive opened together with its index. It is safe
// for concurrent use.
type Archive struct {
	f    *os.File
	db   *bolt.DB
	info Info
}

// Open opens the archive at path with its index, building the index
// first if it is missing, of another format version, or stale (unless
// opts.NoReindex). Concurrent Opens of the same archive build it once:
// the builder holds a lock on the archive file, and the others wait for
// it and then use its index.
func Open(ctx context.Context, path string, opts Options) (*Archive, error) {
	return open(ctx, path, &opts, false)
}

// Build builds a new index for the archive at path even if a valid one
// exists, and returns the archive opened with it.
func Build(ctx context.Context, path string, opts Options) (*Archive, error) {
	return open(ctx, path, &opts, true)
}

func open(ctx context.Context, path string, opts *Options, force bool) (*Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	a, err := openWith(ctx, f, path, opts, force)
	if err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

func openWith(ctx context.Context, f *os.File, path string, opts *Options, force bool) (*Archive, error) {
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("index: %s: not a regular file (use a file, not a pipe or device)", path)
	}
	ipath, err := Path(path, opts.IndexPath)
	if err != nil {
		return nil, err
	}
	id, err := identityOf(f)
	if err != nil {
		return nil, fmt.Errorf("index: %s: %w", path, err)
	}
	if !force {
		a, err := tryOpen(f, ipath, id, opts)
		if err == nil || !errors.Is(err, errRebuild) {
			return a, err
		}
		if opts.NoReindex {
			return nil, fmt.Errorf("%w: %s: %v", ErrStale, ipath, errors.Unwrap(err))
		}
		if opts.NoBuild {
			return nil, fmt.Errorf("%w: %s", ErrNoIndex, ipath)
		}
	}

	// Build under an exclusive lock on the archive, so that only one
	// process builds; the others wait here and then find its index.
	unlock, err := lockFile(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("index: lock %s: %w", path, err)
	}
	defer unlock()
	if !force {
		quiet := *opts
		quiet.Warn = nil // the first attempt said why the index is rebuilt
		if a, err := tryOpen(f, ipath, id, &quiet); err == nil || !errors.Is(err, errRebuild) {
			return a, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(ipath), 0o755); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	removeStaleTemps(ipath)
	tmp, err := os.CreateTemp(filepath.Dir(ipath), filepath.Base(ipath)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmp.Name())
		}
	}()
	identity := func() (Identity, error) { return id, nil }
	if _, err := build(ctx, io.NewSectionReader(f, 0, id.Size), id.Size, identity, tmp.Name(), opts); err != nil {
		return nil, err
	}
	// The archive must not have changed while it was read.
	if now, err := identityOf(f); err != nil || !now.equal(id) {
		return nil, fmt.Errorf("index: %s: archive changed while it was indexed", path)
	}
	if err := os.Rename(tmp.Name(), ipath); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	done = true
	syncDir(filepath.Dir(ipath))
	return tryOpen(f, ipath, id, opts)
}

// errRebuild marks an index that is missing, unreadable, of another
// version or stale: one that a build replaces.
var errRebuild = errors.New("index must be rebuilt")

// tryOpen opens the index at ipath read-only and checks that it describes
// the archive with identity id.
func tryOpen(f *os.File, ipath string, id Identity, opts *Options) (*Archive, error) {
	if _, err := os.Stat(ipath); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", errRebuild, err)
	}
	db, err := bolt.Open(ipath, 0, &bolt.Options{ReadOnly: true, Timeout: opts.lockTimeout()})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("index: %s: locked by another process: %w", ipath, err)
	}
	if err != nil {
		opts.warn("%s: unreadable index (%v), rebuilding", ipath, err)
		return nil, fmt.Errorf("%w: %w", errRebuild, err)
	}
	var stored Identity
	var info Info
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		stored, info, err = readMeta(tx)
		return err
	})
	if err != nil {
		db.Close()
		opts.warn("%s: %v, rebuilding", ipath, err)
		return nil, fmt.Errorf("%w: %w", errRebuild, err)
	}
	if !stored.equal(id) {
		db.Close()
		opts.warn("%s: index is stale (the archive changed since it was indexed), rebuilding", ipath)
		return nil, fmt.Errorf("%w: archive changed since it was indexed", errRebuild)
	}
	if st, err := os.Stat(ipath); err == nil {
		info.IndexSize = st.Size()
	}
	info.Archive = f.Name()
	info.IndexPath = ipath
	return &Archive{f: f, db: db, info: info}, nil
}

// lockFile takes an exclusive flock on f, waiting until ctx is done.
func lockFile(ctx context.Context, f *os.File) (func(), error) {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN) }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// removeStaleTemps removes temporary files left by builds that were
// killed. The caller holds the archive lock, so no build of this index is
// running.
func removeStaleTemps(ipath string) {
	dir, prefix := filepath.Dir(ipath), filepath.Base(ipath)+".tmp-"
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Close closes the index and the archive file.
func (a *Archive) Close() error {
	return errors.Join(a.db.Close(), a.f.Close())
}

// Info returns facts about the index and the archive.
func (a *Archive) Info() Info { return a.info }
