package remote

import (
	"bytes"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (p *predialer) readyConns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dialing > 0 {
		return -1
	}
	return len(p.ready)
}

// TestPredial checks that an Object opened for several readers has the
// connections of its first burst of requests dialled before the burst, and
// that the burst takes them instead of dialling.
func TestPredial(t *testing.T) {
	data := randomBytes(200_000, 7)
	const burst = 4
	var (
		mu      sync.Mutex
		waiting int
		all     = make(chan struct{})
	)
	// Hold the requests after the identity's until burst of them are in
	// flight at once: each needs a connection of its own.
	barrier := func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 1 {
			return false
		}
		mu.Lock()
		if waiting++; waiting == burst {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-time.After(5 * time.Second):
		}
		return false
	}
	s := newServer(t, data, barrier)
	opts := fast()
	opts.Readers, opts.MaxRequests, opts.ReadAhead = burst, burst, -1
	opts.CacheSize = 1 << 20
	o := mustOpen(t, s.url(), opts)
	pre := o.be.(*httpBackend).pre
	waitFor(t, "the pre-dialled connections", func() bool { return pre.readyConns() == burst-1 })
	if c := s.conns.Load(); c != burst {
		t.Fatalf("after open: %d connections, want %d (the identity's and %d pre-dialled)", c, burst, burst-1)
	}
	var g errgroup.Group
	for i := range burst {
		g.Go(func() error {
			off := int64(i) * 40_000
			buf := make([]byte, 1000)
			if _, err := o.ReadAt(buf, off); err != nil {
				return err
			}
			if !bytes.Equal(buf, data[off:off+1000]) {
				t.Errorf("ReadAt(%d): wrong bytes", off)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if c := s.conns.Load(); c != burst {
		t.Errorf("%d requests in flight at once took %d connections in all, want %d: the burst dialled", burst, c, burst)
	}
	if n := pre.readyConns(); n != 0 {
		t.Errorf("%d pre-dialled connections left unused, want 0", n)
	}
}

// TestPredial_OneReader checks that one reader gets no connections it will
// not use.
func TestPredial_OneReader(t *testing.T) {
	s := newServer(t, randomBytes(10_000, 8))
	o := mustOpen(t, s.url(), fast())
	time.Sleep(50 * time.Millisecond)
	if c := s.conns.Load(); c != 1 {
		t.Errorf("one reader: %d connections after open, want 1", c)
	}
	if n := o.be.(*httpBackend).pre.readyConns(); n != 0 {
		t.Errorf("one reader: %d pre-dialled connections, want 0", n)
	}
}

// TestPredial_Stale checks that a pre-dialled connection that waited too
// long is closed instead of used, and that one to another address is left.
func TestPredial_Stale(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := l.Addr().String()
	stale, staleEnd := net.Pipe()
	other, otherEnd := net.Pipe()
	defer staleEnd.Close()
	defer otherEnd.Close()
	p := &predialer{dialer: &net.Dialer{Timeout: time.Second}}
	p.ready = []preconn{
		{network: "tcp", addr: "127.0.0.1:1", conn: other, at: time.Now()},
		{network: "tcp", addr: addr, conn: stale, at: time.Now().Add(-2 * preconnMaxAge)},
	}
	c, err := p.dial(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c == stale {
		t.Fatal("dial handed out a stale pre-dialled connection")
	}
	if _, err := stale.Write([]byte{1}); err == nil {
		t.Error("the stale connection was not closed")
	}
	if n := p.readyConns(); n != 1 || p.ready[0].conn != other {
		t.Errorf("ready after dial: %d connections, want the other address's only", n)
	}
	p.close()
	if _, err := other.Write([]byte{1}); err == nil {
		t.Error("close left a pre-dialled connection open")
	}
}
