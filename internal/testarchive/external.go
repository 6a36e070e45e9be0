package testarchive

import (
	"archive/tar"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// compressors maps the names of External to a program and its arguments;
// the input file name is appended.
var compressors = []struct {
	name string
	args []string
}{
	{"gzip-1", []string{"gzip", "-n", "-c", "-1"}},
	{"gzip-6", []string{"gzip", "-n", "-c", "-6"}},
	{"gzip-9", []string{"gzip", "-n", "-c", "-9"}},
	{"pigz", []string{"pigz", "-n", "-c"}},
	{"pigz-i", []string{"pigz", "-n", "-c", "-i"}},
	{"pigz-rsyncable", []string{"pigz", "-n", "-c", "--rsyncable"}},
	{"igzip-0", []string{"igzip", "-n", "-c", "-0"}},
	{"igzip-1", []string{"igzip", "-n", "-c", "-1"}},
	{"igzip-3", []string{"igzip", "-n", "-c", "-3"}},
	{"bgzip", []string{"bgzip", "-c"}},
	{"zopfli", []string{"zopfli", "-c", "--i1"}},
	{"libdeflate-6", []string{"libdeflate-gzip", "-c", "-6"}},
	{"libdeflate-12", []string{"libdeflate-gzip", "-c", "-12"}},
}

// ExternalTools returns the tool names that [External] accepts, in order.
func ExternalTools() []string {
	names := make([]string, len(compressors))
	for i, c := range compressors {
		names[i] = c.name
	}
	return names
}

// External compresses data with a real compressor and returns its gzip
// output, or skips the test if the program is not installed. tool is one
// of the names from [ExternalTools]:
//
//	gzip-1, gzip-6, gzip-9   GNU gzip at that level
//	pigz                     pigz: 128 KiB blocks, an empty stored block between them
//	pigz-i                   pigz -i: blocks compressed independently
//	pigz-rsyncable           pigz --rsyncable: content-defined block ends
//	igzip-0, igzip-1, igzip-3  ISA-L igzip at that level
//	bgzip                    BGZF, as from htslib
//	zopfli                   zopfli with one iteration (slow: about 2 s per MB)
//	libdeflate-6, libdeflate-12  libdeflate-gzip at that level
//
// pigz and bgzip only show their block structure on inputs larger than
// their block size (128 KiB and 64 KiB).
func External(tb testing.TB, data []byte, tool string) []byte {
	tb.Helper()
	var args []string
	for _, c := range compressors {
		if c.name == tool {
			args = c.args
		}
	}
	if args == nil {
		tb.Fatalf("testarchive.External: unknown tool %q", tool)
	}
	if _, err := exec.LookPath(args[0]); err != nil {
		tb.Skipf("testarchive.External: %s is not installed", args[0])
	}
	in := filepath.Join(tb.TempDir(), "input.tar")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		tb.Fatalf("testarchive.External: %v", err)
	}
	return run(tb, "", args[0], append(args[1:], in)...)
}

