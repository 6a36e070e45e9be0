package index

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tarx-dev/tarx/gzseek"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"
)

// FormatVersion is the version of the index schema described in doc.go.
// An index of another version is rebuilt.
const FormatVersion = 5

// Bucket and key names.
var (
	bucketMeta        = []byte("meta")
	bucketCheckpoints = []byte("checkpoints")
	bucketMembers     = []byte("members")
	bucketTree        = []byte("tree")
	bucketSuperseded  = []byte("superseded")

	keyVersion  = []byte("version")
	keyIdentity = []byte("identity")
	keyInfo     = []byte("info")
)

// membersPerChunk is how many member records share one value in the
// members bucket. Grouping them lets bbolt store long runs of similar
// names compactly and lets ls read them sequentially.
const membersPerChunk = 512

// fingerprintSize is how much of the head and of the tail of the archive
// is hashed into its identity.
const fingerprintSize = 64 << 10

// Identity says which archive file an index describes.
type Identity struct {
	Size        int64  `json:"size"`
	ModTimeNano int64  `json:"mtime_ns"`
	Fingerprint []byte `json:"fingerprint"` // SHA-256 of the first and last 64 KiB
	// ETag is the remote object's entity tag, if the index was built from
	// or matched with one; a local file has none.
	ETag string `json:"etag,omitempty"`
}

// Info describes an index and the archive it was built from.
type Info struct {
	Archive          string        `json:"archive"`
	IndexPath        string        `json:"index"`
	IndexSize        int64         `json:"index_size"`
	ArchiveSize      int64         `json:"archive_size"`
	Compression      Compression   `json:"compression"` // how the archive stores its tar stream: "gzip" or "none"
	UncompressedSize int64         `json:"uncompressed_size"`
	GzipMembers      int64         `json:"gzip_members"`
	Checkpoints      int64         `json:"checkpoints"`
	WindowBytes      int64         `json:"window_bytes"`
	SparseWindows    bool          `json:"sparse_windows,omitempty"` // window bytes nothing refers to are zero (gzseek.SparseWindow)
	Members          int64         `json:"members"`
	TarEnd           int64         `json:"tar_end"`
	Span             int64         `json:"span"`
	UnsafeNames      int64         `json:"unsafe_names"` // members with ".." or NUL in their names, not in the tree
	Built            time.Time     `json:"built"`
	BuildDuration    time.Duration `json:"build_duration_ns"`
	ToolVersion      string        `json:"tool_version"`
	// Warnings are GNU tar's warnings about the tar stream (such as "A
	// lone zero block at 7"), one a line, in the order the build met
	// them. (A string keeps Info comparable.) Added without a format
	// change: older indexes read as having none.
	Warnings string `json:"warnings,omitempty"`
}

// identityOf computes the identity of the open archive file f.
func identityOf(f *os.File) (Identity, error) {
	st, err := f.Stat()
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Size: st.Size(), ModTimeNano: st.ModTime().UnixNano()}
	if id.Fingerprint, err = fingerprint(f, id.Size); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// fingerprint hashes the first and last 64 KiB of an archive of the given
// size (the whole of a smaller one). The two ranges are read at once, each
// with one ReadAt: for a remote archive, two requests in one round trip.
func fingerprint(r io.ReaderAt, size int64) ([]byte, error) {
	head := make([]byte, min(size, fingerprintSize))
	tailStart := max(int64(len(head)), size-fingerprintSize)
	tail := make([]byte, size-tailStart)
	var g errgroup.Group
	g.Go(func() error {
		_, err := io.ReadFull(io.NewSectionReader(r, 0, int64(len(head))), head)
		return err
	})
	g.Go(func() error {
		_, err := io.ReadFull(io.NewSectionReader(r, tailStart, int64(len(tail))), tail)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(head)
	h.Write(tail)
	return h.Sum(nil), nil
}

// equal reports whether the stored identity a describes the archive b.
// An index made from a stream (Scan) has no mtime: it is not compared.
func (a Identity) equal(b Identity) bool {
	return a.Size == b.Size && (a.ModTimeNano == 0 || a.ModTimeNano == b.ModTimeNano) &&
		bytes.Equal(a.Fingerprint, b.Fingerprint)
}

// u64 encodes a key that sorts by numeric value.
func u64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// checkpointValue encodes a checkpoint without its offset (the key).
func appendCheckpoint(b []byte, c *gzseek.Checkpoint, codec *gzseek.WindowCodec) []byte {
	b = binary.AppendUvarint(b, uint64(c.In))
	b = append(b, c.Bit)
	b = binary.AppendUvarint(b, uint64(c.Member))
	if c.MemberStart {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return codec.Encode(b, c.Window)
}

// readCheckpoint decodes a checkpoint record; with codec nil the window
// is left out.
func readCheckpoint(key, val []byte, codec *gzseek.WindowCodec) (gzseek.Checkpoint, error) {
	var c gzseek.Checkpoint
	bad := func(what string) (gzseek.Checkpoint, error) {
		return c, fmt.Errorf("%w: checkpoint record: bad %s", ErrFormat, what)
	}
	if len(key) != 8 {
		return bad("key")
	}
	c.Out = int64(binary.BigEndian.Uint64(key))
	in, n := binary.Uvarint(val)
	if n <= 0 || in > 1<<62 || c.Out < 0 {
		return bad("offset")
	}
	c.In, val = int64(in), val[n:]
	if len(val) < 1 || val[0] > 7 {
		return bad("bit offset")
	}
	c.Bit, val = val[0], val[1:]
	mem, n := binary.Uvarint(val)
	if n <= 0 || mem > 1<<62 {
		return bad("member")
	}
	c.Member, val = int64(mem), val[n:]
	if len(val) < 1 || val[0] > 1 {
		return bad("flags")
	}
	c.MemberStart, val = val[0] == 1, val[1:]
	if codec != nil {
		w, err := codec.Decode(val)
		if err != nil {
			return c, fmt.Errorf("%w: %w", ErrFormat, err)
		}
		c.Window = w
	}
	return c, nil
}

// readMeta reads the version, identity and info of an open index.
func readMeta(tx *bolt.Tx) (Identity, Info, error) {
	var id Identity
	var info Info
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return id, info, fmt.Errorf("%w: no meta bucket", ErrFormat)
	}
	v := meta.Get(keyVersion)
	if len(v) != 4 {
		return id, info, fmt.Errorf("%w: no format version", ErrFormat)
	}
	if got := binary.BigEndian.Uint32(v); got != FormatVersion {
		return id, info, fmt.Errorf("%w: format version %d, want %d", ErrFormat, got, FormatVersion)
	}
	if err := json.Unmarshal(meta.Get(keyIdentity), &id); err != nil {
		return id, info, fmt.Errorf("%w: identity: %w", ErrFormat, err)
	}
	if err := json.Unmarshal(meta.Get(keyInfo), &info); err != nil {
		return id, info, fmt.Errorf("%w: info: %w", ErrFormat, err)
	}
	for _, name := range [][]byte{bucketCheckpoints, bucketMembers, bucketTree, bucketSuperseded, bucketBlocks, bucketLinks} {
		b := tx.Bucket(name)
		if b == nil {
			return id, info, fmt.Errorf("%w: no %s bucket", ErrFormat, name)
		}
		// Touch each bucket's root and its first and last leaves, so that
		// a damaged root page is found here, where it makes a rebuild,
		// rather than by the first read (bbolt panics; view recovers).
		c := b.Cursor()
		c.First()
		c.Last()
	}
	return id, info, nil
}
