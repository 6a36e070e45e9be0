package index

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/tarx-dev/tarx/gzseek"
	"github.com/tarx-dev/tarx/internal/tarfmt"
	bolt "go.etcd.io/bbolt"
)

// This file is the one owner of "how the archive stores its tar stream".
// A build tells the compression from the archive's first bytes (never
// from its name) and takes the stream through a decoder: gzseek's scanner
// for gzip, which emits checkpoints, or the bytes as they are for a plain
// tar. An open Archive reads the stream through a storage: resumed at
// the nearest checkpoint for gzip, read at the offset itself for a plain
// tar, whose spans are plain byte ranges. Nothing else in the package
// (nor in extract) asks which one it has.

// Compression is how an archive stores its tar stream.
type Compression string

const (
	// Gzip is a tar stream compressed with gzip: one member or several
	// back to back (gzip, pigz, pigz -i, BGZF, concatenations). It is
	// read from the index's checkpoints.
	Gzip Compression = "gzip"
	// None is a plain tar file: the stream is the archive's bytes, read
	// at any offset directly; the index holds no checkpoints.
	None Compression = "none"
)

// gzipMagic starts every gzip member.
var gzipMagic = []byte{0x1f, 0x8b}

// otherFormats are formats tarx recognizes by their first bytes but does
// not read, with the command that turns them into a tar stream.
var otherFormats = []struct {
	magic  string
	name   string
	decode string
}{
	{"BZh", "bzip2-compressed data", "bzip2 -dc"},
	{"\xfd7zXZ\x00", "xz-compressed data", "xz -dc"},
	{"\x28\xb5\x2f\xfd", "zstd-compressed data", "zstd -dc"},
	{"LZIP", "lzip-compressed data", "lzip -dc"},
	{"\x04\x22\x4d\x18", "lz4-compressed data", "lz4 -dc"},
	{"\x1f\x9d", "compress'd (.Z) data", "gzip -dc"},
	{"PK\x03\x04", "a zip archive", ""},
	{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", ""},
}

// detect tells how the archive whose first bytes are head stores its
// tar stream (head holds at least 512 bytes unless the archive is
// shorter). gzip is recognized by its magic, a plain tar by a valid first
// header (or a zero block), as GNU tar reads both. Anything else fails
// with an error wrapping ErrArchiveFormat that names the format if tarx
// knows it.
func detect(head []byte) (Compression, error) {
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return Gzip, nil
	case tarfmt.IsHeader(head):
		return None, nil
	}
	for _, f := range otherFormats {
		if bytes.HasPrefix(head, []byte(f.magic)) {
			if f.decode == "" {
				return "", fmt.Errorf("%w: it is %s", ErrArchiveFormat, f.name)
			}
			return "", fmt.Errorf("%w: it is %s (decompress it first: %s ARCHIVE | tarx extract -)", ErrArchiveFormat, f.name, f.decode)
		}
	}
	if len(head) == 0 {
		return "", fmt.Errorf("%w: the file is empty", ErrArchiveFormat)
	}
	return "", fmt.Errorf("%w: no gzip magic and no valid tar header at the start", ErrArchiveFormat)
}

// sniff reads enough of br to detect the archive's compression.
func sniff(br *bufio.Reader) (Compression, error) {
	head, err := br.Peek(512)
	if err != nil && err != io.EOF {
		return "", err
	}
	return detect(head)
}

// decoder yields the tar stream of an archive during a pass, and says how
// far it has got.
type decoder interface {
	appender
	InputOffset() int64  // archive bytes consumed
	OutputOffset() int64 // tar stream bytes produced
	Members() int64      // gzip members read
}

// decoder returns the decoder of an archive with compression c read from
// br. A gzip decoder calls emit with every checkpoint.
func (c Compression) decoder(br *bufio.Reader, opts gzseek.ScanOptions, emit func(gzseek.Checkpoint) error) decoder {
	if c == Gzip {
		return gzseek.NewScanner(br, opts, emit)
	}
	return &plainDecoder{r: br}
}

// plainDecoder is the decoder of a plain tar: the bytes themselves.
type plainDecoder struct {
	r io.Reader
	n int64
}

func (d *plainDecoder) Append(dst []byte) ([]byte, error) {
	n, err := d.r.Read(dst[len(dst):cap(dst)])
	d.n += int64(n)
	return dst[:len(dst)+n], err
}

func (d *plainDecoder) InputOffset() int64  { return d.n }
func (d *plainDecoder) OutputOffset() int64 { return d.n }
func (d *plainDecoder) Members() int64      { return 0 }

// storage reads an open archive's tar stream at offsets.
type storage interface {
	// openAt returns a reader of the stream from off (0 <= off <= size).
	openAt(off int64) (io.ReadCloser, error)
	// restarts returns, in order, the offsets from which openAt costs
	// no reading ahead (the first is 0).
	restarts() ([]int64, error)
	// extent returns the archive bytes [from, to) that reading the
	// stream over [off, end) needs.
	extent(off, end int64) (from, to int64, err error)
	// ahead is how far ahead of a reader's position reading on costs
	// less than opening the stream again.
	ahead() int64
}