// run runs a program in dir and returns its standard output, failing the
// test if it does not exit with status 0.
func run(tb testing.TB, dir, prog string, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("testarchive: %s %s: %v\n%s", prog, strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// TarTools returns the format names that [TarTool] accepts, in order.
func TarTools() []string {
	return []string{"gnu", "posix", "ustar", "v7", "bsdtar"}
}

// TarTool archives the contents of dir with a real archiver and returns
// the uncompressed tar, or skips the test if the program is not installed.
// format "gnu", "posix", "ustar" or "v7" runs GNU tar with that --format
// and --sort=name; "bsdtar" runs bsdtar with its default (restricted pax)
// format, in directory order. Member names are relative to dir, without a
// leading "./". TarTool fails the test if the archiver reports an error,
// such as a name too long for the format: use [Fit] to choose entries
// before [WriteTree].
func TarTool(tb testing.TB, dir string, format string) []byte {
	tb.Helper()
	var prog string
	var args []string
	switch format {
	case "gnu", "posix", "ustar", "v7":
		prog = gnuTar(tb)
		args = []string{"--format=" + format, "--sort=name", "-cf", "-", "--"}
	case "bsdtar":
		prog = "bsdtar"
		if _, err := exec.LookPath(prog); err != nil {
			tb.Skip("testarchive.TarTool: bsdtar is not installed")
		}
		args = []string{"-cf", "-", "--"}
	default:
		tb.Fatalf("testarchive.TarTool: unknown format %q", format)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatalf("testarchive.TarTool: %v", err)
	}
	if len(des) == 0 {
		tb.Fatalf("testarchive.TarTool: %s is empty", dir)
	}
	for _, de := range des {
		args = append(args, de.Name())
	}
	return run(tb, dir, prog, args...)
}

// gnuTar returns the name of GNU tar, or skips the test.
func gnuTar(tb testing.TB) string {
	tb.Helper()
	for _, prog := range []string{"tar", "gtar"} {
		if _, err := exec.LookPath(prog); err != nil {
			continue
		}
		out, _ := exec.Command(prog, "--version").Output()
		if bytes.Contains(out, []byte("GNU tar")) {
			return prog
		}
	}
	tb.Skip("testarchive: GNU tar is not installed")
	return ""
}

// sparseFile describes a file of GNUSparse: its size and where data is.
type sparseFile struct {
	name string
	size int64
	data []int64 // offsets of data chunks
	n    int     // bytes in each chunk
}

var sparseFiles = []sparseFile{
	{"sparse/hole-first", 1 << 20, []int64{1<<20 - 4096}, 4096},
	{"sparse/hole-middle", 700_000, []int64{0, 600_000}, 8192},
	{"sparse/hole-last", 512 << 10, []int64{0}, 16 << 10},
	{"sparse/all-hole", 300_000, nil, 0},
	{"sparse/unaligned", 100_001, []int64{70_000}, 10},
	{"sparse/many", 2 << 20, []int64{123, 200_123, 400_123, 600_123, 800_123, 1_000_123, 1_200_123, 1_400_123, 1_600_123, 1_800_123}, 1000},
}

// GNUSparse returns a tar made by GNU tar --sparse from sparse files with
// real holes that it creates in a temporary directory, and the logical
// contents of each regular file by member name. format is "gnu" (old GNU
// sparse headers, typeflag 'S', with extension headers for long maps),
// "posix" (GNU tar's default PAX sparse version, 1.0 in GNU tar 1.34), or
// "posix-0.0", "posix-0.1" or "posix-1.0" for that PAX sparse version.
// The archive holds directory "sparse/" with files with holes first, in
// the middle, last, only a hole, unaligned data, and ten data chunks, and
// a non-sparse "plain.txt".
// GNUSparse skips the test if GNU tar is not installed or if the file
// system of the temporary directory does not keep holes.
func GNUSparse(tb testing.TB, format string) (tarBytes []byte, want map[string][]byte) {
	tb.Helper()
	var args []string
	switch format {
	case "gnu":
		args = []string{"--format=gnu"}
	case "posix":
		args = []string{"--format=posix"}
	case "posix-0.0", "posix-0.1", "posix-1.0":
		args = []string{"--format=posix", "--sparse-version=" + strings.TrimPrefix(format, "posix-")}
	default:
		tb.Fatalf("testarchive.GNUSparse: unknown format %q", format)
	}
	prog := gnuTar(tb)

	dir := tb.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sparse"), 0o755); err != nil {
		tb.Fatalf("testarchive.GNUSparse: %v", err)
	}
	want = make(map[string][]byte)
	for i, sf := range sparseFiles {
		logical := make([]byte, sf.size)
		f, err := os.Create(filepath.Join(dir, sf.name))
		if err != nil {
			tb.Fatalf("testarchive.GNUSparse: %v", err)
		}
		if err := f.Truncate(sf.size); err != nil {
			tb.Fatalf("testarchive.GNUSparse: %v", err)
		}
		for j, off := range sf.data {
			chunk := Text(int64(100*i+j), sf.n)
			copy(logical[off:], chunk)
			if _, err := f.WriteAt(chunk, off); err != nil {
				tb.Fatalf("testarchive.GNUSparse: %v", err)
			}
		}
		if err := f.Close(); err != nil {
			tb.Fatalf("testarchive.GNUSparse: %v", err)
		}
		want[sf.name] = logical
	}
	want["plain.txt"] = Text(99, 5000)
	if err := os.WriteFile(filepath.Join(dir, "plain.txt"), want["plain.txt"], 0o644); err != nil {
		tb.Fatalf("testarchive.GNUSparse: %v", err)
	}

	args = append(args, "--sparse", "--sort=name", "-cf", "-", "--", "plain.txt", "sparse")
	tarBytes = run(tb, dir, prog, args...)

	sparse := 0
	for _, e := range Read(tb, tarBytes) {
		if IsSparse(e.Header) {
			sparse++
		}
	}
	if sparse == 0 {
		tb.Skip("testarchive.GNUSparse: the temporary directory's file system does not keep holes")
	}
	return tarBytes, want
}

// IsSparse reports whether a header read by archive/tar was a GNU sparse
// file: old GNU format (typeflag 'S') or PAX GNU.sparse records.
func IsSparse(h tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}
