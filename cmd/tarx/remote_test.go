package main

import (
	"archive/tar"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
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

	var name string
	var want []byte
	seen := map[string]int{}
	for _, e := range entries {
		seen[e.Header.Name]++
	}
	for _, e := range entries {
		if e.Header.Typeflag == tar.TypeReg && len(e.Data) > 0 && seen[e.Header.Name] == 1 {
			name, want = e.Header.Name, e.Data
		}
	}
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
