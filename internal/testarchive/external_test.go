package testarchive

import (
	"archive/tar"
	"bytes"
	"os"
	"path"
	"testing"
)

func TestExternal(t *testing.T) {
	if got := len(ExternalTools()); got != 13 {
		t.Errorf("%d tools, want 13", got)
	}
	// Text and random data, larger than pigz's 128 KiB blocks.
	data := append(Text(8, 300_000), Incompressible(8, 100_000)...)
	data = append(data, Text(9, 100_000)...)
	for _, tool := range ExternalTools() {
		t.Run(tool, func(t *testing.T) {
			t.Parallel()
			in := data
			if tool == "zopfli" {
				in = data[:64<<10] // zopfli is slow
			}
			gz := External(t, in, tool)
			if got := gunzip(t, gz); !bytes.Equal(got, in) {
				t.Fatalf("round trip: got %d bytes, want %d", len(got), len(in))
			}
			if tool == "bgzip" {
				checkBGZF(t, gz, 1<<16)
			}
		})
	}
}

func TestTarTool(t *testing.T) {
	entries := Mixed(MixedOptions{Seed: 3, SmallFiles: 30, BigFiles: 1, BigSize: 100_000})
	for _, format := range TarTools() {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			fit := Fit(entries, format)
			dir := t.TempDir()
			WriteTree(t, dir, fit)
			got := Read(t, TarTool(t, dir, format))
			gotFinal, wantFinal := Final(got), Final(fit)
			if len(gotFinal) != len(wantFinal) {
				t.Errorf("%d names, want %d", len(gotFinal), len(wantFinal))
			}
			gotData, wantData := Contents(got), Contents(fit)
			for name, w := range wantFinal {
				g, ok := gotFinal[name]
				if !ok {
					t.Errorf("%q missing", name)
					continue
				}
				gh, wh := g.Header, w.Header
				if !bytes.Equal(gotData[name], wantData[name]) {
					t.Errorf("%q: wrong contents", name)
				}
				if regular(gh.Typeflag) != regular(wh.Typeflag) || !regular(wh.Typeflag) && gh.Typeflag != wh.Typeflag {
					t.Errorf("%q: typeflag %q, want %q", name, gh.Typeflag, wh.Typeflag)
				}
				if wh.Typeflag == tar.TypeSymlink {
					if gh.Linkname != wh.Linkname {
						t.Errorf("%q: link to %q, want %q", name, gh.Linkname, wh.Linkname)
					}
					continue
				}
				if wh.Typeflag == tar.TypeLink {
					continue // mode and mtime are the target's
				}
				if !gh.ModTime.Equal(wh.ModTime) {
					t.Errorf("%q: mtime %v, want %v", name, gh.ModTime, wh.ModTime)
				}
				if os.Geteuid() == 0 && (gh.Mode != wh.Mode || gh.Uid != wh.Uid || gh.Gid != wh.Gid) {
					t.Errorf("%q: mode %o owner %d:%d, want %o %d:%d", name, gh.Mode, gh.Uid, gh.Gid, wh.Mode, wh.Uid, wh.Gid)
				}
			}
		})
	}
}

// regular reports whether typeflag is a regular file or a hard link, which
// archivers may swap between the names of one file.
func regular(typeflag byte) bool {
	return typeflag == tar.TypeReg || typeflag == tar.TypeLink
}

func TestGNUSparse(t *testing.T) {
	for _, format := range []string{"gnu", "posix", "posix-0.0", "posix-0.1", "posix-1.0"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			tarBytes, want := GNUSparse(t, format)
			entries := Read(t, tarBytes)
			got := Contents(entries)
			for name, w := range want {
				if !bytes.Equal(got[name], w) {
					t.Errorf("%q: %d bytes, want %d", name, len(got[name]), len(w))
				}
			}
			sparse := 0
			for _, e := range entries {
				if IsSparse(e.Header) {
					sparse++
					if path.Dir(e.Header.Name) != "sparse" {
						t.Errorf("sparse member %q", e.Header.Name)
					}
				}
			}
			if sparse < len(sparseFiles) {
				t.Errorf("%d sparse members, want %d", sparse, len(sparseFiles))
			}
			logical := 0
			for _, w := range want {
				logical += len(w)
			}
			if len(tarBytes) > logical/2 {
				t.Errorf("tar of %d bytes for %d logical bytes: holes were stored", len(tarBytes), logical)
			}
		})
	}
}
