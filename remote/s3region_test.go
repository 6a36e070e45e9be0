package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testserver"
)

// regionalS3 is a loopback server that answers like S3 for one bucket in
// one region: a request to another region's endpoint gets 301
// PermanentRedirect, one signed for another region 400
// AuthorizationHeaderMalformed, and HeadBucket names the bucket's region
// in X-Amz-Bucket-Region whatever else it answers. It takes virtual-hosted
// requests for BUCKET.s3.REGION.amazonaws.com (a client whose connections
// are all dialled to it) and path-style ones (an endpoint override).
type regionalS3 struct {
	*httptest.Server
	bucket, region string
	// regionOn400 also names the region on a 400 for a wrong signature
	// (real S3 sometimes does; without it only HeadBucket tells).
	regionOn400 bool
	// claim, if set, is what X-Amz-Bucket-Region says instead of region.
	claim string

	mu      sync.Mutex
	objects map[string][]byte
	log     []s3Call
}

// s3Call is one request as the server saw it.
type s3Call struct {
	method, key      string
	hostRegion, sign string // "" if not in the host / not signed
	status           int
}

func newRegionalS3(t *testing.T, bucket, region string) *regionalS3 {
	s := &regionalS3{bucket: bucket, region: region, objects: map[string][]byte{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// transport dials every host to the server, trusting its certificate
// (issued for example.com).
func (s *regionalS3) transport(t *testing.T) http.RoundTripper {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	addr := s.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func (s *regionalS3) calls() []s3Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]s3Call(nil), s.log...)
}

func (s *regionalS3) serve(w http.ResponseWriter, r *http.Request) {
	c := s3Call{method: r.Method}
	bucket, key := "", strings.TrimPrefix(r.URL.Path, "/")
	if host, ok := strings.CutSuffix(r.Host, ".amazonaws.com"); ok {
		// BUCKET.s3.REGION or BUCKET.s3 (the global endpoint, us-east-1).
		parts := strings.Split(host, ".")
		bucket, c.hostRegion = parts[0], "us-east-1"
		if len(parts) > 2 {
			c.hostRegion = parts[2]
		}
	} else {
		bucket, key, _ = strings.Cut(key, "/")
	}
	c.key = key
	if auth := r.Header.Get("Authorization"); auth != "" {
		// AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/s3/aws4_request, ...
		if _, cred, ok := strings.Cut(auth, "Credential="); ok {
			if f := strings.Split(cred, "/"); len(f) > 2 {
				c.sign = f[2]
			}
		}
	}
	c.status = s.answer(w, r, bucket, key, c)
	s.mu.Lock()
	s.log = append(s.log, c)
	s.mu.Unlock()
}

func (s *regionalS3) answer(w http.ResponseWriter, r *http.Request, bucket, key string, c s3Call) int {
	fail := func(status int, code, extra string) int {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message>%s</Error>`, code, code, extra)
		}
		return status
	}
	claim := s.region
	if s.claim != "" {
		claim = s.claim
	}
	if bucket != s.bucket {
		return fail(http.StatusNotFound, "NoSuchBucket", "")
	}
	if key == "" { // HeadBucket
		w.Header().Set(bucketRegionHeader, claim)
	}
	switch {
	case c.hostRegion != "" && c.hostRegion != s.region:
		w.Header().Set(bucketRegionHeader, claim)
		return fail(http.StatusMovedPermanently, "PermanentRedirect",
			"<Endpoint>"+s.bucket+".s3."+claim+".amazonaws.com</Endpoint>")
	case c.sign != "" && c.sign != s.region:
		if s.regionOn400 {
			w.Header().Set(bucketRegionHeader, claim)
		}
		return fail(http.StatusBadRequest, "AuthorizationHeaderMalformed", "<Region>"+claim+"</Region>")
	case key == "":
		w.WriteHeader(http.StatusOK)
		return http.StatusOK
	}
	s.mu.Lock()
	data, ok := s.objects[key]
	if r.Method == http.MethodPut {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			s.mu.Unlock()
			return fail(http.StatusBadRequest, "IncompleteBody", "")
		}
		s.objects[key] = b
		s.mu.Unlock()
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, len(b)))
		return http.StatusOK
	}
	s.mu.Unlock()
	if !ok {
		return fail(http.StatusNotFound, "NoSuchKey", "")
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, len(data)))
	w.Header().Set("Accept-Ranges", "bytes")
	http.ServeContent(w, r, key, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), bytes.NewReader(data))
	return http.StatusOK // or 206: ServeContent chose
}

func TestS3_RegionDiscovery(t *testing.T) {
	const bucketRegion = "eu-west-1"
	data := randomBytes(300_000, 40)
	tests := []struct {
		name        string
		endpoint    bool   // path-style, through an endpoint override
		anonymous   bool   // --no-sign-request
		envRegion   string // AWS_REGION
		region      string // Options.Region
		regionOn400 bool
		claim       string // the region the server names, if not the bucket's
		// before is the requests before the first ranged GET; wantErr a
		// part of the error, if Open must fail.
		before  int
		wantErr string
	}{
		{name: "right region", envRegion: bucketRegion, before: 1},
		{name: "anonymous, wrong region in the environment: 301", anonymous: true, envRegion: "us-east-1", before: 2},
		{name: "signed, no region anywhere: 301 to the default", before: 2},
		{name: "endpoint, signed for another region: 400, then HeadBucket", endpoint: true, envRegion: "us-east-1", before: 3},
		{name: "endpoint, 400 naming the region", endpoint: true, envRegion: "ap-south-1", regionOn400: true, before: 2},
		{name: "region given: not moved, region named", region: "us-west-2",
			wantErr: "bucket tarx-data is in region eu-west-1, not us-west-2"},
		{name: "a region that is no region is not followed", envRegion: "us-east-1", claim: "evil.example.com/x",
			wantErr: "HTTP 301"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testserver.Env(t)
			t.Setenv("AWS_REGION", tc.envRegion)
			t.Setenv("AWS_DEFAULT_REGION", "")
			srv := newRegionalS3(t, "tarx-data", bucketRegion)
			srv.regionOn400, srv.claim = tc.regionOn400, tc.claim
			srv.objects["dir/a.tar.gz"] = data
			opts := fast()
			opts.StallTimeout = time.Minute // no retry on a loaded machine: count the requests
			opts.BlockSize = 64 << 10
			opts.Transport = srv.transport(t)
			opts.NoSignRequest = tc.anonymous
			opts.Region = tc.region
			if tc.endpoint {
				opts.EndpointURL = "https://example.com"
			}
			o, err := Open(t.Context(), "s3://tarx-data/dir/a.tar.gz", opts)
			if tc.wantErr != "" {
				if err == nil {
					o.Close()
					t.Fatal("Open succeeded")
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %q, want it to contain %q", err, tc.wantErr)
				}
				t.Logf("error: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			if got := readAll(t, o, 50_000); !bytes.Equal(got, data) {
				t.Fatal("bytes differ")
			}
			calls := srv.calls()
			first := -1
			for i, c := range calls {
				if c.method == http.MethodGet {
					if first < 0 {
						first = i
					}
					if c.status != http.StatusOK || (!tc.anonymous && c.sign != bucketRegion) ||
						(!tc.endpoint && c.hostRegion != bucketRegion) {
						t.Errorf("GET %d: %+v, want it sent to and signed for %s", i, c, bucketRegion)
					}
				}
			}
			if first != tc.before {
				t.Errorf("%d requests before the first GET, want %d: %+v", first, tc.before, calls)
			}
			// Under load one request can be counted by Stats and not reach
			// the handler (the transport sends it again on a new connection
			// when a kept-alive one was closed under it).
			if st := o.Stats(); st.Requests < int64(len(calls)) || st.Requests > int64(len(calls))+1 {
				t.Errorf("Stats counts %d requests, the server saw %d", st.Requests, len(calls))
			}
		})
	}
}

func TestS3_RegionDiscoveryPut(t *testing.T) {
	testserver.Env(t)
	t.Setenv("AWS_REGION", "us-east-1")
	srv := newRegionalS3(t, "tarx-data", "ap-northeast-1")
	opts := fast()
	opts.Transport = srv.transport(t)
	idx := randomBytes(20_000, 41)
	if err := Put(t.Context(), "s3://tarx-data/a.tar.gz.tarx", bytes.NewReader(idx), int64(len(idx)), opts); err != nil {
		t.Fatal(err)
	}
	if got := srv.objects["a.tar.gz.tarx"]; !bytes.Equal(got, idx) {
		t.Fatalf("stored %d bytes, want the %d sent", len(got), len(idx))
	}
	opts.Region = "us-east-1"
	err := Put(t.Context(), "s3://tarx-data/b.tarx", bytes.NewReader(idx), int64(len(idx)), opts)
	if err == nil || !strings.Contains(err.Error(), "in region ap-northeast-1") {
		t.Fatalf("put with a fixed wrong region: %v", err)
	}
	if errors.Is(err, ErrDenied) || errors.Is(err, ErrNotFound) {
		t.Fatalf("put with a fixed wrong region: %v, not a redirect", err)
	}
}
