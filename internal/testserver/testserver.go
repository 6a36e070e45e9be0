// Package testserver starts real servers on loopback for tests: Debian's
// nginx serving a directory, and SeaweedFS's S3 gateway. A test whose
// server cannot be had is skipped with the reason (.ci/run installs both).
package testserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Credentials of the signed identity configured in the S3 server.
const (
	AccessKey = "TARXTESTACCESSKEY"
	SecretKey = "tarx-test-secret-key-0123456789"
)

// PublicBucket is readable anonymously; other buckets need AccessKey.
const PublicBucket = "public"

// FreePort returns a loopback port that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitPort waits until something accepts connections on addr.
func waitPort(tb testing.TB, addr string, limit time.Duration, exited <-chan error) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			tb.Fatalf("server exited before listening on %s: %v", addr, err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("nothing listens on %s after %v", addr, limit)
}

// start runs cmd until the test ends, its output in log; on failure the
// log's tail is shown.
func start(tb testing.TB, cmd *exec.Cmd, log string) <-chan error {
	tb.Helper()
	f, err := os.Create(log)
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		tb.Fatalf("start %s: %v", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		f.Close()
		if tb.Failed() {
			if b, err := os.ReadFile(log); err == nil && len(b) > 0 {
				tb.Logf("%s log (tail):\n%s", filepath.Base(cmd.Path), b[max(0, len(b)-4000):])
			}
		}
	})
	return exited
}

// Nginx serves a new directory with Debian's nginx on a loopback port and
// returns the directory and the base URL. /denied/ answers 403.
func Nginx(tb testing.TB) (dir, baseURL string) {
	tb.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
			if _, err := os.Stat(p); err == nil {
				bin = p
			}
		}
	}
	if bin == "" {
		tb.Skip("nginx not installed (Debian package nginx; .ci/run installs it)")
	}
	root := tb.TempDir()
	www := filepath.Join(root, "www")
	if err := os.Mkdir(www, 0o755); err != nil {
		tb.Fatal(err)
	}
	port := FreePort(tb)
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
`, root, port, www)
	confPath := filepath.Join(root, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "-e", filepath.Join(root, "error.log"), "-p", root, "-c", confPath)
	exited := start(tb, cmd, filepath.Join(root, "nginx.log"))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitPort(tb, addr, 10*time.Second, exited)
	return www, "http://" + addr
}

// WeedBinary finds SeaweedFS's weed: $TARX_WEED, the newest binary that
// scripts/seaweedfs.sh cached, or weed on PATH; "" if none.
func WeedBinary() string {
	if p := os.Getenv("TARX_WEED"); p != "" {
		return p
	}
	cache := os.Getenv("TARX_CI_CACHE")
	if cache == "" {
		cache = "/var/cache/tarx-ci"
	}
	m, _ := filepath.Glob(filepath.Join(cache, "weed-*"))
	m = slices.DeleteFunc(m, func(p string) bool { return strings.HasSuffix(p, ".tmp") })
	if len(m) > 0 {
		sort.Slice(m, func(i, j int) bool {
			a, _ := os.Stat(m[i])
			b, _ := os.Stat(m[j])
			return a.ModTime().After(b.ModTime())
		})
		return m[0]
	}
	if p, err := exec.LookPath("weed"); err == nil {
		return p
	}
	return ""
}

// S3 starts `weed server` with its S3 gateway on loopback ports, with an
// anonymous identity that may read PublicBucket and a signed one
// (AccessKey, SecretKey) that may do anything; it creates the buckets
// and returns the endpoint URL. It sets the environment so that the AWS
// SDK uses the signed identity and nothing of the machine's (no shared
// files, no instance metadata).
func S3(tb testing.TB, buckets ...string) string {
	tb.Helper()
	bin := WeedBinary()
	if bin == "" {
		tb.Skip("SeaweedFS weed not found: run scripts/seaweedfs.sh (.ci/run does) or set TARX_WEED")
	}
	Env(tb)
	dir := tb.TempDir()
	cfg := map[string]any{"identities": []any{
		map[string]any{"name": "anonymous", "actions": []string{"Read:" + PublicBucket}},
		map[string]any{
			"name":        "tarx",
			"credentials": []any{map[string]string{"accessKey": AccessKey, "secretKey": SecretKey}},
			"actions":     []string{"Admin", "Read", "List", "Tagging", "Write"},
		},
	}}
	b, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(dir, "s3.json")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		tb.Fatal(err)
	}
	p := make([]int, 7)
	for i := range p {
		p[i] = FreePort(tb)
	}
	cmd := exec.Command(bin, "server",
		"-dir="+data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		fmt.Sprintf("-master.port=%d", p[0]), fmt.Sprintf("-master.port.grpc=%d", p[1]),
		fmt.Sprintf("-volume.port=%d", p[2]), fmt.Sprintf("-volume.port.grpc=%d", p[3]),
		fmt.Sprintf("-filer.port=%d", p[4]), fmt.Sprintf("-filer.port.grpc=%d", p[5]),
		"-s3", fmt.Sprintf("-s3.port=%d", p[6]), "-s3.port.iceberg=0", "-s3.port.lance=0",
		"-s3.config="+cfgPath, "-master.telemetry=false",
		"-master.volumeSizeLimitMB=64", "-volume.max=32",
		"-filer.localSocket="+filepath.Join(dir, "filer.sock"),
		"-s3.localSocket="+filepath.Join(dir, "s3.sock"),
	)
	exited := start(tb, cmd, filepath.Join(dir, "weed.log"))
	addr := fmt.Sprintf("127.0.0.1:%d", p[6])
	waitPort(tb, addr, 60*time.Second, exited)
	endpoint := "http://" + addr
	createBuckets(tb, endpoint, append([]string{PublicBucket}, buckets...))
	return endpoint
}

// Env isolates the AWS SDK's credential chain and region from the
// machine: the signed identity's keys in the environment, no shared
// files, no instance metadata, no endpoint.
func Env(tb testing.TB) {
	set := func(k, v string) {
		if t, ok := tb.(interface{ Setenv(string, string) }); ok {
			t.Setenv(k, v)
		} else {
			tb.Fatalf("testserver: %T cannot set the environment", tb)
		}
	}
	set("AWS_ACCESS_KEY_ID", AccessKey)
	set("AWS_SECRET_ACCESS_KEY", SecretKey)
	set("AWS_SESSION_TOKEN", "")
	set("AWS_REGION", "us-east-1")
	set("AWS_PROFILE", "")
	set("AWS_CONFIG_FILE", filepath.Join(tb.TempDir(), "none"))
	set("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(tb.TempDir(), "none"))
	set("AWS_EC2_METADATA_DISABLED", "true")
	set("AWS_ENDPOINT_URL", "")
	set("AWS_ENDPOINT_URL_S3", "")
}

// createBuckets makes the buckets, waiting for the server to be ready.
func createBuckets(tb testing.TB, endpoint string, names []string) {
	tb.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
	deadline := time.Now().Add(90 * time.Second)
	for _, name := range names {
		for {
			_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("create bucket %s: %v", name, err)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
}
