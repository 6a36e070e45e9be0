package main

import (
	"archive/tar"
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
	"github.com/tarx-dev/tarx/internal/testserver"
	"github.com/tarx-dev/tarx/remote"
)

// serveDir serves dir on loopback with net/http (ranges, ETag-less
// Last-Modified validation) and returns its URL.
func serveDir(t *testing.T, dir string) string {
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRemote_Commands(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	p, entries := smallArchive(t)
	base := serveDir(t, filepath.Dir(p))
	url := base + "/small.tar.gz"
	secret := url + "?X-Amz-Signature=SECRET"

	out, errs, code := tarx(t, "ls", secret, "--stats")
	if code != 0 {
		t.Fatalf("ls: %d %s", code, errs)
	}
	if strings.Contains(errs, "SECRET") || !strings.Contains(errs, "tarx: stats: "+url+": archive ") {
		t.Errorf("ls --stats stderr %q", errs)
	}
	if n := strings.Count(out, "\n"); n != len(entries) {
		t.Errorf("ls listed %d names, want %d", n, len(entries))
	}

	name, want := uniqueMember(entries)
	out, errs, code = tarx(t, "--stats", "get", url, name, "-O")
	if code != 0 || out != string(want) {
		t.Fatalf("get -O: %d %q, %d bytes", code, errs, len(out))
	}
	m := regexp.MustCompile(`archive (\d+) bytes in (\d+) requests, index 0 bytes`).FindStringSubmatch(errs)
	if m == nil {
		t.Fatalf("get --stats: %q", errs)
	}
	if n, _ := strconv.Atoi(m[2]); n < 1 {
		t.Errorf("get made %s requests", m[2])
	}

	out, _, code = tarx(t, "info", url)
	if code != 0 || !strings.Contains(out, "archive:           "+url) || !strings.Contains(out, "fetched:           archive ") {
		t.Errorf("info: %d\n%s", code, out)
	}

	dir := t.TempDir()
	if _, errs, code := tarx(t, "extract", url, "-C", dir); code != 0 {
		t.Fatalf("extract: %s", errs)
	}
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || string(got) != string(want) {
		t.Errorf("extracted %s: %v", name, err)
	}

	_, errs, code = tarx(t, "ls", base+"/missing.tar.gz?token=SECRET")
	if code != 1 {
		t.Errorf("ls of a missing URL: exit %d", code)
	}
	checkOneError(t, errs, "not found", "HTTP 404")
	if strings.Contains(errs, "SECRET") {
		t.Errorf("message shows the query: %q", errs)
	}

	_, errs, code = tarx(t, "index", url, "--upload")
	if code != 2 || !strings.Contains(errs, "--upload needs an s3://") {
		t.Errorf("index --upload of an http URL: %d %q", code, errs)
	}
}

func TestRemote_S3(t *testing.T) {
	endpoint := testserver.S3(t, "data")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	p, entries := smallArchive(t)
	gz, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range []string{"s3://data/a.tar.gz", "s3://" + testserver.PublicBucket + "/a.tar.gz"} {
		if err := remote.Put(t.Context(), loc, bytes.NewReader(gz), int64(len(gz)), remote.Options{EndpointURL: endpoint}); err != nil {
			t.Fatalf("put %s: %v", loc, err)
		}
	}
	name, want := uniqueMember(entries)

	out, errs, code := tarx(t, "--endpoint-url", endpoint, "index", "s3://data/a.tar.gz", "--upload")
	if code != 0 || !strings.Contains(out, "index uploaded to s3://data/a.tar.gz.tarx") {
		t.Fatalf("index --upload: %d %q %q", code, out, errs)
	}
	// A reader with an empty cache finds the uploaded index (AWS_ENDPOINT_URL
	// instead of the flag).
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	out, errs, code = tarx(t, "--stats", "get", "s3://data/a.tar.gz", name, "-O")
	if code != 0 || out != string(want) {
		t.Fatalf("get -O: %d %q", code, errs)
	}
	m := regexp.MustCompile(`index (\d+) bytes in (\d+) requests`).FindStringSubmatch(errs)
	if m == nil || m[1] == "0" {
		t.Errorf("get did not fetch the uploaded index: %q", errs)
	}
	t.Setenv("AWS_ENDPOINT_URL", "")

	// Anonymous: the public bucket reads, the other is refused in one line.
	out, errs, code = tarx(t, "--no-sign-request", "--endpoint-url", endpoint, "cat", "s3://public/a.tar.gz", name)
	if code != 0 || out != string(want) {
		t.Fatalf("anonymous cat: %d %q", code, errs)
	}
	_, errs, code = tarx(t, "--no-sign-request", "--endpoint-url", endpoint, "ls", "s3://data/a.tar.gz")
	if code != 1 {
		t.Errorf("anonymous ls of a private bucket: exit %d", code)
	}
	checkOneError(t, errs, "s3://data/a.tar.gz", "access denied", "HTTP 403")
}

// uniqueMember returns a regular member with contents whose name occurs once.
func uniqueMember(entries []testarchive.Entry) (string, []byte) {
	seen := map[string]int{}
	for _, e := range entries {
		seen[e.Header.Name]++
	}
	var name string
	var data []byte
	for _, e := range entries {
		if e.Header.Typeflag == tar.TypeReg && len(e.Data) > 0 && seen[e.Header.Name] == 1 {
			name, data = e.Header.Name, e.Data
		}
	}
	return name, data
}
