package index

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/tarx-dev/tarx/gzseek"
	"github.com/tarx-dev/tarx/internal/tarfmt"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"
)

// Default checkpoint spans of a new index. Sparse windows
// (gzseek.SparseWindow) compress to about a fifth of whole ones (on the Go
// tree archive 2.2 KiB a checkpoint against 9-10 KiB), so four times as
// many checkpoints take about the index size that DefaultStreamSpan takes
// with whole windows, and a random read inflates a quarter as much before
// its member. A build that cannot thin its windows (an archive read as a
// stream) keeps the wider spacing, and so does a plain tar, whose span is
// only the unit extraction hands its workers (as before version 4).
const (
	DefaultSpan       = 1 << 20
	DefaultStreamSpan = gzseek.DefaultSpan
)

// commitBytes is how much data a build writes to bbolt before it commits,
// so that dirty pages do not pile up in memory on huge archives: bbolt
// holds every value put until the commit and then as much again in page
// buffers (at 32 MiB the 1M-member build peaked 36 MiB higher).
const commitBytes = 8 << 20

// build indexes the archive (plain tar or tar.gz) read from src into a new bbolt file at
// path. size is the archive's size if known (for progress), else -1.
// identity is called after the pass to say which archive was read. The
// caller owns path and removes it on error.
func build(ctx context.Context, src io.Reader, size int64, identity func() (Identity, error), path string, opts *BuildOptions) (Info, error) {
	start := time.Now()
	sparse := sparseWindows(src, size, !opts.FullWindows)
	info := Info{Span: opts.Span, ToolVersion: opts.ToolVersion}
	switch {
	case info.Span > 0:
	case sparse != nil:
		info.Span = DefaultSpan
	default:
		info.Span = DefaultStreamSpan
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{
		Timeout:        time.Second,
		NoSync:         true,
		NoFreelistSync: true,
		NoGrowSync:     true,
	})
	if err != nil {
		return info, fmt.Errorf("index: create %s: %w", path, err)
	}
	defer db.Close()

	tb, err := newTreeBuilder(path + ".tree")
	if err != nil {
		return info, fmt.Errorf("index: create %s.tree: %w", path, err)
	}
	defer tb.close()
	res, err := pass(ctx, src, size, info.Span, opts,
		func(cps <-chan gzseek.Checkpoint, members <-chan []Member, blocks <-chan blockGroup) error {
			return store(db, tb, cps, members, blocks, &info, sparse, cmp.Or(opts.commitBytes, commitBytes))
		})
	if err != nil {
		return info, err
	}
	info.TarEnd = res.tarEnd
	info.Compression = res.compression
	if res.compression != Gzip && opts.Span <= 0 {
		info.Span = DefaultStreamSpan
	}
	// A plain tar has no checkpoints, so no windows to thin.
	info.SparseWindows = sparse != nil && res.compression == Gzip
	id, err := identity()
	if err != nil {
		return info, err
	}
	info.ArchiveSize = id.Size
	info.UncompressedSize = res.out
	info.GzipMembers = res.gzipMembers
	info.Warnings = res.warnings
	info.Built = time.Now().UTC().Truncate(time.Second)
	info.BuildDuration = time.Since(start)

	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		idb, _ := json.Marshal(id)
		infob, _ := json.Marshal(info)
		return errors.Join(
			meta.Put(keyVersion, binary.BigEndian.AppendUint32(nil, FormatVersion)),
			meta.Put(keyIdentity, idb),
			meta.Put(keyInfo, infob))
	})
	if err == nil {
		err = db.Sync()
	}
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		return info, fmt.Errorf("index: write %s: %w", path, err)
	}
	return info, nil
}

// passResult is what one pass over an archive learns besides its
// checkpoints and members.
type passResult struct {
	compression Compression
	out         int64 // size of the tar stream
	gzipMembers int64
	tarEnd      int64  // offset just past the tar end-of-archive marker
	warnings    string // one a line
}

