package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tarx-dev/tarx/remote"
	bolt "go.etcd.io/bbolt"
)

// Remote archives (http://, https://, s3://) are read through a
// remote.Object. Their index is found, in order:
//
//  1. opts.IndexPath: a local path (built there if missing or stale), or a
//     URL, fetched into the cache (a stale one is an error);
//  2. the user cache, $XDG_CACHE_HOME/tarx/r-HASH.tarx, HASH of the
//     location (without credentials) and its ETag;
//  3. LOCATION.tarx beside the archive, fetched once into the cache; it
//     is matched by size and the fingerprint of the first and last 64 KiB
//     (two ranged reads), and the cached copy then records the ETag;
//  4. else it is built by streaming the archive once, into the cache.
//
// An index that records an ETag matches only the object with that ETag;
// one without is matched by size and fingerprint. The cache is pruned to
// Options.CacheLimit, least recently used first.
//
// Each time the cache gives or takes the index of an object with a strong
// ETag, the object's identity is remembered beside it (r-HASH.last, HASH
// of the location alone). The next Open of that location opens the cached
// index on that identity at once (remote.OpenExpected): the identity
// request and the ranges Options.Prefetch announces go out together, and
// Open returns once the server confirmed the identity; if it did not, the
// archive is opened as above.

// remoteCachePrefix starts the names of cached indexes of remote archives.
const remoteCachePrefix = "r-"

func (o *Options) cacheLimit() int64 {
	if o.CacheLimit > 0 {
		return o.CacheLimit
	}
	return 1 << 30
}

// remoteArchive is a remote archive being opened.
type remoteArchive struct {
	obj   *remote.Object
	id    remote.Identity
	opts  *Options
	fetch remote.Stats // spent fetching indexes

	fp     []byte
	fpErr  error
	fpDone bool
}

func openRemote(ctx context.Context, location string, opts *Options, force bool) (*Archive, error) {
	loc, err := remote.ParseLocation(location)
	if err != nil {
		return nil, err
	}
	if !force && opts.IndexPath == "" {
		if a, err := openRemembered(ctx, loc, opts); a != nil || err != nil {
			return a, err
		}
	}
	obj, err := remote.OpenLocation(ctx, loc, opts.Remote)
	if err != nil {
		return nil, err
	}
	r := &remoteArchive{obj: obj, id: obj.Identity(), opts: opts}
	a, err := r.open(ctx, force)
	if err != nil {
		obj.Close()
		return nil, err
	}
	if opts.IndexPath == "" {
		remember(ctx, loc, a.info.IndexPath, r.id)
	}
	return a, nil
}

// memo is what r-HASH.last remembers of a remote object: its identity when
// the cached index file (a name in the same directory) was last used.
type memo struct {
	Index        string    `json:"index"`
	ETag         string    `json:"etag"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"last_modified"`
}

// memoPath names the memo of a location.
func memoPath(loc remote.Location) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(loc.String()))
	return filepath.Join(dir, "tarx", remoteCachePrefix+hex.EncodeToString(sum[:12])+memoSuffix), nil
}

const memoSuffix = ".last"

// remember records that the cached index at ipath belongs to the object of
// loc with identity id. It is a hint for the next Open: failing to write
// it costs that Open a round trip, nothing more.
func remember(ctx context.Context, loc remote.Location, ipath string, id remote.Identity) {
	p, err := memoPath(loc)
	if err != nil || filepath.Dir(p) != filepath.Dir(ipath) {
		return
	}
	if !id.StrongETag() || id.Size < 0 {
		os.Remove(p) // nothing If-Match could hold to
		return
	}
	m := memo{Index: filepath.Base(ipath), ETag: id.ETag, Size: id.Size, LastModified: id.LastModified.UTC()}
	b, _ := json.Marshal(m)
	if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, b) {
		return
	}
	remote.Put(ctx, p, bytes.NewReader(b), int64(len(b)), remote.Options{})
}

