package remote

import (
	"context"
	"net"
	"slices"
	"sync"
	"time"
)

// predialer opens connections before the requests that need them. An
// extraction's workers start with a burst of range requests (one per
// queued run, up to Options.MaxRequests), and each of those but the
// first would wait for a connection of its own: a TCP handshake, one
// round trip, after the identity request's. Dialled while that request is
// in flight, they are ready when the burst goes out.
//
// The Transport dials through dial. Its first call (the identity
// request's) dials as asked and starts the pre-dials to the same address,
// the proxy's if one applies; later calls take a pre-dialled connection to
// their address if one is ready, and dial otherwise. A connection that
// waited longer than preconnMaxAge is closed unused: a server may drop
// one that sends no request for a while, and a request on a dropped
// connection costs a retry, more than a handshake.
type predialer struct {
	ctx    context.Context // of the Object: ends the dials in flight
	dialer *net.Dialer

	mu      sync.Mutex
	pending int // connections to dial on the first call
	dialing int // pre-dials in flight
	ready   []preconn
	closed  bool
}

type preconn struct {
	network, addr string
	conn          net.Conn
	at            time.Time
}

// preconnMaxAge is how long a pre-dialled connection may wait for its
// first request.
const preconnMaxAge = 3 * time.Second

// dial is the Transport's DialContext.
func (p *predialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	p.mu.Lock()
	if n := p.pending; n > 0 && !p.closed {
		p.pending = 0
		p.dialing += n
		for range n {
			go p.predial(network, addr)
		}
	}
	for {
		i := slices.IndexFunc(p.ready, func(c preconn) bool { return c.network == network && c.addr == addr })
		if i < 0 {
			break
		}
		c := p.ready[i]
		p.ready = slices.Delete(p.ready, i, i+1)
		if time.Since(c.at) < preconnMaxAge {
			p.mu.Unlock()
			return c.conn, nil
		}
		c.conn.Close()
	}
	p.mu.Unlock()
	return p.dialer.DialContext(ctx, network, addr)
}

// predial dials one connection and keeps it ready. A failure is left to
// the request that would have taken it: that one dials again, and reports.
func (p *predialer) predial(network, addr string) {
	conn, err := p.dialer.DialContext(p.ctx, network, addr)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dialing--
	switch {
	case err != nil:
	case p.closed:
		conn.Close()
	default:
		p.ready = append(p.ready, preconn{network: network, addr: addr, conn: conn, at: time.Now()})
	}
}

// close closes the connections no request took, and those still to come.
func (p *predialer) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, c := range p.ready {
		c.conn.Close()
	}
	p.ready = nil
}