// memberBatch is how many members the tar parser hands on at once: one
// channel operation per member cost a tenth of a build of small members.
const memberBatch = 256

// pass reads the archive r of the given size once: one goroutine decodes
// it (inflating gzip, emitting checkpoints every span bytes; a plain tar
// as it is); a second parses the tar stream and checksums members, sending
// them in archive order in batches of up to memberBatch; sink consumes both
// on a third. The compression is told from r's first bytes.
func pass(ctx context.Context, r io.Reader, size, span int64, opts *BuildOptions,
	sink func(<-chan gzseek.Checkpoint, <-chan []Member, <-chan blockGroup) error) (passResult, error) {
	var res passResult
	br := bufio.NewReaderSize(r, 1<<20)
	var err error
	if res.compression, err = sniff(br); err != nil {
		return res, err
	}
	g, gctx := errgroup.WithContext(ctx)
	p := newPipe(gctx, 8)
	cps := make(chan gzseek.Checkpoint, 16)
	members := make(chan []Member, 4)
	var dec decoder
	sums := newBlockSummer(gctx)

	g.Go(func() error {
		defer close(cps)
		dec = res.compression.decoder(br, gzseek.ScanOptions{Span: span, Jobs: opts.jobs()},
			func(c gzseek.Checkpoint) error {
				select {
				case cps <- c:
					return nil
				case <-gctx.Done():
					return gctx.Err()
				}
			})
		var progress func()
		if opts.Progress != nil {
			progress = func() { opts.Progress(dec.InputOffset(), size) }
		}
		return p.fill(dec, progress)
	})
	g.Go(func() error {
		defer close(members)
		defer sums.close()
		pr := &pipeReader{p: p, sums: sums}
		end, err := parseTar(gctx, pr, members, opts.OnMember, func(msg string) {
			res.warnings += msg + "\n"
			opts.warn("%s", msg)
		})
		if err != nil {
			return err
		}
		res.tarEnd = end
		if err := pr.drain(); err != nil {
			return err
		}
		return sums.finish()
	})
	g.Go(func() error { return sink(cps, members, sums.groups) })
	if err := g.Wait(); err != nil {
		return res, err
	}
	res.out = dec.OutputOffset()
	res.gzipMembers = dec.Members()
	return res, nil
}

// parseTar reads the tar stream with tarfmt (as GNU tar reads it),
// sending one Member per entry. GNU tar's warnings go to warn. It returns
// the offset just past the end of the archive as GNU tar reads it.
func parseTar(ctx context.Context, r *pipeReader, out chan<- []Member, onMember func(*Member, io.Reader) error, warn func(string)) (int64, error) {
	tr := tarReader{tarfmt.NewReader(r, tarfmt.Options{Warn: warn})}
	crc := crc32.NewIEEE()
	var seq int64
	batch := make([]Member, 0, memberBatch)
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		select {
		case out <- batch:
			batch = make([]Member, 0, memberBatch)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// The members before an error are handed on first, as they would be
	// one at a time: verify reports what differs in them.
	fail := func(err error, where string) (int64, error) {
		send()
		return 0, tarError(ctx, err, where)
	}
	for {
		hdrOff := r.n
		e, err := tr.Next()
		if err == io.EOF {
			return r.n, send()
		}
		if err != nil {
			return fail(err, fmt.Sprintf("entry at offset %d", hdrOff))
		}
		hdr := &e.Header
		// The member is filled in its place in the batch: copying the
		// header twice was a twentieth of the parser's time.
		batch = append(batch, Member{Seq: seq, HeaderOffset: e.HeaderOffset, DataOffset: e.DataOffset,
			DataEnd: e.DataEnd, Sparse: e.Sparse})
		m := &batch[len(batch)-1]
		m.Header = *hdr
		crc.Reset()
		if onMember != nil {
			if err := onMember(m, io.TeeReader(tr, crc)); err != nil {
				batch = batch[:len(batch)-1]
				return fail(err, hdr.Name)
			}
		}
		// What onMember left goes to the checksum straight from the
		// decompressed buffers.
		if _, err := tr.WriteTo(crc); err != nil {
			batch = batch[:len(batch)-1]
			return fail(err, hdr.Name)
		}
		m.CRC = crc.Sum32()
		seq++
		if len(batch) == memberBatch {
			if err := send(); err != nil {
				return 0, err
			}
		}
	}
}

// tarError returns the error that stopped the tar parser at where: the
// context's error once it is cancelled; an error of the gzip layer as it
// is; an error archive/tar made (marked by tarReader) wrapped with
// ErrTar; anything else (OnMember's own errors) as it is.
func tarError(ctx context.Context, err error, where string) error {
	var se *sourceError
	var te *tarParseError
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &se):
		return se.err
	case errors.As(err, &te):
		return fmt.Errorf("%w: %s: %w", ErrTar, where, te.err)
	}
	return err
}

