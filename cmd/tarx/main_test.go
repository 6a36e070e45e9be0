package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

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
			checkOneLine(t, runTarx(t, substitute(args, "ARCHIVE", p)...), 2, "")
		})
	}
	// A usage error does not touch the archive.
	if _, err := os.Stat(p + ".tarx"); err == nil {
		t.Error("a usage error built an index")
	}
}

func TestRun_VersionAndHelp(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-v"}, {"--help"}, {"ls", "--help"}, {"ls", "-h"}} {
		if r := runTarx(t, args...); r.code != 0 || r.stdout == "" {
			t.Errorf("%v, stdout %q", r, r.stdout)
		}
	}
	stdout := runTarx(t, "--version").stdout
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
	// A plain tar whose third header block is overwritten.
	badPlain := filepath.Join(dir, "bad-plain.tar")
	plain := testarchive.Tar(t, testarchive.Mixed(testarchive.MixedOptions{Seed: 1}), tar.FormatPAX)
	copy(plain[3*512:4*512], bytes.Repeat([]byte{'x'}, 512))
	if err := os.WriteFile(badPlain, plain, 0o644); err != nil {
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
		{[]string{"ls", "-l", "DIR/bad-plain.tar"}, badPlain},
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
			r := runTarx(t, args...)
			// A damaged archive lists the members before the damage
			// (as tar -t does); the others list nothing.
			if r.stdout != "" && tt.file != truncated && tt.file != badPlain {
				t.Errorf("stdout %q", r.stdout)
			}
			checkOneLine(t, r, 1, "", tt.file)
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
	stdout := mustRun(t, "info", p).stdout
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

	stdout = mustRun(t, "info", "--json", p).stdout
	var info struct {
		Archive   string `json:"archive"`
		Index     string `json:"index"`
		IndexSize int64  `json:"index_size"`
		Members   int64  `json:"members"`
	}
	if err := json.Unmarshal([]byte(stdout), &info); err != nil {
		t.Fatalf("tarx info --json: %v: %q", err, stdout)
	}
	if info.Archive != p || info.Index != p+".tarx" || info.Members != int64(len(entries)) || info.IndexSize <= 0 {
		t.Errorf("tarx info --json: %+v", info)
	}

	// --index puts the index elsewhere, before or after the command.
	other := filepath.Join(t.TempDir(), "elsewhere.idx")
	if r := runTarx(t, "--index", other, "info", p); r.code != 0 || !strings.Contains(r.stdout, "index:             "+other+"\n") {
		t.Errorf("%v, stdout %q", r, r.stdout)
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
