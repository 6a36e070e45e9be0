package remote

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Credentials of the signed identity configured in the test server.
const (
	testAccessKey = "TARXTESTACCESSKEY"
	testSecretKey = "tarx-test-secret-key-0123456789"
)

// weedBinary finds SeaweedFS's weed: $TARX_WEED, the newest binary that
// scripts/seaweedfs.sh cached, or weed on PATH.
func weedBinary() string {
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

// startWeed starts `weed server` with S3 on loopback ports, with an
// anonymous identity that may read bucket "public" and a signed one that
// may do anything, and returns the S3 endpoint.
func startWeed(t *testing.T) string {
	t.Helper()
	bin := weedBinary()
	if bin == "" {
		t.Skip("SeaweedFS weed not found: run scripts/seaweedfs.sh (.ci/run does) or set TARX_WEED")
	}
	dir := t.TempDir()
	cfg := map[string]any{"identities": []any{
		map[string]any{"name": "anonymous", "actions": []string{"Read:public"}},
		map[string]any{
			"name":        "tarx",
			"credentials": []any{map[string]string{"accessKey": testAccessKey, "secretKey": testSecretKey}},
			"actions":     []string{"Admin", "Read", "List", "Tagging", "Write"},
		},
	}}
	b, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(dir, "s3.json")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	p := make([]int, 7)
	for i := range p {
		p[i] = freePort(t)
	}
	cmd := exec.Command(bin, "server",
		"-dir="+data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		fmt.Sprintf("-master.port=%d", p[0]), fmt.Sprintf("-master.port.grpc=%d", p[1]),
		fmt.Sprintf("-volume.port=%d", p[2]), fmt.Sprintf("-volume.port.grpc=%d", p[3]),
		fmt.Sprintf("-filer.port=%d", p[4]), fmt.Sprintf("-filer.port.grpc=%d", p[5]),
		"-s3", fmt.Sprintf("-s3.port=%d", p[6]), "-s3.port.iceberg=0", "-s3.port.lance=0",
		"-s3.config="+cfgPath, "-master.telemetry=false",
		"-master.volumeSizeLimitMB=64", "-volume.max=4",
		"-filer.localSocket="+filepath.Join(dir, "filer.sock"),
		"-s3.localSocket="+filepath.Join(dir, "s3.sock"),
	)
	logf, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start weed: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil && len(b) > 0 {
				t.Logf("weed log (tail):\n%s", b[max(0, len(b)-4000):])
			}
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", p[6])
	waitPort(t, addr, 60*time.Second, exited)
	return "http://" + addr
}

// s3Env isolates the SDK's credential chain and region from the machine:
// the signed identity's keys in the environment, no shared files, no
// instance metadata.
func s3Env(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", testAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
}

// createBuckets makes the buckets, waiting for the server to be ready.
func createBuckets(t *testing.T, endpoint string, names ...string) {
	t.Helper()
	opts := Options{EndpointURL: endpoint}
	client, _, err := newS3Client(t.Context(), &opts, &counters{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		deadline := time.Now().Add(60 * time.Second)
		for {
			_, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: &name})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("create bucket %s: %v", name, err)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
}

// put uploads data, retrying while the server finishes starting.
func put(t *testing.T, location string, data []byte, opts Options) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := Put(t.Context(), location, bytes.NewReader(data), int64(len(data)), opts)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("put %s: %v", location, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func TestS3_SeaweedFS(t *testing.T) {
	endpoint := startWeed(t)
	s3Env(t)
	createBuckets(t, endpoint, "public", "private")
	signed := fast()
	signed.EndpointURL = endpoint
	signed.BlockSize = 64 << 10
	signed.CacheSize = 1 << 20
	anon := signed
	anon.NoSignRequest = true

	data := randomBytes(700_000, 30)
	put(t, "s3://public/dir/a.tar.gz", data, signed)
	put(t, "s3://private/a.tar.gz", data, signed)

	t.Run("HeadObject identity", func(t *testing.T) {
		o := mustOpen(t, "s3://private/a.tar.gz", signed)
		id := o.Identity()
		if id.Name != "s3://private/a.tar.gz" || id.Size != int64(len(data)) || id.ETag == "" || id.LastModified.IsZero() {
			t.Fatalf("identity %+v", id)
		}
	})
	t.Run("signed ranged reads", func(t *testing.T) {
		o := mustOpen(t, "s3://private/a.tar.gz", signed)
		if got := readAll(t, o, 50_000); !bytes.Equal(got, data) {
			t.Fatal("bytes differ")
		}
		if st := o.Stats(); st.BytesFetched != int64(len(data)) {
			t.Errorf("fetched %d bytes for %d", st.BytesFetched, len(data))
		}
	})
	t.Run("AWS_ENDPOINT_URL", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL", endpoint)
		opts := fast()
		o := mustOpen(t, "s3://private/a.tar.gz", opts)
		buf := make([]byte, 1000)
		if _, err := o.ReadAt(buf, 600_000); err != nil || !bytes.Equal(buf, data[600_000:601_000]) {
			t.Fatalf("ReadAt: %v", err)
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		o := mustOpen(t, "s3://public/dir/a.tar.gz", anon)
		if got := readAll(t, o, 100_000); !bytes.Equal(got, data) {
			t.Fatal("bytes differ")
		}
		_, err := Open(t.Context(), "s3://private/a.tar.gz", anon)
		if !errors.Is(err, ErrDenied) {
			t.Fatalf("anonymous read of a private bucket: %v, want ErrDenied", err)
		}
		t.Logf("denied: %v", err)
	})
	t.Run("wrong secret", func(t *testing.T) {
		t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
		_, err := Open(t.Context(), "s3://private/a.tar.gz", signed)
		if !errors.Is(err, ErrDenied) {
			t.Fatalf("%v, want ErrDenied", err)
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := Open(t.Context(), "s3://private/missing.tar.gz", signed)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("%v, want ErrNotFound", err)
		}
		t.Logf("missing: %v", err)
	})
	t.Run("replaced: IfMatch fails", func(t *testing.T) {
		put(t, "s3://private/b.tar.gz", data, signed)
		opts := signed
		opts.ReadAhead = -1
		o := mustOpen(t, "s3://private/b.tar.gz", opts)
		buf := make([]byte, 1000)
		if _, err := o.ReadAt(buf, 0); err != nil || !bytes.Equal(buf, data[:1000]) {
			t.Fatalf("ReadAt: %v", err)
		}
		put(t, "s3://private/b.tar.gz", randomBytes(len(data), 31), signed)
		if _, err := o.ReadAt(buf, 500_000); !errors.Is(err, ErrChanged) {
			t.Fatalf("read after replace: %v, want ErrChanged", err)
		}
	})
	t.Run("upload beside", func(t *testing.T) {
		idx := randomBytes(12345, 32)
		loc, _ := ParseLocation("s3://private/a.tar.gz")
		side := loc.WithSuffix(".tarx").String()
		put(t, side, idx, signed)
		o := mustOpen(t, side, signed)
		got, err := io.ReadAll(o.Stream(t.Context(), 0))
		if err != nil || !bytes.Equal(got, idx) {
			t.Fatalf("read back: %v", err)
		}
		if err := Put(t.Context(), "s3://public/x.tarx", bytes.NewReader(idx), int64(len(idx)), anon); !errors.Is(err, ErrDenied) {
			t.Fatalf("anonymous upload: %v, want ErrDenied", err)
		}
	})
}
