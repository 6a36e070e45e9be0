package tarfmt

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// reading is what tarx makes of a tar stream, in GNU tar's terms: the
// names tar -t lists, the bytes tar -xO writes and the warnings it gives.
type reading struct {
	names    []string
	out      []byte
	warnings []string
	err      error // tarx would fail
}

// read reads a stream with Reader as tarx's get -O does: the contents of
// the members extracted as regular files, GNU tar's notice for unknown
// types, failure on a continued file. (tarx's get -O of a hard link
// writes its target's contents, where GNU tar writes nothing: hard links
// are left out here as GNU tar leaves them out.)
func read(b []byte) reading {
	var rd reading
	r := NewReader(bytes.NewReader(b), Options{Warn: func(m string) { rd.warnings = append(rd.warnings, m) }})
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			rd.err = err
			break
		}
		h := &e.Header
		rd.names = append(rd.names, h.Name)
		data, err := io.ReadAll(r)
		if err != nil {
			rd.err = err
			break
		}
		if int64(len(data)) != h.Size && Regular(h.Typeflag) {
			rd.err = errors.New("short contents")
			break
		}
		switch t := h.Typeflag; {
		case t == TypeMultiVolume:
			rd.err = errors.New(MultiVolumeError)
		case !Regular(t):
		default:
			if !Known(t) {
				rd.warnings = append(rd.warnings, UnknownNotice(h.Name, t))
			}
			rd.out = append(rd.out, data...)
		}
		if rd.err != nil {
			break
		}
	}
	slices.Sort(rd.warnings)
	return rd
}

// gnuRead is what GNU tar makes of the stream: tar -tf and tar -xOf.
type gnuReading struct {
	reading
	listing string // tar -t's output
	ok      bool
}

// haveGNUTar reports whether GNU tar is installed as tar.
func haveGNUTar() bool {
	out, err := exec.Command("tar", "--version").Output()
	return err == nil && bytes.Contains(out, []byte("GNU tar"))
}

func gnuRead(tb testing.TB, b []byte) gnuReading {
	tb.Helper()
	// tarx reads tar.gz archives: ask GNU tar about the same, with -z
	// (it reads an empty stream through gzip, not an empty file).
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write(b)
	zw.Close()
	p := filepath.Join(tb.TempDir(), "a.tar.gz")
	if err := os.WriteFile(p, gz.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	run := func(args ...string) (stdout []byte, stderr string, ok bool) {
		cmd := exec.Command("tar", args...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		if err != nil {
			if _, isExit := err.(*exec.ExitError); !isExit {
				tb.Fatalf("tar %v: %v", args, err)
			}
		}
		return o.Bytes(), e.String(), err == nil
	}
	list, _, okList := run("-tzf", p)
	out, stderr, okOut := run("-xOzf", p)
	g := gnuReading{listing: string(list), ok: okList && okOut}
	g.out = out
	for l := range strings.Lines(stderr) {
		g.warnings = append(g.warnings, strings.TrimSuffix(strings.TrimPrefix(l, "tar: "), "\n"))
	}
	slices.Sort(g.warnings)
	return g
}

// plainNames reports whether tar -t prints the names as they are.
func plainNames(names []string) bool {
	for _, n := range names {
		for i := 0; i < len(n); i++ {
			if c := n[i]; c < 0x20 || c >= 0x7f || c == '\\' {
				return false
			}
		}
	}
	return true
}

// compareGNU fails the test if tarx would succeed on b with another
// answer than GNU tar's.
func compareGNU(t *testing.T, b []byte) (ours reading, gnu gnuReading) {
	t.Helper()
	ours = read(b)
	if ours.err != nil {
		return // tarx fails: allowed, whatever GNU tar does
	}
	if slices.Contains(ours.names, "") {
		// GNU tar substitutes "." with a warning; tarx's name rules
		// (internal/tarname) decide for empty names: not compared here.
		return
	}
	gnu = gnuRead(t, b)
	if !gnu.ok {
		t.Fatalf("tarx reads the stream, GNU tar fails: %q", gnu.warnings)
	}
	if plainNames(ours.names) {
		var listing string
		for _, n := range ours.names {
			listing += n + "\n"
		}
		if listing != gnu.listing {
			t.Errorf("names:\n%s\nGNU tar -t:\n%s", listing, gnu.listing)
		}
	}
	if !bytes.Equal(ours.out, gnu.out) {
		t.Errorf("contents %q\nGNU tar -xO: %q", trunc(ours.out), trunc(gnu.out))
	}
	if !slices.Equal(ours.warnings, gnu.warnings) {
		t.Errorf("warnings %q\nGNU tar: %q", ours.warnings, gnu.warnings)
	}
	return ours, gnu
}

func trunc(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}
