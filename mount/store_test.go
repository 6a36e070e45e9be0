package mount

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// storeArchive returns an archive of a few MiB of text in one gzip
// stream with checkpoints every 128 KiB, and its decompressed stream.
func storeArchive(t *testing.T) (*index.Archive, []byte) {
	t.Helper()
	size := 6 << 20
	if raceEnabled {
		size = 2 << 20
	}
	entries := []testarchive.Entry{
		{Header: tar.Header{Typeflag: tar.TypeReg, Name: "a", Mode: 0o644}, Data: testarchive.Text(3, size)},
		{Header: tar.Header{Typeflag: tar.TypeReg, Name: "b", Mode: 0o644}, Data: testarchive.Text(4, 100<<10+17)},
	}
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	return openArchive(t, testarchive.WriteArchive(t, testarchive.Gzip(t, tarBytes, testarchive.GoLevel6))), tarBytes
}

// storeStats returns how many decoders s made and how many decoded
// blocks it holds.
func storeStats(s *store) (decoders, decoded int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.decs), s.decoded
}

// waitIdle waits until no decoder of s runs.
func waitIdle(s *store) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		running := false
		for _, d := range s.decs {
			running = running || d.running
		}
		if !running {
			return
		}
		s.idle.Wait()
	}
}

// TestStore_Sequential reads the stream front to back in 256 KiB reads:
// the bytes are right, it reads ahead of the reader, and the read-ahead
// runs on at most as many decoders as it may use cores (one decoder when
// one core).
func TestStore_Sequential(t *testing.T) {
	for _, cores := range []int{1, 2, 4} {
		t.Run(fmt.Sprint(cores), func(t *testing.T) {
			a, want := storeArchive(t)
			s, err := newStore(context.Background(), a, 8, 16<<20)
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			s.cores = cores
			const n = 256 << 10
			for off := 0; off < len(want); off += n {
				p := make([]byte, min(n, len(want)-off))
				if err := s.readAt(p, int64(off)); err != nil {
					t.Fatalf("read at %d: %v", off, err)
				}
				if !bytes.Equal(p, want[off:off+len(p)]) {
					t.Fatalf("read at %d: wrong bytes", off)
				}
				if off == 2*n {
					waitIdle(s)
					s.mu.Lock()
					b := s.blocks[min(int64(off+n)/index.BlockSize+readAhead/2, int64(len(want)-1)/index.BlockSize)]
					s.mu.Unlock()
					if b == nil {
						t.Error("a sequential reader's decoders did not read ahead")
					}
				}
			}
			waitIdle(s)
			d, _ := storeStats(s)
			t.Logf("%d decoders", d)
			if d > cores {
				t.Errorf("a sequential read used %d decoders, want at most %d", d, cores)
			}
		})
	}
}

// TestStore_Concurrent runs readers at random offsets, more than the
// decoders and with a cache smaller than the stream: every byte is
// right, and decoders and cached blocks stay within their bounds.
func TestStore_Concurrent(t *testing.T) {
	a, want := storeArchive(t)
	const cache = 24 // blocks
	s, err := newStore(context.Background(), a, 3, cache*index.BlockSize)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			for range 20 {
				off := rng.IntN(len(want))
				p := make([]byte, min(rng.IntN(300<<10)+1, len(want)-off))
				if err := s.readAt(p, int64(off)); err != nil {
					t.Errorf("read %d at %d: %v", len(p), off, err)
					return
				}
				if !bytes.Equal(p, want[off:off+len(p)]) {
					t.Errorf("read %d at %d: wrong bytes", len(p), off)
					return
				}
			}
		})
	}
	wg.Wait()
	waitIdle(s)
	if d, n := storeStats(s); d > 3 || n > cache {
		t.Errorf("%d decoders (at most 3), %d cached blocks (at most %d)", d, n, cache)
	}
}

// TestStore_ResumeCaches checks that a decoder resumed for a block
// caches the blocks it decodes on the way from the checkpoint, so that
// reading them next costs no decoding.
func TestStore_ResumeCaches(t *testing.T) {
	a, want := storeArchive(t)
	s, err := newStore(context.Background(), a, 1, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	// The last block before a checkpoint, past another one 2 or more blocks before.
	var first, k int64 = -1, -1
	for i := len(s.starts) / 2; i+1 < len(s.starts); i++ {
		if s.starts[i+1]-s.starts[i] >= 3 {
			first, k = s.starts[i], s.starts[i+1]-1
			break
		}
	}
	if k < 0 {
		t.Fatalf("no checkpoints 3 blocks apart: %v", s.starts)
	}
	p := make([]byte, 100)
	if err := s.readAt(p, k*index.BlockSize); err != nil || !bytes.Equal(p, want[k*index.BlockSize:][:100]) {
		t.Fatalf("read: %v", err)
	}
	waitIdle(s)
	s.mu.Lock()
	for j := first; j <= k; j++ {
		if b := s.blocks[j]; b == nil || b.data == nil {
			t.Errorf("block %d, decoded on the way to block %d, is not cached", j, k)
		}
	}
	s.mu.Unlock()
}

// TestStore_Corrupt checks that a block that fails its checksum fails
// the reads that cover it, and only those, also for the blocks its
// decoder was to produce after it.
func TestStore_Corrupt(t *testing.T) {
	entries := testarchive.CorruptibleEntries()
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	good := append([]byte(nil), tarBytes...)
	p := testarchive.WriteArchive(t, testarchive.Gzip(t, tarBytes, testarchive.BGZF))
	a := openArchive(t, p)
	m, err := a.Lookup("middle")
	if err != nil {
		t.Fatal(err)
	}
	bad := m.DataOffset + 200<<10
	testarchive.Corrupt(t, p, tarBytes, bad)
	s, err := newStore(context.Background(), a, 2, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	// One read from the start across the changed byte and beyond.
	buf := make([]byte, bad+300<<10)
	if err := s.readAt(buf, 0); !errors.Is(err, index.ErrChecksum) {
		t.Errorf("a read over the changed byte: %v, want ErrChecksum", err)
	}
	for _, r := range []struct{ off, n int64 }{{0, bad / index.BlockSize * index.BlockSize}, {(bad/index.BlockSize + 1) * index.BlockSize, 200 << 10}} {
		p := make([]byte, r.n)
		if err := s.readAt(p, r.off); err != nil || !bytes.Equal(p, good[r.off:r.off+r.n]) {
			t.Errorf("a read of %d at %d, clear of the changed block: %v", r.n, r.off, err)
		}
	}
	if err := s.readAt(make([]byte, 10), bad); !errors.Is(err, index.ErrChecksum) {
		t.Errorf("a second read of the changed byte: %v, want ErrChecksum", err)
	}
}

// TestStore_Cancel checks that reads fail once the mount ends.
func TestStore_Cancel(t *testing.T) {
	a, _ := storeArchive(t)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := newStore(ctx, a, 1, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	cancel()
	if err := s.readAt(make([]byte, 10), 0); !errors.Is(err, context.Canceled) {
		t.Errorf("a read after the end: %v, want context.Canceled", err)
	}
}
