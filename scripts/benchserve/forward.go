package main

import (
	"io"
	"net"
	"sync"
	"time"
)

// forward accepts connections on l and forwards each to upstream with the
// delays of the HTTP modes: one RTT before the connection's first byte is
// read (its handshake) and one RTT on the way in for every byte the client
// sends (its requests, in order), so a request is answered one RTT after
// it was sent. Responses go back by io.Copy between the two TCP
// connections, which Linux does by splice, without copying them through
// the proxy.
func forward(l net.Listener, upstream string, rtt time.Duration) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go forwardConn(c, upstream, rtt)
	}
}

// chunk is what the client sent, and when it arrived.
type chunk struct {
	b  []byte
	at time.Time
}

func forwardConn(c net.Conn, upstream string, rtt time.Duration) {
	defer c.Close()
	time.Sleep(rtt)
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer u.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // responses
		defer wg.Done()
		io.Copy(c, u)
		closeWrite(c)
	}()
	in := make(chan chunk, 256)
	go func() { // requests, each rtt after it came
		defer wg.Done()
		for k := range in {
			time.Sleep(time.Until(k.at.Add(rtt)))
			if _, err := u.Write(k.b); err != nil {
				break
			}
		}
		for range in {
		}
		closeWrite(u)
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			in <- chunk{b: append([]byte(nil), buf[:n]...), at: time.Now()}
		}
		if err != nil {
			break
		}
	}
	close(in)
	wg.Wait()
}

func closeWrite(c net.Conn) {
	if t, ok := c.(*net.TCPConn); ok {
		t.CloseWrite()
	}
}
