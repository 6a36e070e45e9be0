package index

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tarx-dev/tarx/gzseek"
)

// Scan reads an archive (plain tar or tar.gz) from r, which need not be seekable (standard
// input), calling opts.OnMember for every member. If indexPath is
// set, the index is written there too, so that the file the stream came
// from can later be opened with it (its identity is computed from the
// stream; its mtime is unknown and not checked).
func Scan(ctx context.Context, r io.Reader, indexPath string, opts BuildOptions) (Info, error) {
	id := &streamIdentity{}
	src := io.TeeReader(r, id)
	if indexPath == "" {
		res, err := pass(ctx, src, -1, opts.Span, &opts, func(cps <-chan gzseek.Checkpoint, members <-chan []Member, blocks <-chan blockGroup) error {
			for cps != nil || members != nil || blocks != nil {
				select {
				case _, ok := <-blocks:
					if !ok {
						blocks = nil
					}
				case _, ok := <-cps:
					if !ok {
						cps = nil
					}
				case _, ok := <-members:
					if !ok {
						members = nil
					}
				}
			}
			return nil
		})
		return Info{Compression: res.compression, UncompressedSize: res.out, GzipMembers: res.gzipMembers, TarEnd: res.tarEnd, ArchiveSize: id.n, Warnings: res.warnings}, err
	}
	dir := filepath.Dir(indexPath)
	tmp, err := os.CreateTemp(dir, filepath.Base(indexPath)+".tmp-*")
	if err != nil {
		return Info{}, fmt.Errorf("index: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return Info{}, fmt.Errorf("index: %w", err)
	}
	info, err := build(ctx, src, -1, id.identity, tmp.Name(), &opts)
	if err != nil {
		return info, err
	}
	if err := os.Rename(tmp.Name(), indexPath); err != nil {
		return info, fmt.Errorf("index: %w", err)
	}
	syncDir(dir)
	return info, nil
}

// streamIdentity computes an archive's Identity from its bytes as they
// stream past: the first 64 KiB and a ring of the last 64 KiB.
type streamIdentity struct {
	n    int64
	head []byte
	ring [fingerprintSize]byte
}

func (s *streamIdentity) Write(p []byte) (int, error) {
	if len(s.head) < fingerprintSize {
		s.head = append(s.head, p[:min(len(p), fingerprintSize-len(s.head))]...)
	}
	for b := p; len(b) > 0; {
		i := int(s.n % fingerprintSize)
		k := copy(s.ring[i:], b)
		b = b[k:]
		s.n += int64(k)
	}
	return len(p), nil
}

func (s *streamIdentity) identity() (Identity, error) {
	h := sha256.New()
	h.Write(s.head)
	tailStart := max(int64(len(s.head)), s.n-fingerprintSize)
	if n := s.n - tailStart; n > 0 {
		// The tail is the ring's last n bytes, which may wrap around.
		start := int((s.n - n) % fingerprintSize)
		end := start + int(n)
		if end <= fingerprintSize {
			h.Write(s.ring[start:end])
		} else {
			h.Write(s.ring[start:])
			h.Write(s.ring[:end-fingerprintSize])
		}
	}
	return Identity{Size: s.n, Fingerprint: h.Sum(nil)}, nil
}
