package mount

import (
	"archive/tar"
	"context"
	"sync"
	"testing"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestPool checks that a sequential read of a sparse member gets the
// decoder that served the read before it, that a read following a busy
// decoder waits for it, and that the number of decoders stays bounded
// under concurrent use.
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
	read := func(r span) *slot {
		s, err := pl.get(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		pl.put(s)
		return s
	}
	first := read(span{7, 0, 1 << 20})
	if s := read(span{7, 1 << 20, 2 << 20}); s != first {
		t.Error("a sequential read took another decoder")
	}
	if s := read(span{8, 2 << 20, 3 << 20}); s == first {
		t.Error("a read of another member took the sequential reader's decoder while others were free")
	}
	if s := read(span{7, 5 << 20, 6 << 20}); s == first {
		t.Error("a read more than a span ahead took the sequential reader's decoder while others were free")
	}

	// A read that follows a busy decoder waits for it.
	busy, err := pl.get(ctx, span{9, 0, 128 << 10})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *slot)
	go func() {
		s, _ := pl.get(ctx, span{9, 128 << 10, 256 << 10})
		got <- s
	}()
	pl.put(busy)
	if s := <-got; s != busy {
		t.Error("a read following a busy decoder did not wait for it")
	} else {
		pl.put(s)
	}

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			s, err := pl.get(ctx, span{int64(i), 0, 64 << 10})
			if err != nil {
				t.Error(err)
				return
			}
			pl.put(s)
		})
	}
	wg.Wait()
	if len(pl.slots) > 3 {
		t.Errorf("%d decoders, at most 3 allowed", len(pl.slots))
	}
}