// openRemembered opens the archive at loc on the identity its memo
// remembers, with the cached index of that identity; nil and no error if
// there is no such memo or index, or the object is no longer the one
// remembered: the caller then opens it the long way.
func openRemembered(ctx context.Context, loc remote.Location, opts *Options) (*Archive, error) {
	p, err := memoPath(loc)
	if err != nil {
		return nil, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, nil
	}
	var m memo
	if json.Unmarshal(b, &m) != nil || m.Index != filepath.Base(m.Index) || !strings.HasPrefix(m.Index, remoteCachePrefix) {
		os.Remove(p)
		return nil, nil
	}
	expected := remote.Identity{Name: loc.String(), Size: m.Size, ETag: m.ETag, LastModified: m.LastModified}
	obj, err := remote.OpenExpected(ctx, loc, opts.Remote, expected)
	if err != nil {
		os.Remove(p)
		return nil, nil
	}
	r := &remoteArchive{obj: obj, id: obj.Identity(), opts: opts}
	a, err := openIndex(filepath.Join(filepath.Dir(p), m.Index), opts, r.match)
	if err != nil {
		obj.Close()
		return nil, nil
	}
	a = r.archive(a)
	if opts.Prefetch != nil {
		opts.Prefetch(a)
	}
	switch err := obj.Confirm(ctx); {
	case err == nil:
		return a, nil
	case ctx.Err() != nil:
		a.Close()
		return nil, ctx.Err()
	case errors.Is(err, remote.ErrChanged) || errors.Is(err, remote.ErrNoRange):
		// Another version (or another server): the long way finds or
		// makes its index, and remembers it instead.
		a.Close()
		os.Remove(p)
		return nil, nil
	default:
		// The identity request failed as the long way's would.
		a.Close()
		return nil, err
	}
}

// match reports whether a stored identity describes this object.
func (r *remoteArchive) match(stored Identity) bool {
	if stored.Size != r.id.Size {
		return false
	}
	if stored.ETag != "" {
		return stored.ETag == r.id.ETag
	}
	fp, err := r.fingerprint()
	return err == nil && bytes.Equal(fp, stored.Fingerprint)
}

// readerAtFunc is a function as an io.ReaderAt.
type readerAtFunc func(p []byte, off int64) (int, error)

func (f readerAtFunc) ReadAt(p []byte, off int64) (int, error) { return f(p, off) }

// fingerprint reads the object's fingerprint once, on first need.
func (r *remoteArchive) fingerprint() ([]byte, error) {
	if !r.fpDone {
		r.fpDone = true
		if !r.obj.Ranged() {
			r.fpErr = remote.ErrNoRange
		} else {
			// Exact ranges: two 64 KiB reads, not two whole blocks.
			r.fp, r.fpErr = fingerprint(readerAtFunc(r.obj.ReadRange), r.id.Size)
		}
	}
	return r.fp, r.fpErr
}

// archive completes an Archive opened on the index.
func (r *remoteArchive) archive(a *Archive) *Archive {
	a.ra, a.closer, a.obj, a.fetch = r.obj, r.obj, r.obj, r.fetch
	a.info.Archive = r.id.Name
	now := time.Now()
	os.Chtimes(a.info.IndexPath, now, now) // recency, for pruning the cache
	return a
}

