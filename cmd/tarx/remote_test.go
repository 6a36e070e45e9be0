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

// serveDir serves dir on loopback with net/http and returns its URL.
func serveDir(t *testing.T, dir string) string {
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// statsLine matches what --stats prints.
var statsLine = regexp.MustCompile(`tarx: stats: (\S+): archive (\d+) bytes in (\d+) requests, index (\d+) bytes in (\d+) requests`)

func TestRemote_Commands(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	p, entries := smallArchive(t)
	base := serveDir(t, filepath.Dir(p))
	url := base + "/" + filepath.Base(p)
	secret := url + "?X-Amz-Signature=SECRET"

	r := runTarx(t, "ls", secret, "--stats")
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	if m := statsLine.FindStringSubmatch(r.stderr); m == nil || m[1] != url || strings.Contains(r.stderr, "SECRET") {
		t.Errorf("ls --stats: stderr %q", r.stderr)
	}
	checkListed(t, r, entries)

	name, want := uniqueMember(entries)
	if m := getWithStats(t, url, name, want); m[3] == "0" || m[4] != "0" {
		t.Errorf("get --stats (index cached, so none fetched): %q", m[0])
	}

	r = mustRun(t, "info", url)
	if !strings.Contains(r.stdout, "archive:           "+url) || !strings.Contains(r.stdout, "fetched:           archive ") {
		t.Errorf("info:\n%s", r.stdout)
	}

	dir := t.TempDir()
	mustRun(t, "extract", url, "-C", dir)
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("extracted %s: %v", name, err)
	}

	r = runTarx(t, "ls", base+"/missing.tar.gz?token=SECRET")
	checkOneLine(t, r, 1, base+"/missing.tar.gz: ", "not found", "HTTP 404")
	if strings.Contains(r.stderr, "SECRET") {
		t.Errorf("message shows the query: %q", r.stderr)
	}

	r = runTarx(t, "index", url, "--upload")
	checkOneLine(t, r, 2, "index: --upload needs an s3://")
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

	r := mustRun(t, "--endpoint-url", endpoint, "index", "s3://data/a.tar.gz", "--upload")
	if !strings.Contains(r.stdout, "index uploaded to s3://data/a.tar.gz.tarx") {
		t.Fatalf("index --upload: %q", r.stdout)
	}
	// A reader with an empty cache finds the uploaded index (AWS_ENDPOINT_URL
	// instead of the flag).
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	r = runTarx(t, "--stats", "get", "s3://data/a.tar.gz", name, "-O")
	if r.code != 0 || r.stdout != string(want) {
		t.Fatalf("get -O: %v", r)
	}
	if m := statsLine.FindStringSubmatch(r.stderr); m == nil || m[4] == "0" {
		t.Errorf("get did not fetch the uploaded index: %q", r.stderr)
	}
	t.Setenv("AWS_ENDPOINT_URL", "")

	// --region is taken (SeaweedFS serves requests signed for any region).
	r = mustRun(t, "--region", "eu-west-1", "--endpoint-url", endpoint, "cat", "s3://data/a.tar.gz", name)
	if r.stdout != string(want) {
		t.Fatalf("cat --region: %d bytes", len(r.stdout))
	}

	// Anonymous: the public bucket reads, the other is refused in one line.
	r = mustRun(t, "--no-sign-request", "--endpoint-url", endpoint, "cat", "s3://public/a.tar.gz", name)
	if r.stdout != string(want) {
		t.Fatalf("anonymous cat: %d bytes", len(r.stdout))
	}
	r = runTarx(t, "--no-sign-request", "--endpoint-url", endpoint, "ls", "s3://data/a.tar.gz")
	checkOneLine(t, r, 1, "s3://data/a.tar.gz: ", "access denied", "HTTP 403")

	// A plain tar object (a WebDataset shard) reads the same way.
	plain := bothCompressions(t, gz)[1].data
	if err := remote.Put(t.Context(), "s3://data/shard-000000.tar", bytes.NewReader(plain), int64(len(plain)), remote.Options{EndpointURL: endpoint}); err != nil {
		t.Fatal(err)
	}
	r = mustRun(t, "--endpoint-url", endpoint, "cat", "s3://data/shard-000000.tar", name)
	if r.stdout != string(want) {
		t.Fatalf("cat of a plain tar: %d bytes", len(r.stdout))
	}
	r = mustRun(t, "--endpoint-url", endpoint, "info", "--json", "s3://data/shard-000000.tar")
	if !strings.Contains(r.stdout, `"compression":"none"`) {
		t.Errorf("info --json of a plain tar: %s", r.stdout)
	}
}

