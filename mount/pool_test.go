package mount

import (
	"archive/tar"
	"context"
	"sync"
	"testing"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestPool checks that a sequential read gets the decoder that served
// the read before it, that the number of decoders stays bounded under
// concurrent use, and that a read following a busy decoder waits for it.
func TestPool(t *testing.T) {
	entries := []testarchive.Entry{{Header: tar.Header{Typeflag: tar.TypeReg, Name: "f", Mode: 0o644}, Data: testarchive.Text(1, 4<<20)}}
	p := testarchive.WriteArchive(t, testarchive.External(t, testarchive.Tar(t, entries, tar.FormatPAX), "gzip-6"))
	a, err := index.Open(context.Background(), p, index.Options{BuildOptions: index.BuildOptions{Span: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	pl := newPool(a, 3)
	defer pl.close()
	read := func(off, n int64) *slot {
		s, err := pl.get(ctx, span{-1, off, off + n})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.rr.ReadAt(make([]byte, n), off); err != nil {
			t.Fatal(err)
		}
		pl.put(s)
		return s
	}
	first := read(0, 128<<10)
	if s := read(128<<10, 128<<10); s != first {
		t.Error("a sequential read took another decoder")
	}
	other := read(3<<20, 1000) // more than a span ahead
	if other == first {
		t.Error("a far read took the sequential reader's decoder while others were free")
	}

	// Sparse members continue by logical offset within the member.
	sp, err := pl.get(ctx, span{7, 0, 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	pl.put(sp)
	if s, err := pl.get(ctx, span{7, 1 << 20, 2 << 20}); err != nil || s != sp {
		t.Errorf("a sequential read of a sparse member took another decoder (%v)", err)
	} else {
		pl.put(s)
	}

	// A read that follows a busy decoder waits for it.
	busy, err := pl.get(ctx, span{-1, 1 << 20, 1<<20 + 128<<10})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *slot)
	go func() {
		s, _ := pl.get(ctx, span{-1, 1<<20 + 128<<10, 1<<20 + 256<<10})
		got <- s
	}()
	busy.rr.ReadAt(make([]byte, 128<<10), 1<<20)
	pl.put(busy)
	if s := <-got; s != busy {
		t.Error("a read following a busy decoder did not wait for it")
	} else {
		pl.put(s)
	}

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			s, err := pl.get(ctx, span{-1, int64(i) * 200 << 10, int64(i)*200<<10 + 64<<10})
			if err != nil {
				t.Error(err)
				return
			}
			s.rr.ReadAt(make([]byte, 64<<10), int64(i)*200<<10)
			pl.put(s)
		})
	}
	wg.Wait()
	if len(pl.slots) > 3 {
		t.Errorf("%d decoders, at most 3 allowed", len(pl.slots))
	}
}