func (r *remoteArchive) open(ctx context.Context, force bool) (*Archive, error) {
	opts := r.opts
	if remote.IsRemote(opts.IndexPath) {
		if force {
			return nil, fmt.Errorf("index: %s: cannot build into the URL %s: give a local --index", r.id.Name, redactLocation(opts.IndexPath))
		}
		return r.openURLIndex(ctx, opts.IndexPath)
	}
	ipath, cached := opts.IndexPath, opts.IndexPath == ""
	if cached {
		p, err := remoteCachePath(r.id)
		if err != nil {
			return nil, err
		}
		ipath = p
	}
	if !force {
		a, err := openIndex(ipath, opts, r.match)
		if err == nil {
			return r.archive(a), nil
		}
		var re *rebuildError
		if !errors.As(err, &re) {
			return nil, err
		}
		if cached {
			if a, err := r.fromBeside(ctx, ipath); a != nil || err != nil {
				return a, err
			}
		}
		if opts.NoReindex && !re.missing {
			return nil, fmt.Errorf("%w: %s: %s", ErrStale, ipath, re.reason)
		}
		if opts.NoBuild {
			return nil, fmt.Errorf("%w: %s: %s", ErrNoIndex, ipath, re.reason)
		}
	}
	if err := os.MkdirAll(filepath.Dir(ipath), 0o755); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	unlock, err := lockPath(ctx, ipath+".lock")
	if err != nil {
		return nil, fmt.Errorf("index: lock %s: %w", ipath, err)
	}
	defer unlock()
	if !force {
		// Another process may have built it while this one waited.
		if a, err := openIndex(ipath, opts, r.match); err == nil {
			return r.archive(a), nil
		}
	}
	if !r.obj.Ranged() {
		opts.warn("%s: the server ignores range requests: indexing by streaming, but reading members will fail", r.id.Name)
	}
	if err := r.build(ctx, ipath); err != nil {
		return nil, err
	}
	if cached {
		pruneCache(filepath.Dir(ipath), opts.cacheLimit(), ipath)
	}
	a, err := openIndex(ipath, opts, r.match)
	if err != nil {
		return nil, fmt.Errorf("index: %s: %w", ipath, err)
	}
	return r.archive(a), nil
}

// build indexes the archive by streaming it once into ipath.
func (r *remoteArchive) build(ctx context.Context, ipath string) error {
	removeStaleTemps(ipath)
	body := r.obj.Stream(ctx, 0)
	defer body.Close()
	sid := &streamIdentity{}
	identity := func() (Identity, error) {
		id, err := sid.identity()
		if err == nil && r.id.Size >= 0 && id.Size != r.id.Size {
			err = fmt.Errorf("index: %s: read %d bytes of %d", r.id.Name, id.Size, r.id.Size)
		}
		id.ETag = r.id.ETag
		return id, err
	}
	return buildInto(ctx, ipath, io.TeeReader(body, sid), r.id.Size, identity, r.opts, nil)
}

// fromBeside fetches LOCATION.tarx into the cache at ipath if it exists
// and describes the archive. It returns nil and no error when there is no
// usable index there (the caller builds one); an error only if ctx ended.
func (r *remoteArchive) fromBeside(ctx context.Context, ipath string) (*Archive, error) {
	side := r.obj.Location().WithSuffix(Suffix)
	obj, err := remote.OpenLocation(ctx, side, r.opts.Remote)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !errors.Is(err, remote.ErrNotFound) && !errors.Is(err, remote.ErrDenied) {
			r.opts.warn("%s: %v; building the index", side, err)
		}
		return nil, nil
	}
	defer obj.Close()
	tmp, err := r.download(ctx, obj, filepath.Dir(ipath))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.opts.warn("%s: %v; building the index", side, err)
		return nil, nil
	}
	defer os.Remove(tmp)
	a, err := openIndex(tmp, r.opts, r.match)
	if err != nil {
		r.opts.warn("%s: %v; building the index", side, err)
		return nil, nil
	}
	a.db.Close()
	// Remember the ETag, so later runs match without the fingerprint.
	if err := setETag(tmp, r.id.ETag); err != nil {
		r.opts.warn("%s: %v; building the index", side, err)
		return nil, nil
	}
	if err := os.Rename(tmp, ipath); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	pruneCache(filepath.Dir(ipath), r.opts.cacheLimit(), ipath)
	if a, err = openIndex(ipath, r.opts, r.match); err != nil {
		return nil, fmt.Errorf("index: %s: %w", ipath, err)
	}
	return r.archive(a), nil
}

