// Command benchserve is the HTTP side of scripts/bench-remote.sh: it serves
// the files of a directory (Go's net/http: Range, If-Range, If-Match and an
// nginx-style ETag), proxies to another loopback server (nginx) at HTTP
// level, or forwards TCP connections to one, adding a fixed round-trip
// time, and counts what it sends.
//
// Latency: every new connection waits one RTT before its first byte is read
// (the TCP handshake), and every request waits one RTT before it is
// answered (request out, first byte back). Bandwidth is loopback's: the
// bench measures round trips and bytes, not a slow link. (netem would be
// the real thing; it is not available on these machines.)
//
// CPU: the bench runs the client on the same two cores, so what the server
// side spends is taken from the client. Files go out by sendfile, and
// -tcp-upstream forwards at TCP level (requests delayed in order, responses
// spliced back): that is how the bench reaches nginx with a delay, counting
// from nginx's access log. Splicing copies nothing through the proxy, but
// the extra loopback hop still costs kernel time, about 1 ms of CPU per MB
// (0.33 s for 333 MB, from /proc/PID/stat), taken from the client's cores.
// The HTTP proxy (-upstream) copies every body through Go's ReverseProxy.
//
// Counting: GET /.benchserve/stats answers {"requests":N,"bytes":M} (body
// bytes of every other response since the last reset); add ?reset=1 to
// zero the counters after reading them. -tcp-upstream counts nothing.
//
// Timeline: with -log FILE every request appends one line: when it came
// (ms since the server started), when its body was done, its Range and the
// body bytes sent, to see how a client keeps requests in flight.
//
//	benchserve -listen 127.0.0.1:PORT -rtt 20ms [-log FILE] (-dir DIR | -upstream http://127.0.0.1:PORT | -tcp-upstream 127.0.0.1:PORT)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on")
	rtt := flag.Duration("rtt", 0, "round-trip time added per connection and per request")
	dir := flag.String("dir", "", "serve the files of this directory")
	upstream := flag.String("upstream", "", "proxy to this loopback URL instead")
	tcpUpstream := flag.String("tcp-upstream", "", "forward TCP connections to this loopback HOST:PORT instead")
	addrFile := flag.String("addr-file", "", "write the base URL here once listening")
	logFile := flag.String("log", "", "append one line per request to this file")
	flag.Parse()
	if n := btoi(*dir != "") + btoi(*upstream != "") + btoi(*tcpUpstream != ""); n != 1 {
		log.Fatal("benchserve: give exactly one of -dir, -upstream and -tcp-upstream")
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil || !loopback(host) {
		log.Fatalf("benchserve: -listen %q: want a loopback address", *listen)
	}
	if *tcpUpstream != "" {
		host, _, err := net.SplitHostPort(*tcpUpstream)
		if err != nil || !loopback(host) {
			log.Fatalf("benchserve: -tcp-upstream %q: want HOST:PORT on loopback", *tcpUpstream)
		}
	}
	var h http.Handler
	switch {
	case *dir != "":
		h = files(*dir)
	case *upstream != "":
		u, err := url.Parse(*upstream)
		if err != nil || u.Scheme != "http" || !loopback(u.Hostname()) {
			log.Fatalf("benchserve: -upstream %q: want http:// on loopback", *upstream)
		}
		p := httputil.NewSingleHostReverseProxy(u)
		p.Transport = &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
		h = p
	}
	s := &server{next: h, rtt: *rtt, t0: time.Now()}
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		s.log = log.New(f, "", 0)
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(base+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(base)
	if *tcpUpstream != "" {
		log.Fatal(forward(l, *tcpUpstream, *rtt))
	}
	log.Fatal(http.Serve(slowListener{l, *rtt}, s))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// server delays and counts the requests of next.
type server struct {
	next            http.Handler
	rtt             time.Duration
	requests, bytes atomic.Int64
	t0              time.Time
	log             *log.Logger // nil: no timeline
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/.benchserve/stats" {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]int64{"requests": s.requests.Load(), "bytes": s.bytes.Load()})
		if r.URL.Query().Get("reset") != "" {
			s.requests.Store(0)
			s.bytes.Store(0)
		}
		return
	}
	s.requests.Add(1)
	start := time.Since(s.t0)
	time.Sleep(s.rtt)
	var n atomic.Int64
	s.next.ServeHTTP(&countingWriter{ResponseWriter: w, n: &n}, r)
	s.bytes.Add(n.Load())
	if s.log != nil {
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		s.log.Printf("%9.1f %9.1f %s %q %d", ms(start), ms(time.Since(s.t0)), r.URL.Path, r.Header.Get("Range"), n.Load())
	}
}

// countingWriter counts the body bytes written.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// ReadFrom lets http.ServeContent send a file by sendfile, as nginx does,
// instead of copying it through user space.
func (c *countingWriter) ReadFrom(r io.Reader) (int64, error) {
	n, err := io.Copy(c.ResponseWriter, r)
	c.n.Add(n)
	return n, err
}

func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// slowListener delays the first read of every connection by rtt.
type slowListener struct {
	net.Listener
	rtt time.Duration
}

func (l slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || l.rtt <= 0 {
		return c, err
	}
	return &slowConn{Conn: c, rtt: l.rtt}, nil
}

type slowConn struct {
	net.Conn
	rtt  time.Duration
	once sync.Once
}

func (c *slowConn) Read(p []byte) (int, error) {
	c.once.Do(func() { time.Sleep(c.rtt) })
	return c.Conn.Read(p)
}

// ReadFrom passes a response body from a file to the TCP connection's
// ReadFrom (sendfile).
func (c *slowConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// files serves dir as nginx does for a static file: ETag "mtime-size" in
// hex, Last-Modified, ranges by http.ServeContent.
func files(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean("/" + r.URL.Path)
		if strings.Contains(name, "/.") {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.ModTime().Unix(), fi.Size()))
		http.ServeContent(w, r, name, fi.ModTime(), f)
	})
}
