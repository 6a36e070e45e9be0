package extract_test

// Acceptance tests of the extract package against GNU tar 1.34: the trees
// FromIndex and the Streamer leave must equal the trees "tar -xzf" leaves,
// in every detail a tree comparison can see.

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/extract"
	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// gxSpan is the checkpoint distance of the indexes built here: small, so
// that the test archives have many checkpoints and members are split.
const gxSpan = 64 << 10

// ---------------------------------------------------------------------------
// Tree comparison

// ---------------------------------------------------------------------------
// Archives and extraction helpers

// gxWriteArchive writes gz to a new file in a new temporary directory.
func gxWriteArchive(t *testing.T, gz []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "archive.tar.gz")
	if err := os.WriteFile(p, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// gxOpen builds (or opens) the index of the archive at p with gxSpan.
func gxOpen(t *testing.T, p string) *index.Archive {
	t.Helper()
	a, err := index.Open(context.Background(), p, index.Options{BuildOptions: index.BuildOptions{Span: gxSpan}})
	if err != nil {
		t.Fatalf("index.Open(%s): %v", p, err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// gxErrs collects the errors and warnings of an extraction.
type gxErrs struct {
	mu       sync.Mutex
	errs     []error
	warnings []string
}

func (e *gxErrs) report(err error) { e.mu.Lock(); e.errs = append(e.errs, err); e.mu.Unlock() }
func (e *gxErrs) warn(msg string)  { e.mu.Lock(); e.warnings = append(e.warnings, msg); e.mu.Unlock() }

func (e *gxErrs) options(dir string, jobs int) extract.Options {
	return extract.Options{
		Dir:    dir,
		Jobs:   jobs,
		Report: e.report,
		Writer: extract.WriterOptions{SameOwner: os.Geteuid() == 0, Warn: e.warn},
	}
}

// noErrors fails the test if anything was reported.
func (e *gxErrs) noErrors(t *testing.T) {
	t.Helper()
	for _, err := range e.errs {
		t.Errorf("reported: %v", err)
	}
}

// gxFromIndex extracts the whole archive a into dir with jobs workers and
// fails the test on any error.
func gxFromIndex(t *testing.T, a *index.Archive, dir string, jobs int) extract.Result {
	t.Helper()
	var e gxErrs
	res, err := extract.FromIndex(context.Background(), a, e.options(dir, jobs))
	if err != nil {
		t.Fatalf("FromIndex: %v", err)
	}
	e.noErrors(t)
	for _, w := range e.warnings {
		t.Errorf("warning: %s", w)
	}
	if res.Errors != 0 {
		t.Errorf("FromIndex: Result.Errors = %d", res.Errors)
	}
	return res
}

// gxStream extracts the gzip archive gz with a Streamer configured by opts,
// fed in archive order from one goroutine, as the no-index path does.
func gxStream(t *testing.T, ctx context.Context, gz []byte, opts extract.Options) (extract.Result, error) {
	t.Helper()
	s, err := extract.NewStreamer(ctx, opts)
	if err != nil {
		t.Fatalf("NewStreamer: %v", err)
	}
	tr := tar.NewReader(testarchive.Gunzip(t, gz))
	for seq := int64(0); ; seq++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the archive: %v", err)
		}
		if err := s.Member(seq, hdr, tr); err != nil {
			if ctx.Err() == nil {
				t.Errorf("Streamer.Member(%q): %v", hdr.Name, err)
			}
			break
		}
	}
	return s.Close()
}

// ---------------------------------------------------------------------------
// 1. FromIndex leaves the tree GNU tar leaves.

func TestFromIndexMatchesGNUTar(t *testing.T) {
	for _, tc := range testarchive.Corpus() {
		t.Run(tc.Name, func(t *testing.T) {
			gz := tc.Make(t)
			p := gxWriteArchive(t, gz)
			ref := filepath.Join(t.TempDir(), "ref")
			testarchive.GNUTarExtract(t, p, ref)
			a := gxOpen(t, p)
			for _, jobs := range []int{1, 2, 4} {
				t.Run(fmt.Sprintf("jobs-%d", jobs), func(t *testing.T) {
					dir := filepath.Join(t.TempDir(), "out") // created by FromIndex
					gxFromIndex(t, a, dir, jobs)
					testarchive.CompareTrees(t, gz, ref, dir)
				})
			}
		})
	}
}

// ---------------------------------------------------------------------------
// 2. A member split across workers comes out whole.

// gxMixedBytes returns n bytes of alternating runs of text and random bytes.
func gxMixedBytes(seed int64, n int) []byte {
	var b []byte
	for i := int64(0); len(b) < n; i++ {
		if i%2 == 0 {
			b = append(b, testarchive.Text(seed+i, 37_000+int(i%7)*1000)...)
		} else {
			b = append(b, testarchive.Incompressible(seed+i, 53_000+int(i%5)*1000)...)
		}
	}
	return b[:n]
}

func TestFromIndexSplitMember(t *testing.T) {
	const bigName = "big/whole.bin"
	bigMtime := time.Date(2011, 3, 4, 5, 6, 7, 0, time.UTC)
	big := gxMixedBytes(5, 5<<20)
	var entries []testarchive.Entry
	small := func(name string, seed int64) {
		entries = append(entries, testarchive.Entry{
			Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, ModTime: time.Unix(1_500_000_000+seed, 0)},
			Data:   testarchive.Text(seed, 3000+int(seed)*100),
		})
	}
	small("a.txt", 1)
	small("b.txt", 2)
	entries = append(entries, testarchive.Entry{
		Header: tar.Header{Typeflag: tar.TypeReg, Name: bigName, Mode: 0o640, ModTime: bigMtime},
		Data:   big,
	})
	small("c.txt", 3)
	small("d.txt", 4)
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	want := testarchive.Contents(entries)

	for _, tc := range []struct {
		name string
		gz   func(t *testing.T) []byte
	}{
		{"GoLevel1", func(t *testing.T) []byte { return testarchive.Gzip(t, tarBytes, testarchive.GoLevel1) }},
		{"pigz", func(t *testing.T) []byte { return testarchive.External(t, tarBytes, "pigz") }},   // blocks and empty stored blocks
		{"bgzip", func(t *testing.T) []byte { return testarchive.External(t, tarBytes, "bgzip") }}, // many gzip members
		{"plain", func(t *testing.T) []byte { return tarBytes }},                                   // spans of a plain tar
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := gxOpen(t, gxWriteArchive(t, tc.gz(t)))
			m, err := a.Lookup(bigName)
			if err != nil {
				t.Fatal(err)
			}
			cps, err := a.Checkpoints()
			if err != nil {
				t.Fatal(err)
			}
			inside := 0
			for _, c := range cps {
				if c > m.DataOffset && c < m.DataEnd {
					inside++
				}
			}
			if inside < 8 {
				t.Fatalf("only %d checkpoints inside %s: the member would not be split", inside, bigName)
			}
			dir := t.TempDir()
			res := gxFromIndex(t, a, dir, 4)
			if res.Members != int64(len(entries)) || res.Bytes != gxTotalSize(entries) {
				t.Errorf("Result = %+v, want %d members, %d bytes", res, len(entries), gxTotalSize(entries))
			}
			for name, data := range want {
				p := filepath.Join(dir, name)
				got, err := os.ReadFile(p)
				if err != nil {
					t.Error(err)
					continue
				}
				if !bytes.Equal(got, data) {
					t.Errorf("%s: contents differ: %s", name, gxFirstDiff(got, data))
				}
			}
			fi, err := os.Stat(filepath.Join(dir, bigName))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != 0o640 {
				t.Errorf("%s: mode %v, want -rw-r-----", bigName, fi.Mode())
			}
			if !fi.ModTime().Equal(bigMtime) {
				t.Errorf("%s: mtime %v, want %v", bigName, fi.ModTime(), bigMtime)
			}
		})
	}
}

