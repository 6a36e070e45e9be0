package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
	"golang.org/x/sys/unix"
)

// openPTY opens a new pseudo-terminal and returns its controlling side
// and its terminal side.
func openPTY(t *testing.T) (ctl, tty *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(ctl.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A wide terminal, so the bar's decorations fit.
	unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 160})
	return ctl, tty
}

// progressArchive returns a tar.gz that takes a while to extract, with a
// hard link to a missing file that fails while the bar is drawn.
func progressArchive(t *testing.T) string {
	var entries []testarchive.Entry
	for i := range 64 {
		entries = append(entries, testarchive.Entry{
			Header: tar.Header{Name: fmt.Sprintf("f%02d", i), Typeflag: tar.TypeReg, Mode: 0o644, ModTime: time.Unix(1e9, 0)},
			Data:   testarchive.Incompressible(int64(i), 1<<20),
		})
	}
	entries = append(entries, testarchive.Entry{Header: tar.Header{Name: "bad", Typeflag: tar.TypeLink, Linkname: "missing", ModTime: time.Unix(1e9, 0)}})
	gz := testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel0)
	return writeArchive(t, "big.tar.gz", gz)
}

// TestProgress_Terminal extracts on a pseudo-terminal, and wants the bar
// drawn and the error line about the bad member printed whole, on a line
// of its own; then with stderr a pipe, and with --no-progress on the
// terminal, and wants no bar.
func TestProgress_Terminal(t *testing.T) {
	a := progressArchive(t)
	exe := testarchive.TestBinary(t)
	errLine := "tarx: " + a + ": extract: bad: cannot hard link to missing: no such file or directory"
	for _, tc := range []struct {
		name     string
		terminal bool
		args     []string
		bar      bool
	}{
		{"cold", true, nil, true},
		{"indexed", true, nil, true},
		{"no-progress", true, []string{"--no-progress"}, false},
		{"pipe", false, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "indexed" {
				os.Remove(a + ".tarx")
			}
			ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
			defer cancel()
			args := append([]string{"extract", a, "-C", t.TempDir(), "-j", "1"}, tc.args...)
			cmd := tarxCommand(ctx, exe, args...)
			var out bytes.Buffer
			var copied chan struct{}
			if tc.terminal {
				ctl, tty := openPTY(t)
				defer ctl.Close()
				cmd.Stdout, cmd.Stderr = tty, tty
				copied = make(chan struct{})
				go func() { io.Copy(&out, ctl); close(copied) }()
				err := cmd.Run()
				tty.Close()
				// The terminal side is closed: reading ends with EIO once
				// everything written is read.
				<-copied
				if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 1 {
					t.Fatalf("tarx %s on a terminal: %v, want exit 1 (the bad link)\n%q", strings.Join(args, " "), err, out.String())
				}
			} else {
				r := execTarx(t, cmd)
				if r.code != 1 || r.stderr != errLine+"\n" {
					t.Fatalf("%v: want exit 1 and only the error line", r)
				}
				out.WriteString(r.stderr)
			}
			s := out.String()
			drawn := strings.Contains(s, "extracting") || strings.Contains(s, "indexing")
			if drawn != tc.bar {
				t.Errorf("bar drawn %v, want %v; output %q", drawn, tc.bar, s)
			}
			if tc.bar && !strings.Contains(s, "MiB") {
				t.Errorf("the bar shows no byte counts: %q", s)
			}
			// The error line is whole and on a line of its own: the bar
			// is redrawn after it, never inside it.
			i := strings.Index(s, errLine)
			if i < 0 {
				t.Fatalf("the error line is missing or garbled in %q", s)
			}
			if end := s[i+len(errLine):]; !strings.HasPrefix(end, "\r\n") && !strings.HasPrefix(end, "\n") {
				t.Errorf("the error line runs on into %q", end[:min(len(end), 40)])
			}
			if i > 0 && s[i-1] != '\n' && !strings.HasSuffix(s[:i], "\x1b[J") && !strings.HasSuffix(s[:i], "\x1b[K") {
				t.Errorf("the error line starts after %q", s[max(0, i-40):i])
			}
		})
	}
}