// newStorage returns the storage of a, by its Info.Compression.
func newStorage(a *Archive) (storage, error) {
	switch a.info.Compression {
	case Gzip:
		return gzipStorage{a}, nil
	case None:
		return plainStorage{a}, nil
	}
	return nil, fmt.Errorf("%w: unknown compression %q", ErrFormat, a.info.Compression)
}

// gzipStorage resumes inflating at the checkpoint before an offset.
type gzipStorage struct{ a *Archive }

func (s gzipStorage) openAt(off int64) (io.ReadCloser, error) {
	a := s.a
	z, _ := a.resumers.Get().(*resumer)
	if z == nil {
		z = new(resumer)
	}
	var cp gzseek.Checkpoint
	err := view(a.db, func(tx *bolt.Tx) error {
		var err error
		cp, err = checkpointBefore(tx, off, &z.codec)
		return err
	})
	if err != nil {
		a.resumers.Put(z)
		return nil, err
	}
	if err := z.r.Reset(a.ra, a.info.ArchiveSize, cp); err != nil {
		a.resumers.Put(z)
		return nil, fmt.Errorf("index: %s: %w", a.info.Archive, err)
	}
	r := &resumed{z: z, pool: &a.resumers}
	if _, err := io.CopyN(io.Discard, r, off-cp.Out); err != nil {
		r.Close()
		return nil, fmt.Errorf("index: %s: resume at %d: %w", a.info.Archive, off, err)
	}
	return r, nil
}

// resumer is a gzseek.Reader with the codec of the windows it resumes
// with, kept in the Archive's pool between streams: extraction resumes
// at one checkpoint after another, and a BGZF archive has thousands.
type resumer struct {
	r     gzseek.Reader
	codec gzseek.WindowCodec
}

// resumed is a stream of openAt; Close gives its resumer back.
type resumed struct {
	z    *resumer
	pool *sync.Pool
}

func (r *resumed) Read(p []byte) (int, error) {
	if r.z == nil {
		return 0, errors.New("index: read after Close")
	}
	return r.z.r.Read(p)
}

func (r *resumed) Close() error {
	if r.z != nil {
		r.z.r.Close()
		r.pool.Put(r.z)
		r.z = nil
	}
	return nil
}

func (s gzipStorage) restarts() ([]int64, error) {
	var offs []int64
	err := view(s.a.db, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCheckpoints).ForEach(func(k, _ []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("%w: checkpoint key", ErrFormat)
			}
			offs = append(offs, int64(binary.BigEndian.Uint64(k)))
			return nil
		})
	})
	return offs, err
}

// extent runs from the checkpoint before off to the first one past end
// (plus what the inflater buffers).
func (s gzipStorage) extent(off, end int64) (from, to int64, err error) {
	a := s.a
	err = view(a.db, func(tx *bolt.Tx) error {
		cp, err := checkpointBefore(tx, off, nil)
		if err != nil {
			return err
		}
		from, to = cp.In, a.info.ArchiveSize
		c := tx.Bucket(bucketCheckpoints).Cursor()
		if k, v := c.Seek(u64(end)); k != nil {
			if next, err := readCheckpoint(k, v, nil); err == nil {
				to = next.In + 1
			}
		}
		return nil
	})
	return from, to + inflaterSlack, err
}

func (s gzipStorage) ahead() int64 { return s.a.info.Span }

// inflaterSlack is how far past the bytes it decodes gzseek may read.
const inflaterSlack = 64 << 10

// plainStorage reads a plain tar's bytes where they are.
type plainStorage struct{ a *Archive }

// plainBufSize is the read size of a plain tar's stream: tar headers are
// 512 bytes, and a read of each would be a system call (or a request).
const plainBufSize = 128 << 10

func (s plainStorage) openAt(off int64) (io.ReadCloser, error) {
	sr := io.NewSectionReader(s.a.ra, off, s.a.info.ArchiveSize-off)
	return io.NopCloser(bufio.NewReaderSize(sr, plainBufSize)), nil
}

// restarts cuts the stream into spans of Info.Span bytes, so that
// extraction spreads its workers over a plain tar as over checkpoints.
func (s plainStorage) restarts() ([]int64, error) {
	span, size := max(s.a.info.Span, 1), s.a.info.UncompressedSize
	offs := make([]int64, 0, size/span+1)
	for off := int64(0); off == 0 || off < size; off += span {
		offs = append(offs, off)
	}
	return offs, nil
}

// extent is the range itself, padded to whole tar blocks and a buffer.
func (s plainStorage) extent(off, end int64) (from, to int64, err error) {
	return off, min((end+511)/512*512+plainBufSize, s.a.info.ArchiveSize), nil
}

func (s plainStorage) ahead() int64 { return plainBufSize }