// openURLIndex opens the index given as a URL, fetched into the cache
// under its own identity; a stale one is an error.
func (r *remoteArchive) openURLIndex(ctx context.Context, location string) (*Archive, error) {
	obj, err := remote.Open(ctx, location, r.opts.Remote)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	ipath, err := remoteCachePath(obj.Identity())
	if err != nil {
		return nil, err
	}
	stale := func(err error) error {
		var re *rebuildError
		if errors.As(err, &re) {
			return fmt.Errorf("%w: %s: %s", ErrStale, obj.Identity().Name, re.reason)
		}
		return err
	}
	if a, err := openIndex(ipath, r.opts, r.match); err == nil {
		r.fetch = addStats(r.fetch, obj.Stats())
		return r.archive(a), nil
	}
	tmp, err := r.download(ctx, obj, filepath.Dir(ipath))
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	a, err := openIndex(tmp, r.opts, r.match)
	if err != nil {
		return nil, stale(err)
	}
	a.db.Close()
	if err := os.Rename(tmp, ipath); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	pruneCache(filepath.Dir(ipath), r.opts.cacheLimit(), ipath)
	if a, err = openIndex(ipath, r.opts, r.match); err != nil {
		return nil, stale(err)
	}
	return r.archive(a), nil
}

// download copies a fetched index into a new temporary file in dir. An
// index is far smaller than its archive: a larger object is refused.
func (r *remoteArchive) download(ctx context.Context, obj *remote.Object, dir string) (string, error) {
	name := obj.Identity().Name
	limit := 2*max(r.id.Size, 0) + 64<<20
	if obj.Size() > limit {
		return "", fmt.Errorf("index: %s: %d bytes, too big for an index of a %d-byte archive", name, obj.Size(), r.id.Size)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("index: %w", err)
	}
	f, err := os.CreateTemp(dir, "download-*.tmp")
	if err != nil {
		return "", fmt.Errorf("index: %w", err)
	}
	body := obj.Stream(ctx, 0)
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	body.Close()
	r.fetch = addStats(r.fetch, obj.Stats())
	if err == nil && n > limit {
		err = fmt.Errorf("index: %s: more than %d bytes, too big for an index", name, limit)
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func addStats(a, b remote.Stats) remote.Stats {
	return remote.Stats{Requests: a.Requests + b.Requests, BytesFetched: a.BytesFetched + b.BytesFetched}
}

// setETag records etag in the identity of the index file at path.
func setETag(path, etag string) (err error) {
	db, err := bolt.Open(path, 0, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: damaged index file (%v)", ErrFormat, r)
		}
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	return db.Update(func(tx *bolt.Tx) error {
		id, _, err := readMeta(tx)
		if err != nil {
			return err
		}
		id.ETag = etag
		b, _ := json.Marshal(id)
		return tx.Bucket(bucketMeta).Put(keyIdentity, b)
	})
}

// remoteCachePath names the cached index of a remote object: a hash of its
// location (credentials and query already stripped) and of its ETag (or,
// without one, its Last-Modified and size).
func remoteCachePath(id remote.Identity) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("index: %s: no cache directory for its index: %w", id.Name, err)
	}
	key := id.Name + "\x00" + id.ETag
	if id.ETag == "" {
		key += id.LastModified.UTC().Format(time.RFC3339Nano) + "\x00" + strconv.FormatInt(id.Size, 10)
	}
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(dir, "tarx", remoteCachePrefix+hex.EncodeToString(sum[:12])+Suffix), nil
}

