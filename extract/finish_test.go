package extract

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestHardLinkOutside checks that hard links cannot reach outside the root.
func TestHardLinkOutside(t *testing.T) {
	_, secret, dir := escapeDirs(t)

	var warnings []string
	opts := defaultOpts()
	opts.Warn = func(msg string) { warnings = append(warnings, msg) }
	w := newWriter(t, dir, opts)
	wantMemberErr(t, writeEnt(w, hardlink("h1", "../outside/secret")), "h1", ErrUnsafePath)
	must(t, writeEnt(w, hardlink("h2", "/etc/passwd")))
	must(t, writeEnt(w, hardlink("h3", "esc/secret")))
	must(t, writeEnt(w, hardlink("h4", "nothing/here")))
	must(t, writeEnt(w, reg("ok", 0o644, "ok")))
	must(t, writeEnt(w, hardlink("h5", "ok")))
	errs := unjoinErrs(w.Close())
	if len(errs) != 3 {
		t.Fatalf("Close: %d errors, want 3: %v", len(errs), errs)
	}
	wantMemberErr(t, errs[0], "h2", fs.ErrNotExist)
	wantMemberErr(t, errs[1], "h3", ErrUnsafePath)
	wantMemberErr(t, errs[2], "h4", fs.ErrNotExist)
	if want := []string{"Removing leading `/' from hard link targets"}; !slices.Equal(warnings, want) {
		t.Errorf("warnings %q, want %q", warnings, want)
	}
	var st unix.Stat_t
	must(t, unix.Stat(secret, &st))
	if st.Nlink != 1 {
		t.Errorf("outside file has %d links", st.Nlink)
	}
	for _, n := range []string{"h1", "h2", "h3", "h4"} {
		if _, err := os.Lstat(filepath.Join(dir, n)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s exists: %v", n, err)
		}
	}
	if got := readFile(t, filepath.Join(dir, "h5")); got != "ok" {
		t.Errorf("h5 = %q", got)
	}
}

// TestAbort checks that Abort removes files not completed and keeps the rest.
func TestAbort(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, defaultOpts())
	must(t, err)
	must(t, writeEnt(w, reg("complete", 0o644, "complete")))
	hdr := &tar.Header{Name: "partial", Typeflag: tar.TypeReg, Mode: 0o644, Size: 12, ModTime: mt1}
	f, err := w.CreateFile(hdr, 3)
	must(t, err)
	for i := range 3 {
		_, err := f.WriteAt([]byte("abcd"), int64(4*i))
		must(t, err)
	}
	must(t, f.Done())
	must(t, f.Done())

	// A WriteEntry in progress, blocked reading its data.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- w.WriteEntry(&tar.Header{Name: "streaming", Typeflag: tar.TypeReg, Size: 1 << 20}, pr)
	}()
	if _, err := pw.Write(bytes.Repeat([]byte("s"), 100<<10)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Lstat(filepath.Join(dir, "streaming")); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}

	w.Abort()
	// More data: the Writer finds its file closed (it may stop reading).
	go func() {
		pw.Write(bytes.Repeat([]byte("s"), 200<<10))
		pw.CloseWithError(errors.New("interrupted"))
	}()
	if err := <-done; err == nil {
		t.Error("WriteEntry in progress during Abort succeeded")
	}
	pr.CloseWithError(errors.New("test over"))
	if err := f.Done(); err == nil {
		t.Error("Done after Abort succeeded")
	}
	wantMemberErr(t, writeEnt(w, reg("late", 0o644, "x")), "late", ErrClosed)
	if _, err := w.CreateFile(hdr, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("CreateFile after Abort: %v", err)
	}
	must(t, w.Close())
	w.Abort()

	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"complete"}) {
		t.Errorf("left after Abort: %q, want [complete]", names)
	}
}

// TestCloseIncomplete checks that Close removes and reports files whose
// pieces are not all done, and that Discard removes a file.
func TestCloseIncomplete(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, dir, defaultOpts())
	f, err := w.CreateFile(&tar.Header{Name: "half", Typeflag: tar.TypeReg, Size: 2}, 2)
	must(t, err)
	_, err = f.WriteAt([]byte("a"), 0)
	must(t, err)
	must(t, f.Done())
	g, err := w.CreateFile(&tar.Header{Name: "discarded", Typeflag: tar.TypeReg, Size: 2}, 1)
	must(t, err)
	_, err = g.WriteAt([]byte("ab"), 0)
	must(t, err)
	g.Discard()
	must(t, g.Done())
	e, err := w.CreateFile(&tar.Header{Name: "empty", Typeflag: tar.TypeReg, Mode: 0o640, ModTime: mt1}, 0)
	must(t, err)
	if e.Skipped() {
		t.Error("empty file skipped")
	}
	errs := unjoinErrs(w.Close())
	if len(errs) != 1 {
		t.Fatalf("Close: %v, want one error", errs)
	}
	wantMemberErr(t, errs[0], "half", ErrIncomplete)
	for name, want := range map[string]bool{"half": false, "discarded": false, "empty": true} {
		if _, err := os.Lstat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", name, err == nil, want)
		}
	}
}
