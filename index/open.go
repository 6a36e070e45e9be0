package index

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tarx-dev/tarx/remote"
	bolt "go.etcd.io/bbolt"
)

// Options configures Open and Build: where the index lives, and what to
// do when it is missing or does not match the archive. BuildOptions apply
// when an index is built.
type Options struct {
	// IndexPath overrides where the index lives (see Path).
	IndexPath string
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
	// Remote configures access to a remote archive and index (S3
	// credentials, endpoint, timeouts).
	Remote remote.Options
	// CacheLimit bounds the bytes of indexes of remote archives kept in
	// the user cache directory (1 GiB if 0); the least recently used are
	// removed first.
	CacheLimit int64
	// Prefetch, if set, is called when Open opens the cached index of a
	// remote archive on the identity the object had last time, while it
	// confirms that identity with the server: it may announce the ranges
	// the caller will read first (HintRange), so that they are fetched in
	// the same round trip as the identity, not the one after it. It must
	// not use the Archive otherwise: if the object changed, Open discards
	// it, and opens the archive as it would have without a remembered
	// identity.
	Prefetch func(*Archive)

	BuildOptions
}

// BuildOptions configures an index build: by Open or Build when they
// build, and by Scan.
type BuildOptions struct {
	// Span is the checkpoint distance for a new index: DefaultSpan if 0,
	// or DefaultStreamSpan when the windows stay whole.
	Span int64
	// Jobs is how many goroutines inflate the archive during a build
	// (gzseek's parallel scan), DefaultJobs() if 0; 1 inflates
	// sequentially. The index is the same for every value. The scan
	// speculates only where it pays (gzseek's doc.go): not while the
	// cores are busy with the rest of the build (millions of small
	// members), nor while whoever reads the bytes is slower than the
	// inflating (OnMember writing files). At most gzseek.ScanMemory(Jobs)
	// more memory is used.
	Jobs int
	// FullWindows stores checkpoint windows whole. By default a build
	// zeroes the bytes of each window that no later back-reference
	// reaches (gzseek.SparseWindow) before storing it, so that windows
	// compress to a fifth; readers need nothing new. Windows stay whole
	// anyway when the archive is read as a stream (it cannot be read
	// again from a checkpoint).
	FullWindows bool
	// Progress, if set, is called during a build with the compressed
	// bytes read so far and the archive size (-1 if unknown).
	Progress func(done, total int64)
	// Warn, if set, receives notices: a stale index being rebuilt, and
	// what the build finds worth a warning.
	Warn func(msg string)
	// OnMember, if set, is called during a build for every member with a
	// reader of its contents; what it does not read is read afterwards.
	// It runs on the build's tar goroutine: a slow OnMember slows the build.
	OnMember func(m *Member, data io.Reader) error
	// ToolVersion is recorded in the index.
	ToolVersion string

	commitBytes int64 // commitBytes if 0; tests commit more often
}

// jobs returns the number of inflating goroutines for a build.
func (o *BuildOptions) jobs() int {
	if o.Jobs > 0 {
		return o.Jobs
	}
	return DefaultJobs()
}

// minParallelCores is the fewest cores on which a build inflates in
// parallel by default. On two, the rest of the build (tar parsing, the
// checksums, the store) takes a quarter of a core and speculative
// decoding costs about 1.5 times the CPU of decoding in order, so the
// parallel scan was slower: the index of a 245 MB tar of the Go tree
// took 471 ms against 439 ms sequentially, in one hyperfine run.
const minParallelCores = 3

// DefaultJobs returns how many goroutines inflate the archive during a
// build when BuildOptions.Jobs is 0: one per core (runtime.GOMAXPROCS)
// where there are at least three, else one.
func DefaultJobs() int {
	if n := runtime.GOMAXPROCS(0); n >= minParallelCores {
		return n
	}
	return 1
}