// pruneCache removes the least recently used cached indexes of remote
// archives until the rest fit in limit bytes, keeping keep; the memos of
// indexes no longer there; and temporary downloads and memo writes left
// for more than an hour.
func pruneCache(dir string, limit int64, keep string) {
	entries, _ := os.ReadDir(dir)
	type file struct {
		path string
		size int64
		used time.Time
	}
	var files []file
	var memos []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "download-") && strings.HasSuffix(e.Name(), ".tmp"),
			strings.HasPrefix(e.Name(), remoteCachePrefix) && strings.Contains(e.Name(), memoSuffix+".tmp-"):
			// A download or a memo's write that a killed process left.
			if time.Since(info.ModTime()) > time.Hour {
				os.Remove(p)
			}
		case strings.HasPrefix(e.Name(), remoteCachePrefix) && strings.HasSuffix(e.Name(), Suffix):
			files = append(files, file{p, info.Size(), info.ModTime()})
		case strings.HasPrefix(e.Name(), remoteCachePrefix) && strings.HasSuffix(e.Name(), memoSuffix):
			memos = append(memos, p)
		}
	}
	slices.SortFunc(files, func(a, b file) int { return b.used.Compare(a.used) })
	var total int64
	for _, f := range files {
		total += f.size
		if total > limit && f.path != keep {
			os.Remove(f.path)
			os.Remove(f.path + ".lock")
			total -= f.size
		}
	}
	// A memo whose index is gone remembers nothing of use.
	for _, p := range memos {
		var m memo
		if b, err := os.ReadFile(p); err == nil && json.Unmarshal(b, &m) == nil && m.Index == filepath.Base(m.Index) {
			if _, err := os.Stat(filepath.Join(dir, m.Index)); err == nil {
				continue
			}
		}
		os.Remove(p)
	}
}

// lockPath takes an exclusive flock on the file at path (created if need
// be), waiting until ctx is done.
func lockPath(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	unlock, err := lockFile(ctx, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { unlock(); f.Close() }, nil
}

// redactLocation returns a location fit for a message.
func redactLocation(s string) string {
	if l, err := remote.ParseLocation(s); err == nil {
		return l.String()
	}
	return "(unparsable location)"
}

// hint tells a remote archive which bytes reading m needs (see Span), so
// that it fetches no further.
func (a *Archive) hint(m *Member) { a.HintRange(m.HeaderOffset, m.DataEnd) }

// Span returns the range [from, to) of archive bytes that reading m may
// touch (see CompressedRange).
func (a *Archive) Span(m *Member) (from, to int64, err error) {
	return a.CompressedRange(m.HeaderOffset, m.DataEnd)
}

// HintRange announces that the tar stream from lo to hi will be read next
// (by one reader or several): a remote archive then fetches the bytes
// CompressedRange names, and reads ahead no further. It does nothing for a
// local archive.
func (a *Archive) HintRange(lo, hi int64) {
	if a.obj == nil || hi <= lo {
		return
	}
	if from, to, err := a.CompressedRange(lo, hi); err == nil {
		a.obj.Hint(from, to)
	}
}

// Stats returns what reading a remote archive and fetching its index have
// cost so far; both are zero for a local archive.
func (a *Archive) Stats() (archive, index remote.Stats) {
	if a.obj != nil {
		archive = a.obj.Stats()
	}
	return archive, a.fetch
}

// Publish uploads the index beside the remote archive, at LOCATION.tarx,
// where Open finds it; it returns that location. S3 accepts uploads; HTTP
// does not (remote.ErrUnsupported).
func (a *Archive) Publish(ctx context.Context, opts remote.Options) (string, error) {
	if a.obj == nil {
		return "", fmt.Errorf("index: %s: a local archive has its index beside it already", a.info.Archive)
	}
	dst := a.obj.Location().WithSuffix(Suffix)
	f, err := os.Open(a.info.IndexPath)
	if err != nil {
		return "", fmt.Errorf("index: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("index: %w", err)
	}
	if err := remote.Put(ctx, dst.String(), f, st.Size(), opts); err != nil {
		return "", err
	}
	return dst.String(), nil
}
