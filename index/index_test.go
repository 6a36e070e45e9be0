package index

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tarx-dev/tarx/internal/tarname"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// childEnv, when set, makes the test binary run a child role (see
// runChild) instead of the tests: tests re-execute it to get a second
// process, an unprivileged one, or one they can kill.
const childEnv = "TARX_INDEX_TEST_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(role))
	}
	os.Exit(m.Run())
}

// runChild runs a child role and returns its exit status. Errors go to
// standard error, results to standard output.
func runChild(role string) int {
	var err error
	switch role {
	case "open":
		err = childOpen()
	case "build":
		err = childBuild()
	case "check":
		err = childCheck()
	case "readonly":
		err = childReadOnly()
	default:
		err = fmt.Errorf("unknown child role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "child %s: %v\n", role, err)
		return 1
	}
	return 0
}

// childCommand returns a command that runs the test binary exe in child
// role role, with env added to the environment.
func childCommand(ctx context.Context, exe, role string, env ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, exe)
	// The race detector waits a second at exit by default.
	cmd.Env = append(os.Environ(), childEnv+"="+role, "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// mixedOptions is the Mixed archive of the schema tests.
var mixedOptions = testarchive.MixedOptions{Seed: 1, SmallFiles: 200, BigFiles: 3, BigSize: 300 << 10}

// mixedTar returns the Mixed entries written in format by archive/tar,
// computed once per format.
var mixedTar = func() func(testing.TB, tar.Format) []byte {
	var mu sync.Mutex
	cache := make(map[tar.Format][]byte)
	return func(tb testing.TB, f tar.Format) []byte {
		tb.Helper()
		mu.Lock()
		defer mu.Unlock()
		if b, ok := cache[f]; ok {
			return b
		}
		b := testarchive.Tar(tb, testarchive.Mixed(mixedOptions), f)
		cache[f] = b
		return b
	}
}()

// writeArchive writes gz as a.tar.gz in a new temporary directory and
// returns its path.
func writeArchive(tb testing.TB, gz []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "a.tar.gz")
	if err := os.WriteFile(p, gz, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// mustOpen opens the archive at p and closes it when the test ends.
func mustOpen(tb testing.TB, p string, opts Options) *Archive {
	tb.Helper()
	a, err := Open(context.Background(), p, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", p, err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}

// members returns the members of a in order.
func members(tb testing.TB, a *Archive) []*Member {
	tb.Helper()
	var ms []*Member
	if err := a.Members(func(m *Member) error {
		ms = append(ms, m)
		return nil
	}); err != nil {
		tb.Fatalf("Members: %v", err)
	}
	return ms
}

// readMember reads the whole contents of m through OpenMember.
func readMember(tb testing.TB, a *Archive, m *Member) []byte {
	tb.Helper()
	hdr, r, err := a.OpenMember(m)
	if err != nil {
		tb.Fatalf("OpenMember(%q): %v", m.Name(), err)
	}
	defer r.Close()
	if hdr.Name != m.Header.Name {
		tb.Errorf("OpenMember(%q): header names %q", m.Name(), hdr.Name)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("OpenMember(%q): read: %v", m.Name(), err)
	}
	return data
}

// tempFiles returns the names in dir of index files being built.
func tempFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, de := range des {
		if strings.Contains(de.Name(), Suffix+".tmp-") {
			names = append(names, de.Name())
		}
	}
	return names
}

// TestOpen_Schema builds indexes of the Mixed archive in several tar
// formats and gzip layouts and checks that everything archive/tar reads
// from the decompressed tar comes back from the index.
func TestOpen_Schema(t *testing.T) {
	// The gzip layouts that differ for the index (Headers and GoLevel9
	// only add to what gzseek tests) with PAX; GNU with two, since the tar
	// format does not change how the gzip stream is read. Every member's
	// contents are read through OpenMember once per format.
	cases := map[tar.Format][]testarchive.Style{
		tar.FormatPAX: {testarchive.GoLevel0, testarchive.GoLevel1, testarchive.GoLevel6, testarchive.MultiMember,
			testarchive.BGZF, testarchive.SyncFlush, testarchive.StoredHuffman},
		tar.FormatGNU: {testarchive.GoLevel6, testarchive.MultiMember},
	}
	allContents := map[tar.Format]testarchive.Style{tar.FormatPAX: testarchive.GoLevel6, tar.FormatGNU: testarchive.MultiMember}
	for _, format := range []tar.Format{tar.FormatGNU, tar.FormatPAX} {
		for _, style := range cases[format] {
			t.Run(fmt.Sprintf("%v/%v", format, style), func(t *testing.T) {
				t.Parallel()
				tarBytes := mixedTar(t, format)
				gz := testarchive.Gzip(t, tarBytes, style)
				p := writeArchive(t, gz)
				a := mustOpen(t, p, Options{BuildOptions: BuildOptions{Span: 64 << 10, ToolVersion: "test-1.0"}})
				entries := testarchive.Read(t, tarBytes)
				checkMembers(t, a, tarBytes, entries)
				checkLookup(t, a, entries, allContents[format] == style)
				checkInfo(t, a, p, gz, tarBytes, style)
				checkOffsets(t, a, tarBytes)
			})
		}
	}
}

// checkMembers compares the index's members with the entries archive/tar
// reads from tarBytes, and each member's contents, offsets and checksum
// with the tar.
func checkMembers(t *testing.T, a *Archive, tarBytes []byte, entries []testarchive.Entry) {
	t.Helper()
	ms := members(t, a)
	if len(ms) != len(entries) {
		t.Fatalf("%d members, archive/tar reads %d", len(ms), len(entries))
	}
	mr := a.NewMemberReader()
	defer mr.Close()
	superseded := wantSuperseded(entries)
	prevEnd := int64(0)
	for i, m := range ms {
		e := entries[i]
		if m.Seq != int64(i) {
			t.Errorf("member %d (%q): Seq %d", i, m.Name(), m.Seq)
		}
		want := Member{Header: e.Header, HeaderOffset: m.HeaderOffset, DataOffset: m.DataOffset,
			DataEnd: m.DataEnd, CRC: m.CRC, Sparse: m.Sparse, Superseded: superseded[i]}
		// Format is the dialect tarfmt read, not archive/tar's guess of
		// the formats the header could be rewritten in.
		want.Header.Format = m.Header.Format
		if d := diffMember(m, &want); d != "" {
			t.Errorf("member %d (%q): %s", i, e.Header.Name, d)
		}
		// The offsets locate the member's headers and data in the tar.
		if m.HeaderOffset%512 != 0 || m.HeaderOffset < prevEnd || m.DataOffset <= m.HeaderOffset ||
			m.DataOffset%512 != 0 || m.DataEnd < m.DataOffset || m.DataEnd > int64(len(tarBytes)) {
			t.Fatalf("member %d (%q): offsets %d, %d, %d after %d", i, m.Name(), m.HeaderOffset, m.DataOffset, m.DataEnd, prevEnd)
		}
		prevEnd = m.DataEnd
		hdr, err := tar.NewReader(bytes.NewReader(tarBytes[m.HeaderOffset:])).Next()
		if err != nil || hdr.Name != e.Header.Name {
			t.Errorf("member %d (%q): tar at HeaderOffset %d reads %v, %v", i, m.Name(), m.HeaderOffset, hdr, err)
		}
		if !m.Contiguous() || m.Sparse {
			t.Errorf("member %d (%q): Contiguous %v, Sparse %v, want true, false", i, m.Name(), m.Contiguous(), m.Sparse)
		}
		if stored := tarBytes[m.DataOffset:m.DataEnd]; !bytes.Equal(stored, e.Data) {
			t.Errorf("member %d (%q): tar[DataOffset:DataEnd] is %d bytes, not its %d bytes of data", i, m.Name(), len(stored), len(e.Data))
		}
		if want := crc32.ChecksumIEEE(e.Data); m.CRC != want {
			t.Errorf("member %d (%q): CRC %08x, want %08x", i, m.Name(), m.CRC, want)
		}
		// Read in order through one MemberReader, as extraction does.
		_, r, err := mr.Open(m)
		if err != nil {
			t.Fatalf("MemberReader.Open(%q): %v", m.Name(), err)
		}
		if data, err := io.ReadAll(r); err != nil || !bytes.Equal(data, e.Data) {
			t.Errorf("member %d (%q): MemberReader read %d bytes, %v; want %d bytes", i, m.Name(), len(data), err, len(e.Data))
		}
	}
	// Read some members alone through OpenMember, in a shuffled order.
	r := rand.New(rand.NewPCG(1, 2))
	for _, i := range r.Perm(len(ms))[:len(ms)/20] {
		if data := readMember(t, a, ms[i]); !bytes.Equal(data, entries[i].Data) {
			t.Errorf("OpenMember(%q): %d bytes, want %d", ms[i].Name(), len(data), len(entries[i].Data))
		}
	}
}

// checkLookup checks Lookup against testarchive.Final, and the contents
// read through OpenMember against testarchive.Contents: for every name if
// all is set, else for one in seven and the hard links and duplicates.
func checkLookup(t *testing.T, a *Archive, entries []testarchive.Entry, all bool) {
	t.Helper()
	contents := testarchive.Contents(entries)
	final := testarchive.Final(entries)
	i := 0
	for name, e := range final {
		i++
		if !all && i%7 != 0 && e.Header.Typeflag != tar.TypeLink && e.Header.Name != testarchive.MixedDup {
			continue
		}
		m, err := a.Lookup(e.Header.Name)
		if err != nil {
			t.Errorf("Lookup(%q): %v", e.Header.Name, err)
			continue
		}
		if m.Header.Typeflag != e.Header.Typeflag || m.Header.Size != e.Header.Size || m.Header.Linkname != e.Header.Linkname {
			t.Errorf("Lookup(%q): %c %d %q, want %c %d %q", name, m.Header.Typeflag, m.Header.Size, m.Header.Linkname,
				e.Header.Typeflag, e.Header.Size, e.Header.Linkname)
		}
		want, ok := contents[name]
		if !ok {
			continue
		}
		if m.Header.Typeflag == tar.TypeLink {
			if m, err = a.Lookup(m.Header.Linkname); err != nil {
				t.Errorf("Lookup(link target of %q): %v", name, err)
				continue
			}
		}
		if got := readMember(t, a, m); !bytes.Equal(got, want) {
			t.Errorf("contents of %q: %d bytes, want %d", name, len(got), len(want))
		}
	}
	if len(contents) == 0 {
		t.Fatal("no regular files")
	}

	// The duplicate: the later member wins.
	m, err := a.Lookup(testarchive.MixedDup)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", testarchive.MixedDup, err)
	}
	last := -1
	for i, e := range entries {
		if e.Header.Name == testarchive.MixedDup {
			last = i
		}
	}
	if m.Seq != int64(last) || !bytes.Equal(readMember(t, a, m), testarchive.MixedDupData) {
		t.Errorf("Lookup(%q) = member %d, want the last one, %d", testarchive.MixedDup, m.Seq, last)
	}
	if got, err := a.member(m.Seq); err != nil || diffMember(got, m) != "" || got.Seq != m.Seq {
		t.Errorf("Member(%d) = %v, %v; want %q", m.Seq, got, err, m.Name())
	}

	// Names are looked up as extraction cleans them.
	for _, name := range []string{testarchive.MixedDup + "/", "/" + testarchive.MixedDup, "./" + testarchive.MixedDup} {
		if got, err := a.Lookup(name); err != nil || got.Seq != m.Seq {
			t.Errorf("Lookup(%q) = %v, %v; want member %d", name, got, err, m.Seq)
		}
	}
	for _, name := range []string{"missing", "SRC/README.txt", "", "../" + testarchive.MixedDup, "src/dup.txt\x00"} {
		if m, err := a.Lookup(name); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%q) = %v, %v; want ErrNotFound", name, m, err)
		}
	}
}

// checkInfo checks the facts of Info against the archive.
func checkInfo(t *testing.T, a *Archive, p string, gz, tarBytes []byte, style testarchive.Style) {
	t.Helper()
	info := a.Info()
	wantMembers := int64(1)
	switch style {
	case testarchive.MultiMember:
		wantMembers = int64((len(tarBytes) + testarchive.MultiMemberSize - 1) / testarchive.MultiMemberSize)
	case testarchive.BGZF:
		wantMembers = int64((len(tarBytes)+testarchive.BGZFBlockSize-1)/testarchive.BGZFBlockSize) + 1
	}
	cps, err := a.Checkpoints()
	if err != nil {
		t.Fatalf("Checkpoints: %v", err)
	}
	st, err := os.Stat(p + Suffix)
	if err != nil {
		t.Fatalf("index beside the archive: %v", err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"Archive", info.Archive, p},
		{"IndexPath", info.IndexPath, p + Suffix},
		{"IndexSize", info.IndexSize, st.Size()},
		{"ArchiveSize", info.ArchiveSize, int64(len(gz))},
		{"UncompressedSize", info.UncompressedSize, int64(len(tarBytes))},
		{"GzipMembers", info.GzipMembers, wantMembers},
		{"Members", info.Members, int64(len(testarchive.Read(t, tarBytes)))},
		{"Checkpoints", info.Checkpoints, int64(len(cps))},
		{"TarEnd", info.TarEnd, int64(len(tarBytes))},
		{"Span", info.Span, int64(64 << 10)},
		{"ToolVersion", info.ToolVersion, "test-1.0"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("Info().%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	// Checkpoints are at deflate block ends, so farther apart than the
	// span, but an archive of many spans has several, the first at 0.
	if info.Checkpoints < 2 || len(cps) == 0 || cps[0] != 0 {
		t.Errorf("%d checkpoints, first at %v; want several, first at 0", info.Checkpoints, cps[:min(1, len(cps))])
	}
	if info.IndexSize <= 0 || info.WindowBytes <= 0 || info.Built.IsZero() || info.BuildDuration <= 0 {
		t.Errorf("Info() = %+v: sizes, Built and BuildDuration must be set", info)
	}
}

// checkOffsets checks checkpointAt (of a gzip archive) and OpenAt at
// many offsets.
func checkOffsets(t *testing.T, a *Archive, tarBytes []byte) {
	t.Helper()
	size := int64(len(tarBytes))
	cps, err := a.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(cps); i++ {
		if cps[i] <= cps[i-1] {
			t.Fatalf("checkpoint %d at %d does not follow %d", i, cps[i], cps[i-1])
		}
	}
	offs := []int64{0, 1, 511, 512, 513, 64 << 10, size / 2, size - 1, size}
	for i, c := range cps[1:] {
		offs = append(offs, c)
		if i%3 == 0 {
			offs = append(offs, c-1)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 8 {
		offs = append(offs, r.Int64N(size+1))
	}
	for i, off := range offs {
		if off < 0 || off > size {
			continue
		}
		if a.info.Compression == Gzip {
			cp, err := a.checkpointAt(off)
			if err != nil {
				t.Fatalf("checkpointAt(%d): %v", off, err)
			}
			j, _ := slices.BinarySearch(cps, off+1)
			if want := cps[j-1]; cp.Out != want || cp.Window != nil {
				t.Errorf("checkpointAt(%d) at %d with %d window bytes, want at %d without window", off, cp.Out, len(cp.Window), want)
			}
		}
		rd, err := a.OpenAt(off)
		if err != nil {
			t.Fatalf("OpenAt(%d): %v", off, err)
		}
		n := min(size-off, 20<<10)
		if i == 1 {
			n = size - off // to the end, once
		}
		got := make([]byte, n)
		if _, err := io.ReadFull(rd, got); err != nil {
			t.Fatalf("OpenAt(%d): reading %d bytes: %v", off, n, err)
		}
		if !bytes.Equal(got, tarBytes[off:off+n]) {
			t.Errorf("OpenAt(%d): %d bytes differ from the tar", off, n)
		}
		if off+n == size {
			if k, err := rd.Read(make([]byte, 1)); k != 0 || err != io.EOF {
				t.Errorf("OpenAt(%d): read past the end: %d, %v", off, k, err)
			}
		}
		rd.Close()
	}
	for _, off := range []int64{-1, size + 1} {
		if rd, err := a.OpenAt(off); err == nil {
			rd.Close()
			t.Errorf("OpenAt(%d) outside the %d bytes: no error", off, size)
		}
	}
}

// TestOpen_ExternalTar indexes archives written by GNU tar and bsdtar:
// records padded to 10 KiB, real PAX headers, owners from the file system.
func TestOpen_ExternalTar(t *testing.T) {
	entries := testarchive.Mixed(testarchive.MixedOptions{Seed: 2, SmallFiles: 40, BigFiles: 1, BigSize: 200 << 10})
	for _, format := range testarchive.TarTools() {
		t.Run(format, func(t *testing.T) {
			fit := testarchive.Fit(entries, format)
			dir := t.TempDir()
			testarchive.WriteTree(t, dir, fit)
			tarBytes := testarchive.TarTool(t, dir, format)
			gz := testarchive.Gzip(t, tarBytes, testarchive.GoLevel6)
			p := writeArchive(t, gz)
			a := mustOpen(t, p, Options{BuildOptions: BuildOptions{Span: 64 << 10}})
			got := testarchive.Read(t, tarBytes)
			checkMembers(t, a, tarBytes, got)
			info := a.Info()
			if info.UncompressedSize != int64(len(tarBytes)) || info.TarEnd > info.UncompressedSize || info.TarEnd%512 != 0 {
				t.Errorf("UncompressedSize %d, TarEnd %d; tar is %d bytes", info.UncompressedSize, info.TarEnd, len(tarBytes))
			}
			checkOffsets(t, a, tarBytes)
		})
	}
}

// TestOpen_Sparse indexes GNU sparse archives: members whose stored data
// is shorter than their size read back expanded, with their checksum.
func TestOpen_Sparse(t *testing.T) {
	for _, format := range []string{"gnu", "posix-0.0", "posix-0.1", "posix-1.0"} {
		t.Run(format, func(t *testing.T) {
			tarBytes, want := testarchive.GNUSparse(t, format)
			p := writeArchive(t, testarchive.Gzip(t, tarBytes, testarchive.GoLevel1))
			a := mustOpen(t, p, Options{BuildOptions: BuildOptions{Span: 64 << 10}})
			ms := members(t, a)
			entries := testarchive.Read(t, tarBytes)
			if len(ms) != len(entries) {
				t.Fatalf("%d members, want %d", len(ms), len(entries))
			}
			sparse := 0
			for i, m := range ms {
				e := entries[i]
				if m.Header.Name != e.Header.Name || m.Header.Size != e.Header.Size {
					t.Errorf("member %d: %q, %d bytes; want %q, %d", i, m.Name(), m.Header.Size, e.Header.Name, e.Header.Size)
				}
				if m.Sparse != testarchive.IsSparse(e.Header) {
					t.Errorf("%q: Sparse %v, want %v", m.Name(), m.Sparse, !m.Sparse)
				}
				if m.Sparse {
					sparse++
					if m.Contiguous() {
						t.Errorf("%q: sparse but Contiguous", m.Name())
					}
				}
				if w, ok := want[path.Clean(m.Name())]; ok {
					if m.CRC != crc32.ChecksumIEEE(w) {
						t.Errorf("%q: CRC %08x, want %08x", m.Name(), m.CRC, crc32.ChecksumIEEE(w))
					}
					if got := readMember(t, a, m); !bytes.Equal(got, w) {
						t.Errorf("%q: read %d bytes, want %d", m.Name(), len(got), len(w))
					}
				}
			}
			if sparse == 0 {
				t.Error("no sparse members")
			}
		})
	}
}

// TestOpenMember_Corrupt checks that a member whose bytes in the archive
// no longer match the index fails with ErrChecksum instead of reading
// wrong data. The archive is changed behind the index's back, keeping its
// size, mtime and first and last 64 KiB.
func TestOpenMember_Corrupt(t *testing.T) {
	data := testarchive.Incompressible(5, 400<<10)
	entries := []testarchive.Entry{
		{Header: tar.Header{Typeflag: tar.TypeReg, Name: "head", Mode: 0o644}, Data: testarchive.Incompressible(6, 100<<10)},
		{Header: tar.Header{Typeflag: tar.TypeReg, Name: "middle", Mode: 0o644}, Data: data},
		{Header: tar.Header{Typeflag: tar.TypeReg, Name: "tail", Mode: 0o644}, Data: testarchive.Incompressible(7, 100<<10)},
	}
	tarBytes := testarchive.Tar(t, entries, tar.FormatPAX)
	gz := testarchive.Gzip(t, tarBytes, testarchive.BGZF)
	p := writeArchive(t, gz)
	a := mustOpen(t, p, Options{})
	m, err := a.Lookup("middle")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)

	// Recompress with one byte of "middle" changed: BGZF blocks of
	// incompressible data are stored, so the file keeps its size and
	// only blocks in the middle change.
	tarBytes[m.DataOffset+200<<10] ^= 0xff
	bad := testarchive.Gzip(t, tarBytes, testarchive.BGZF)
	if len(bad) != len(gz) || !bytes.Equal(bad[:fingerprintSize], gz[:fingerprintSize]) ||
		!bytes.Equal(bad[len(bad)-fingerprintSize:], gz[len(gz)-fingerprintSize:]) {
		t.Fatal("the changed archive does not keep its size, head and tail")
	}
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	_, r, err := a.OpenMember(m)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadAll(r); !errors.Is(err, ErrChecksum) {
		t.Errorf("reading a changed member: err = %v, want ErrChecksum", err)
	}
	if m, err := a.Lookup("tail"); err != nil {
		t.Error(err)
	} else if got := readMember(t, a, m); !bytes.Equal(got, entries[2].Data) {
		t.Error("an unchanged member reads wrong")
	}
}

// wantSuperseded says, for each entry, whether extraction replaces it: a
// later entry has the same cleaned path.
func wantSuperseded(entries []testarchive.Entry) []bool {
	out := make([]bool, len(entries))
	for i, e := range entries {
		p, ok := tarname.Path(e.Header.Name)
		if !ok {
			continue
		}
		for _, later := range entries[i+1:] {
			q, ok := tarname.Path(later.Header.Name)
			if ok && q == p {
				out[i] = true
				break
			}
		}
	}
	return out
}
