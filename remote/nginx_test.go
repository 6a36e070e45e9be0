package remote

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitPort waits until something accepts connections on addr.
func waitPort(t *testing.T, addr string, limit time.Duration, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("server exited before listening on %s: %v", addr, err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s after %v", addr, limit)
}

// startNginx serves a new directory with Debian's nginx on a loopback port
// and returns the directory and the base URL.
func startNginx(t *testing.T) (string, string) {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
			if _, err := os.Stat(p); err == nil {
				bin = p
			}
		}
	}
	if bin == "" {
		t.Skip("nginx not installed (Debian package nginx; .ci/run installs it)")
	}
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	if err := os.Mkdir(www, 0o755); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %[1]s/tmp-body;
	proxy_temp_path %[1]s/tmp-proxy;
	fastcgi_temp_path %[1]s/tmp-fastcgi;
	uwsgi_temp_path %[1]s/tmp-uwsgi;
	scgi_temp_path %[1]s/tmp-scgi;
	server {
		listen 127.0.0.1:%[2]d;
		root %[3]s;
		location /denied/ { deny all; }
	}
}
`, dir, port, www)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-e", filepath.Join(dir, "error.log"), "-p", dir, "-c", confPath)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitPort(t, addr, 10*time.Second, exited)
	return www, "http://" + addr
}

func TestNginx(t *testing.T) {
	www, base := startNginx(t)
	data := randomBytes(1_500_000, 20)
	path := filepath.Join(www, "a.tar.gz")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)

	opts := fast()
	opts.BlockSize = 64 << 10
	opts.CacheSize = 1 << 20
	o := mustOpen(t, base+"/a.tar.gz", opts)
	id := o.Identity()
	if id.Size != int64(len(data)) || id.ETag == "" || id.LastModified.IsZero() || !o.Ranged() {
		t.Fatalf("identity %+v, ranged %v", id, o.Ranged())
	}
	if got := readAll(t, o, 100_000); !bytes.Equal(got, data) {
		t.Fatal("bytes differ")
	}
	if st := o.Stats(); st.BytesFetched != int64(len(data)) {
		t.Errorf("fetched %d bytes for %d", st.BytesFetched, len(data))
	}

	// Replace the file (same size, new mtime): nginx's ETag changes and
	// If-Match fails.
	o2 := mustOpen(t, base+"/a.tar.gz", opts)
	buf := make([]byte, 1000)
	if _, err := o2.ReadAt(buf, 10); err != nil || !bytes.Equal(buf, data[10:1010]) {
		t.Fatalf("read: %v", err)
	}
	if err := os.WriteFile(path+".new", randomBytes(len(data), 21), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	if _, err := o2.ReadAt(buf, 1_000_000); !errors.Is(err, ErrChanged) {
		t.Fatalf("read after replace: %v, want ErrChanged", err)
	}

	if _, err := Open(t.Context(), base+"/missing.tar.gz", opts); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v, want ErrNotFound", err)
	}
	_, err := Open(t.Context(), base+"/denied/a.tar.gz", opts)
	if !errors.Is(err, ErrDenied) {
		t.Fatalf("denied: %v, want ErrDenied", err)
	}
	t.Logf("403: %v", err)
}