// gxTotalSize returns the number of content bytes of entries.
func gxTotalSize(entries []testarchive.Entry) int64 {
	var n int64
	for _, e := range entries {
		n += int64(len(e.Data))
	}
	return n
}

// gxFirstDiff describes where got first differs from want.
func gxFirstDiff(got, want []byte) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at byte %d of %d (got %d bytes)", i, len(want), len(got))
		}
	}
	return fmt.Sprintf("got %d bytes, want %d", len(got), len(want))
}

// ---------------------------------------------------------------------------
// 3. Duplicates: the later member wins; existing entries are replaced as
// GNU tar replaces them.

func gxReg(name string, mode int64, mtime int64, data []byte) testarchive.Entry {
	return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, ModTime: time.Unix(mtime, 0)}, Data: data}
}

func gxDir(name string, mode int64, mtime int64) testarchive.Entry {
	return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: time.Unix(mtime, 0)}}
}

func gxSymlink(name, target string, mtime int64) testarchive.Entry {
	return testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: time.Unix(mtime, 0)}}
}

func TestDuplicatesAndExisting(t *testing.T) {
	const t0 = 1_300_000_000
	bigFirst := testarchive.Incompressible(1, 300<<10)
	bigSecond := testarchive.Incompressible(2, 300<<10)
	entries := []testarchive.Entry{
		gxReg("target.txt", 0o644, t0, []byte("the target\n")),
		gxSymlink("s2f", "target.txt", t0+1),
		gxReg("f2s", 0o644, t0+2, []byte("f2s starts as a regular file\n")),
		gxReg("dupreg", 0o644, t0+3, []byte("first\n")),
		gxReg("bigdup", 0o644, t0+4, bigFirst),
		gxReg("f2d", 0o644, t0+5, []byte("f2d starts as a file\n")),
		gxDir("e2f/", 0o755, t0+6),
		gxSymlink("sym2sym", "first-target", t0+7),
		gxDir("pre-file-for-dir/", 0o750, t0+8),
		gxReg("pre-file-for-dir/inner.txt", 0o644, t0+9, []byte("inside the directory that replaced a file\n")),
		gxReg("pre-dir-for-file", 0o640, t0+10, []byte("a file where an empty directory was\n")),
		gxReg("pre-link-for-file", 0o600, t0+11, []byte("a file where a symlink was\n")),
		// The later duplicates.
		gxReg("s2f", 0o600, t0+12, []byte("s2f is now a regular file\n")),
		gxSymlink("f2s", "target.txt", t0+13),
		gxReg("dupreg", 0o600, t0+14, []byte("second\n")),
		gxReg("bigdup", 0o640, t0+15, bigSecond),
		gxDir("f2d/", 0o700, t0+16),
		gxReg("f2d/inside.txt", 0o644, t0+17, []byte("inside f2d\n")),
		gxReg("e2f", 0o644, t0+18, []byte("e2f is now a file\n")),
		gxSymlink("sym2sym", "second-target", t0+19),
	}
	gz := testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel6)
	p := gxWriteArchive(t, gz)
	const outsideData = "outside the destination: must not change\n"

	// prepare returns a destination directory holding what a previous
	// extraction or the user left there.
	prepare := func(t *testing.T) (dest, outside string) {
		parent := t.TempDir()
		dest = filepath.Join(parent, "dest")
		outside = filepath.Join(parent, "outside.txt")
		for _, err := range []error{
			os.WriteFile(outside, []byte(outsideData), 0o644),
			os.Mkdir(dest, 0o755),
			os.WriteFile(filepath.Join(dest, "pre-file-for-dir"), []byte("an old file\n"), 0o644),
			os.Mkdir(filepath.Join(dest, "pre-dir-for-file"), 0o755),
			os.Symlink("../outside.txt", filepath.Join(dest, "pre-link-for-file")),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		return dest, outside
	}
	checkOutside := func(t *testing.T, outside string) {
		t.Helper()
		if b, err := os.ReadFile(outside); err != nil || string(b) != outsideData {
			t.Errorf("file outside the destination changed: %q, %v", b, err)
		}
	}

	ref, refOutside := prepare(t)
	testarchive.GNUTarExtract(t, p, ref)
	checkOutside(t, refOutside)
	a := gxOpen(t, p)

	for _, tc := range []struct {
		name    string
		extract func(t *testing.T, dest string)
	}{
		{"FromIndex", func(t *testing.T, dest string) { gxFromIndex(t, a, dest, 4) }},
		{"Streamer", func(t *testing.T, dest string) {
			var e gxErrs
			if _, err := gxStream(t, context.Background(), gz, e.options(dest, 4)); err != nil {
				t.Fatalf("Streamer: %v", err)
			}
			e.noErrors(t)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dest, outside := prepare(t)
			tc.extract(t, dest)
			checkOutside(t, outside)
			testarchive.CompareTrees(t, gz, ref, dest)

			// What GNU tar leaves, spelled out, so that the test does not
			// depend on the reference alone.
			for name, want := range map[string]string{
				"s2f":                        "s2f is now a regular file\n",
				"dupreg":                     "second\n",
				"bigdup":                     string(bigSecond),
				"f2d/inside.txt":             "inside f2d\n",
				"e2f":                        "e2f is now a file\n",
				"pre-file-for-dir/inner.txt": "inside the directory that replaced a file\n",
				"pre-dir-for-file":           "a file where an empty directory was\n",
				"pre-link-for-file":          "a file where a symlink was\n",
			} {
				p := filepath.Join(dest, name)
				fi, err := os.Lstat(p)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if !fi.Mode().IsRegular() {
					t.Errorf("%s: %v, want a regular file", name, fi.Mode())
					continue
				}
				if b, _ := os.ReadFile(p); string(b) != want {
					t.Errorf("%s: wrong contents (%d bytes, want %d)", name, len(b), len(want))
				}
			}
			for name, want := range map[string]string{"f2s": "target.txt", "sym2sym": "second-target"} {
				if got, err := os.Readlink(filepath.Join(dest, name)); err != nil || got != want {
					t.Errorf("%s: symlink to %q (%v), want %q", name, got, err, want)
				}
			}
			if fi, err := os.Stat(filepath.Join(dest, "dupreg")); err == nil && (fi.Mode().Perm() != 0o600 || fi.ModTime().Unix() != t0+14) {
				t.Errorf("dupreg: mode %v, mtime %d: want the later member's 0600, %d", fi.Mode(), fi.ModTime().Unix(), t0+14)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// 7. Interrupt: a cancelled extraction leaves only complete files.

func TestInterrupt(t *testing.T) {
	const nFiles = 1200
	var entries []testarchive.Entry
	entries = append(entries, gxDir("files/", 0o755, 1_400_000_000))
	for i := range nFiles {
		if i%300 == 150 {
			// Big members, split across units at checkpoints.
			entries = append(entries, gxReg(fmt.Sprintf("files/big-%04d", i), 0o644, 1_400_000_000, gxMixedBytes(int64(i), 512<<10)))
		}
		entries = append(entries, gxReg(fmt.Sprintf("files/f-%04d", i), 0o644, 1_400_000_000, testarchive.Text(int64(i), 2000+i%5000)))
	}
	gz := testarchive.External(t, testarchive.Tar(t, entries, tar.FormatPAX), "gzip-1")
	want := testarchive.Contents(entries)
	a := gxOpen(t, gxWriteArchive(t, gz))

	for _, tc := range []struct {
		name string
		run  func(ctx context.Context, opts extract.Options) (extract.Result, error)
	}{
		{"FromIndex", func(ctx context.Context, opts extract.Options) (extract.Result, error) {
			return extract.FromIndex(ctx, a, opts)
		}},
		{"Streamer", func(ctx context.Context, opts extract.Options) (extract.Result, error) {
			return gxStream(t, ctx, gz, opts)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			var dest string
			// The cancel comes once a few files are finished (FromIndex
			// creates the files of split members, empty, before it starts,
			// so merely existing files do not count); retry in the unlikely
			// case that the extraction finished first.
			for attempt := 0; attempt < 3; attempt++ {
				dest = t.TempDir()
				ctx, cancel := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ctx.Err() == nil {
						if gxFinished(filepath.Join(dest, "files"), want) > 10 {
							cancel()
							return
						}
						time.Sleep(200 * time.Microsecond)
					}
				}()
				var e gxErrs
				_, err = tc.run(ctx, e.options(dest, 2))
				cancel()
				wg.Wait()
				if err != nil {
					break
				}
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("extraction returned %v, want context.Canceled", err)
			}
			present := 0
			werr := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return err
				}
				rel, _ := filepath.Rel(dest, p)
				rel = filepath.ToSlash(rel)
				present++
				data, ok := want[rel]
				if !ok {
					t.Errorf("%s: unexpected file", rel)
					return nil
				}
				got, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				if !bytes.Equal(got, data) {
					t.Errorf("%s: partly written file left behind: %s", rel, gxFirstDiff(got, data))
				}
				return nil
			})
			if werr != nil {
				t.Fatal(werr)
			}
			if present >= len(want) {
				t.Errorf("all %d files present after the cancel", present)
			}
			t.Logf("%d of %d files present after the cancel", present, len(want))
		})
	}
}

// gxFinished counts the files in dir (keys "files/NAME" of want) that have
// their full size and final mode.
func gxFinished(dir string, want map[string][]byte) int {
	des, _ := os.ReadDir(dir)
	n := 0
	for _, d := range des {
		fi, err := d.Info()
		if err == nil && fi.Mode() == 0o644 && fi.Size() == int64(len(want["files/"+d.Name()])) {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------
// The Streamer writes a member only after the earlier members that name its
// parent paths, as GNU tar does reading in order. Many independent chains
// of "file pN", "directory pN/", "file pN/child" make the ordering visible
// in one run whatever worker each name hashes to.

func TestStreamerParentOrder(t *testing.T) {
	const chains = 60
	var entries []testarchive.Entry
	for i := range chains {
		entries = append(entries, gxReg(fmt.Sprintf("p%02d", i), 0o644, 1_200_000_000, []byte("a file first\n")))
	}
	for i := range chains {
		entries = append(entries,
			gxDir(fmt.Sprintf("p%02d/", i), 0o755, 1_200_000_001),
			gxReg(fmt.Sprintf("p%02d/child", i), 0o644, 1_200_000_002, []byte("then a file in the directory that replaced it\n")))
	}
	gz := testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel6)
	p := gxWriteArchive(t, gz)
	ref := filepath.Join(t.TempDir(), "ref")
	testarchive.GNUTarExtract(t, p, ref)

	dest := t.TempDir()
	var e gxErrs
	if _, err := gxStream(t, context.Background(), gz, e.options(dest, 4)); err != nil {
		t.Fatalf("Streamer: %v", err)
	}
	if len(e.errs) > 0 {
		t.Errorf("%d members failed; the first: %v", len(e.errs), e.errs[0])
	}
	testarchive.CompareTrees(t, gz, ref, dest)
}
