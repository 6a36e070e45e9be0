package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

func TestMain(m *testing.M) {
	// Go reads TZ once, the first time it needs the local time zone, so
	// t.Setenv("TZ", ...) in a test would come too late for tarx's own
	// listing. Set it before anything runs; the tests set it again for
	// the tar they run.
	os.Setenv("TZ", "UTC")
	os.Exit(m.Run())
}

// tarx runs a tarx command line in-process.
func tarx(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"tarx"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

// smallArchive writes a small tar.gz into a new directory and returns its
// path and entries.
func smallArchive(t *testing.T) (string, []testarchive.Entry) {
	t.Helper()
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 4, SmallFiles: 10})
	p := filepath.Join(t.TempDir(), "small.tar.gz")
	gz := testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel6)
	if err := os.WriteFile(p, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, entries
}

// checkOneError checks that stderr is one line, "tarx: " and a message
// that contains each of want.
func checkOneError(t *testing.T, stderr string, want ...string) {
	t.Helper()
	if !strings.HasPrefix(stderr, "tarx: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr %q: want one line starting with \"tarx: \"", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not contain %q", stderr, w)
		}
	}
}

func TestRun_UsageErrors(t *testing.T) {
	p, _ := smallArchive(t)
	tests := [][]string{
		{},
		{"get"},
		{"ls"},
		{"info"},
		{"frobnicate"},
		{"frobnicate", "ARCHIVE"},
		{"ls", "--frobnicate", "ARCHIVE"},
		{"ls", "ARCHIVE", "--frobnicate"},
		{"--frobnicate", "ls", "ARCHIVE"},
		{"ls", "-Z", "ARCHIVE"},
		{"index", "--span", "lots", "ARCHIVE"},
		{"index", "ARCHIVE", "ARCHIVE"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			stdout, stderr, code := tarx(t, substitute(args, "ARCHIVE", p)...)
			if code != 2 {
				t.Errorf("exit status %d, want 2; stdout %q, stderr %q", code, stdout, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "tarx: ") || lines[1] != "Try 'tarx --help' for more information." {
				t.Errorf("stderr %q: want the error and the hint to try --help", stderr)
			}
		})
	}
	// A usage error does not touch the archive.
	if _, err := os.Stat(p + ".tarx"); err == nil {
		t.Error("a usage error built an index")
	}
}

func TestRun_VersionAndHelp(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-v"}, {"--help"}, {"ls", "--help"}, {"ls", "-h"}} {
		stdout, stderr, code := tarx(t, args...)
		if code != 0 || stdout == "" {
			t.Errorf("tarx %s: exit status %d, stdout %q, stderr %q", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	stdout, _, _ := tarx(t, "--version")
	if !strings.HasPrefix(stdout, "tarx version ") || !strings.Contains(stdout, toolVersion()) {
		t.Errorf("--version prints %q", stdout)
	}
}

// TestRun_Errors checks that failures exit with status 1 and one line on
// stderr naming the file, and leave no index behind.
func TestRun_Errors(t *testing.T) {
	dir := t.TempDir()
	notGzip := filepath.Join(dir, "not-gzip.tar.gz")
	if err := os.WriteFile(notGzip, []byte("this is not a gzip file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plainTar := filepath.Join(dir, "plain.tar")
	if err := os.WriteFile(plainTar, testarchive.Tar(t, testarchive.Mixed(testarchive.MixedOptions{Seed: 1}), tar.FormatPAX), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.tar.gz")
	gz := testarchive.Gzip(t, testarchive.Tar(t, testarchive.Mixed(testarchive.MixedOptions{Seed: 1, SmallFiles: 20}), tar.FormatPAX), testarchive.GoLevel6)
	if err := os.WriteFile(truncated, gz[:len(gz)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	notTar := filepath.Join(dir, "not-tar.gz")
	if err := os.WriteFile(notTar, testarchive.Gzip(t, bytes.Repeat([]byte("not a tar header "), 100), testarchive.GoLevel6), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		file string
	}{
		{[]string{"ls", "DIR/not-gzip.tar.gz"}, notGzip},
		{[]string{"ls", "-l", "DIR/plain.tar"}, plainTar},
		{[]string{"info", "DIR/not-gzip.tar.gz"}, notGzip},
		{[]string{"ls", "DIR/truncated.tar.gz"}, truncated},
		{[]string{"ls", "DIR/not-tar.gz"}, notTar},
		{[]string{"ls", "DIR/missing.tar.gz"}, filepath.Join(dir, "missing.tar.gz")},
		{[]string{"ls", "DIR"}, dir},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.Replace(a, "DIR", dir, 1)
			}
			stdout, stderr, code := tarx(t, args...)
			if code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			// A damaged archive lists the members before the damage
			// (as tar -t does); the others list nothing.
			if stdout != "" && tt.file != truncated {
				t.Errorf("stdout %q", stdout)
			}
			checkOneError(t, stderr, tt.file)
		})
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if strings.Contains(de.Name(), ".tarx") {
			t.Errorf("%s left behind", de.Name())
		}
	}
}

func TestInfo(t *testing.T) {
	p, entries := smallArchive(t)
	stdout, stderr, code := tarx(t, "info", p)
	if code != 0 || stderr != "" {
		t.Fatalf("tarx info: exit status %d, stderr %q", code, stderr)
	}
	want := map[string]string{
		"archive":     p,
		"index":       p + ".tarx",
		"tar members": strconv.Itoa(len(entries)),
	}
	got := make(map[string]string)
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Errorf("line %q is not KEY: VALUE", line)
			continue
		}
		got[k] = strings.TrimSpace(v)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q\n%s", k, got[k], v, stdout)
		}
	}

	stdout, _, code = tarx(t, "info", "--json", p)
	var info struct {
		Archive   string `json:"archive"`
		Index     string `json:"index"`
		IndexSize int64  `json:"index_size"`
		Members   int64  `json:"members"`
	}
	if err := json.Unmarshal([]byte(stdout), &info); err != nil || code != 0 {
		t.Fatalf("tarx info --json: %v, exit status %d: %q", err, code, stdout)
	}
	if info.Archive != p || info.Index != p+".tarx" || info.Members != int64(len(entries)) || info.IndexSize <= 0 {
		t.Errorf("tarx info --json: %+v", info)
	}

	// --index puts the index elsewhere, before or after the command.
	other := filepath.Join(t.TempDir(), "elsewhere.idx")
	stdout, stderr, code = tarx(t, "--index", other, "info", p)
	if code != 0 || !strings.Contains(stdout, "index:             "+other+"\n") {
		t.Errorf("tarx --index %s info: exit status %d, stdout %q, stderr %q", other, code, stdout, stderr)
	}
	if _, err := os.Stat(other); err != nil {
		t.Error(err)
	}
}

// substitute returns args with every old replaced by new.
func substitute(args []string, old, new string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == old {
			a = new
		}
		out[i] = a
	}
	return out
}