// tarReader marks the errors the tar reader makes itself, as opposed to
// those of the stream it reads, so that tarError can tell them apart.
type tarReader struct{ tr *tarfmt.Reader }

func (t tarReader) Next() (*tarfmt.Entry, error) {
	e, err := t.tr.Next()
	return e, markTar(err)
}

func (t tarReader) Read(p []byte) (int, error) {
	n, err := t.tr.Read(p)
	return n, markTar(err)
}

// WriteTo writes the rest of the entry's contents to w (see
// tarfmt.Reader.WriteTo).
func (t tarReader) WriteTo(w io.Writer) (int64, error) {
	n, err := t.tr.WriteTo(w)
	return n, markTar(err)
}

func markTar(err error) error {
	if err == nil || err == io.EOF {
		return err // first: se below escapes, and would cost an allocation a call
	}
	var se *sourceError
	if errors.As(err, &se) {
		return err
	}
	return &tarParseError{err}
}

// tarParseError is an error the tar reader made: the tar stream is malformed.
type tarParseError struct{ err error }

func (e *tarParseError) Error() string { return e.err.Error() }
func (e *tarParseError) Unwrap() error { return e.err }

// sparseWindows returns what store (and verify) call to zero the window
// bytes of a checkpoint that nothing after it refers to, or nil if want is
// false or the archive cannot be read at random.
func sparseWindows(src io.Reader, size int64, want bool) func(*gzseek.Checkpoint) error {
	ra, ok := src.(io.ReaderAt)
	if !ok || !want || size < 0 {
		return nil
	}
	var s gzseek.Sparsifier
	return func(c *gzseek.Checkpoint) error {
		w, err := s.Window(ra, size, *c)
		if err != nil {
			return fmt.Errorf("index: window of the checkpoint at %d: %w", c.Out, err)
		}
		c.Window = w
		return nil
	}
}