// TestRemote_Plain reads a plain tar over HTTP with every command, and
// checks what it fetches: the build reads it once, a get a little more
// than the member.
func TestRemote_Plain(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	p, entries := smallArchive(t)
	gz, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	plain := bothCompressions(t, gz)[1].data
	shard := writeArchive(t, "shard-000000.tar", plain)
	url := serveDir(t, filepath.Dir(shard)) + "/shard-000000.tar"

	checkListed(t, mustRun(t, "ls", url), entries)
	name, want := uniqueMember(entries)
	m := getWithStats(t, url, name, want)
	// The member and its header, remote blocks and the reader's buffer.
	if fetched, _ := strconv.Atoi(m[2]); fetched < len(want) || fetched > len(want)+512+256<<10 {
		t.Errorf("get --stats of a %d-byte member: %q", len(want), m[0])
	}
	dir := t.TempDir()
	mustRun(t, "extract", url, "-C", dir)
	testarchive.CompareTrees(t, plain, referenceTree(t, shard), dir)
	r := mustRun(t, "verify", url)
	if !strings.Contains(r.stdout, "OK: ") || !strings.Contains(r.stdout, "(plain tar)") {
		t.Errorf("verify: %q", r.stdout)
	}
	r = mustRun(t, "info", url)
	if !strings.Contains(r.stdout, "compression:       none") {
		t.Errorf("info:\n%s", r.stdout)
	}
}

// checkListed checks that ls listed as many names as there are entries.
func checkListed(t *testing.T, r result, entries []testarchive.Entry) {
	t.Helper()
	if n := strings.Count(r.stdout, "\n"); n != len(entries) {
		t.Errorf("ls listed %d names, want %d", n, len(entries))
	}
}

// getWithStats runs tarx --stats get URL NAME -O, wants the member's
// contents, and returns what --stats printed, matched by statsLine.
func getWithStats(t *testing.T, url, name string, want []byte) []string {
	t.Helper()
	r := runTarx(t, "--stats", "get", url, name, "-O")
	if r.code != 0 || r.stdout != string(want) {
		t.Fatalf("get -O: %v, %d bytes", r, len(r.stdout))
	}
	m := statsLine.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("get --stats: stderr %q", r.stderr)
	}
	return m
}

// referenceTree extracts the archive at p with GNU tar and returns where.
func referenceTree(t *testing.T, p string) string {
	t.Helper()
	ref := filepath.Join(t.TempDir(), "ref")
	testarchive.GNUTarExtract(t, p, ref)
	return ref
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

// TestRemote_RememberedNginx runs the commands over nginx (strong ETags)
// the way a user does: the first ls builds and caches the index and
// remembers the archive's identity; get and extract then send their
// first ranges with the identity request (two requests for get: the
// identity and the member's span) and write what GNU tar writes; after
// the archive is replaced, get reads the new one, through a new index.
func TestRemote_RememberedNginx(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	www, base := testserver.Nginx(t)
	p, entries := smallArchive(t)
	gz, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(www, "r.tar.gz")
	if err := os.WriteFile(path, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	url := base + "/r.tar.gz"

	checkListed(t, mustRun(t, "ls", url), entries)
	if memos, _ := filepath.Glob(filepath.Join(cache, "tarx", "r-*.last")); len(memos) != 1 {
		t.Fatalf("memos %v, want one", memos)
	}
	name, want := uniqueMember(entries)
	if m := getWithStats(t, url, name, want); m[3] != "2" || m[5] != "0" {
		t.Errorf("get with a remembered identity: %q, want 2 archive requests and no index request", m[0])
	}
	dir := t.TempDir()
	mustRun(t, "extract", url, "-C", dir)
	testarchive.CompareTrees(t, gz, referenceTree(t, p), dir)

	entries2 := testarchive.Mixed(testarchive.MixedOptions{Seed: 5, SmallFiles: 10})
	gz2 := testarchive.Gzip(t, testarchive.Tar(t, entries2, tar.FormatPAX), testarchive.GoLevel6)
	if err := os.WriteFile(path+".new", gz2, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	name2, want2 := uniqueMember(entries2)
	getWithStats(t, url, name2, want2)
	if idx, _ := filepath.Glob(filepath.Join(cache, "tarx", "r-*.tarx")); len(idx) != 2 {
		t.Errorf("cached indexes %v, want the old and the new", idx)
	}
}