func (o *BuildOptions) warn(format string, args ...any) {
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

// Archive is a tar archive, gzip-compressed or plain, opened together
// with its index. It is safe for concurrent use.
type Archive struct {
	ra     io.ReaderAt    // the archive's bytes: a file or a remote.Object
	closer io.Closer      // closes ra
	obj    *remote.Object // the remote archive; nil for a local file
	fetch  remote.Stats   // what fetching a remote index cost
	db     *bolt.DB
	info   Info
	st     storage     // reads the tar stream (compression.go)
	cache  memberCache // recently decoded member chunks
	// resumers holds the decoders of closed streams for the next
	// (compression.go).
	resumers sync.Pool
}

// Open opens the archive at path with its index, building the index
// first if it is missing, of another format version, or stale (unless
// opts.NoReindex). Concurrent Opens of the same archive build it once:
// the builder holds a lock on the archive file, and the others wait for
// it and then use its index. path may also be a remote location
// (http://, https://, s3://BUCKET/KEY): see remote.go for where its index
// is found.
func Open(ctx context.Context, path string, opts Options) (*Archive, error) {
	return open(ctx, path, &opts, false)
}

// Build builds a new index for the archive at path even if a valid one
// exists, and returns the archive opened with it.
func Build(ctx context.Context, path string, opts Options) (*Archive, error) {
	return open(ctx, path, &opts, true)
}

func open(ctx context.Context, path string, opts *Options, force bool) (*Archive, error) {
	if remote.IsRemote(path) {
		return openRemote(ctx, path, opts, force)
	}
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
		var re *rebuildError
		if !errors.As(err, &re) {
			return a.replayWarnings(opts), err
		}
		if opts.NoReindex && !re.missing {
			return nil, fmt.Errorf("%w: %s: %s", ErrStale, ipath, re.reason)
		}
		if opts.NoBuild {
			return nil, fmt.Errorf("%w: %s: %s", ErrNoIndex, ipath, re.reason)
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
		// Another process may have built it while this one waited.
		a, err := tryOpen(f, ipath, id, opts)
		var re *rebuildError
		if !errors.As(err, &re) {
			return a.replayWarnings(opts), err
		}
		if !re.missing {
			opts.warn("%s: %s, rebuilding", ipath, re.reason)
		}
	}
	if err := os.MkdirAll(filepath.Dir(ipath), 0o755); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	removeStaleTemps(ipath)
	identity := func() (Identity, error) { return id, nil }
	// The archive must not have changed while it was read.
	unchanged := func() error {
		if now, err := identityOf(f); err != nil || !now.equal(id) {
			return fmt.Errorf("index: %s: archive changed while it was indexed", path)
		}
		return nil
	}
	if err := buildInto(ctx, ipath, io.NewSectionReader(f, 0, id.Size), id.Size, identity, opts, unchanged); err != nil {
		return nil, err
	}
	return tryOpen(f, ipath, id, opts)
}

// buildInto builds the index of the archive read from src into a
// temporary file beside ipath and renames it into place once check (if
// set) passes. The caller holds the lock of the archive or index.
func buildInto(ctx context.Context, ipath string, src io.Reader, size int64, identity func() (Identity, error), opts *Options, check func() error) error {
	tmp, err := os.CreateTemp(filepath.Dir(ipath), filepath.Base(ipath)+".tmp-*")
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes it 0600; an index is as readable as an archive.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if _, err := build(ctx, src, size, identity, tmp.Name(), &opts.BuildOptions); err != nil {
		return err
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), ipath); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	done = true
	syncDir(filepath.Dir(ipath))
	return nil
}

// replayWarnings repeats the tar warnings the build of a's index met, as
// GNU tar repeats them on every read of the archive. A build reports them
// as it meets them instead. a may be nil.
func (a *Archive) replayWarnings(opts *Options) *Archive {
	if a != nil {
		for w := range strings.Lines(a.info.Warnings) {
			opts.warn("%s", strings.TrimSuffix(w, "\n"))
		}
	}
	return a
}

// rebuildError says why an index is missing, unreadable, of another
// version or stale: one that a build replaces.
type rebuildError struct {
	reason  string
	missing bool // there is no index file at all
}

func (e *rebuildError) Error() string { return e.reason }

// tryOpen opens the index at ipath read-only and checks that it describes
// the archive with identity id. It returns a *rebuildError if a build
// should replace the index.
func tryOpen(f *os.File, ipath string, id Identity, opts *Options) (*Archive, error) {
	a, err := openIndex(ipath, opts, func(stored Identity) bool { return stored.equal(id) })
	if err != nil {
		return nil, err
	}
	a.ra, a.closer, a.info.Archive = f, f, f.Name()
	return a, nil
}

// openIndex opens the index at ipath read-only and checks with match that
// it describes the archive. It returns a *rebuildError if a build should
// replace the index. The caller sets the archive's fields.
func openIndex(ipath string, opts *Options, match func(stored Identity) bool) (*Archive, error) {
	st, err := os.Stat(ipath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &rebuildError{reason: "no index", missing: true}
	}
	db, err := bolt.Open(ipath, 0, &bolt.Options{ReadOnly: true, Timeout: opts.lockTimeout()})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("index: %s: locked by another process: %w", ipath, err)
	}
	if err != nil {
		return nil, &rebuildError{reason: fmt.Sprintf("unreadable index (%v)", err)}
	}
	var stored Identity
	var info Info
	err = view(db, func(tx *bolt.Tx) error {
		// A truncated file would make bbolt fault on its mmap.
		if st.Size() < tx.Size() {
			return fmt.Errorf("%w: file of %d bytes, %d expected", ErrFormat, st.Size(), tx.Size())
		}
		var err error
		stored, info, err = readMeta(tx)
		return err
	})
	if err != nil {
		db.Close()
		return nil, &rebuildError{reason: err.Error()}
	}
	if !match(stored) {
		db.Close()
		return nil, &rebuildError{reason: "index is stale (the archive changed since it was indexed)"}
	}
	info.IndexSize = st.Size()
	info.IndexPath = ipath
	a := &Archive{db: db, info: info}
	if a.st, err = newStorage(a); err != nil {
		db.Close()
		return nil, &rebuildError{reason: err.Error()}
	}
	return a, nil
}

// view runs fn in a read transaction. bbolt panics on some damaged pages;
// such a panic becomes an ErrFormat error.
func view(db *bolt.DB, fn func(*bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: damaged index file (%v); rebuild it with tarx index --force", ErrFormat, r)
		}
	}()
	return db.View(fn)
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
	return errors.Join(a.db.Close(), a.closer.Close())
}

// Info returns facts about the index and the archive.
func (a *Archive) Info() Info { return a.info }