// store writes checkpoints, members and block sums into db as they
// arrive, and the tree collected in tb at the end.
func store(db *bolt.DB, tb *treeBuilder, cps <-chan gzseek.Checkpoint, members <-chan []Member, blocks <-chan blockGroup, info *Info, sparse func(*gzseek.Checkpoint) error, every int64) error {
	tx, err := db.Begin(true)
	if err != nil {
		return err
	}
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	buckets := func() (c, m *bolt.Bucket, err error) {
		if c, err = tx.CreateBucketIfNotExists(bucketCheckpoints); err != nil {
			return
		}
		m, err = tx.CreateBucketIfNotExists(bucketMembers)
		// Checkpoints and member chunks arrive in key order.
		c.FillPercent, m.FillPercent = 1.0, 1.0
		return
	}
	cb, mb, err := buckets()
	if err != nil {
		return err
	}
	var (
		codec     gzseek.WindowCodec
		cw        chunkWriter
		sinceSync int64
	)
	maybeCommit := func(n int) error {
		sinceSync += int64(n)
		if sinceSync < every {
			return nil
		}
		sinceSync = 0
		if err := tx.Commit(); err != nil {
			return err
		}
		if tx, err = db.Begin(true); err != nil {
			return err
		}
		cb, mb, err = buckets()
		return err
	}
	putChunk := func() error {
		if cw.n == 0 {
			return nil
		}
		// bbolt keeps the value until commit: it must not be reused.
		v := bytes.Clone(cw.finish())
		if err := mb.Put(u64(cw.first), v); err != nil {
			return err
		}
		return maybeCommit(len(v))
	}
	for cps != nil || members != nil || blocks != nil {
		select {
		case g, ok := <-blocks:
			if !ok {
				blocks = nil
			} else if err := putBlocks(tx, g); err != nil {
				return err
			}
		case c, ok := <-cps:
			if !ok {
				cps = nil
				continue
			}
			if sparse != nil {
				if err := sparse(&c); err != nil {
					return err
				}
			}
			val := appendCheckpoint(nil, &c, &codec)
			if err := cb.Put(u64(c.Out), val); err != nil {
				return err
			}
			info.Checkpoints++
			info.WindowBytes += int64(len(val))
			if err := maybeCommit(len(val)); err != nil {
				return err
			}
		case ms, ok := <-members:
			if !ok {
				members = nil
				continue
			}
			for i := range ms {
				m := &ms[i]
				if err := tb.add(m); err != nil {
					return err
				}
				if err := putLink(tx, m); err != nil {
					return err
				}
				cw.add(m)
				info.Members++
				if cw.n == membersPerChunk {
					if err := putChunk(); err != nil {
						return err
					}
				}
			}
		}
	}
	if err := putChunk(); err != nil {
		return err
	}
	// The tree goes out in transactions of commitBytes too: one of the
	// whole tree would hold it in memory (100 MB at 10M members).
	wrote := func(n int) (*bolt.Tx, error) {
		err := maybeCommit(n)
		return tx, err
	}
	if err := tb.finish(tx, wrote); err != nil {
		return err
	}
	if err := putLink(tx, nil); err != nil {
		return err
	}
	info.UnsafeNames = tb.unsafe
	err = tx.Commit()
	tx = nil
	return err
}

// chunkWriter collects member records into one compressed chunk.
type chunkWriter struct {
	first   int64
	n       int
	prevEnd int64
	raw     []byte
	pk      packer
}

func (w *chunkWriter) add(m *Member) {
	if w.n == 0 {
		w.first, w.prevEnd, w.raw = m.Seq, 0, w.raw[:0]
	}
	w.raw = appendMember(w.raw, m, w.prevEnd)
	w.prevEnd = m.DataEnd
	w.n++
}

// chunkS2 marks a chunk of records compressed with S2 (Snappy's format,
// extended). Version 3 indexes used deflate (encoding 1), which cost a
// seventh of a build's CPU on an archive of a million small members: S2
// takes a quarter of that time and decodes several times faster, for
// chunks about 1.35 (members) and 2 (tree, in S2's better mode) times as
// big.
const chunkS2 = 2

// maxChunkRaw bounds the decoded size of a chunk (records of a few
// hundred members or entries take tens of KiB), so that a damaged index
// cannot make a reader allocate gigabytes.
const maxChunkRaw = 16 << 20

// finish returns the encoded chunk and starts a new one.
func (w *chunkWriter) finish() []byte {
	w.n = 0
	return w.pk.pack(w.raw)
}

// packer compresses the records of a member or tree chunk: an encoding
// byte (chunkS2), then the S2 block. The result is valid until the next
// call.
type packer struct {
	out []byte
	// better selects S2's better mode: tree chunks, of a few KiB, share
	// bbolt's 4 KiB pages, and fit two to a page where the fast mode's fit
	// one (the index grew by half); it costs a third of deflate's time.
	better bool
}

func (p *packer) pack(raw []byte) []byte {
	p.out = slices.Grow(p.out[:0], 1+s2.MaxEncodedLen(len(raw)))[:1+s2.MaxEncodedLen(len(raw))]
	p.out[0] = chunkS2
	enc := s2.Encode
	if p.better {
		enc = s2.EncodeBetter
	}
	return p.out[:1+len(enc(p.out[1:], raw))]
}
