package testarchive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"path"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var smallOpts = MixedOptions{Seed: 7, SmallFiles: 40, BigFiles: 3, BigSize: 70_000}

// sameEntry reports how got differs from want, or "" if it does not.
func sameEntry(got, want Entry) string {
	g, w := got.Header, want.Header
	switch {
	case g.Name != w.Name:
		return "name " + g.Name
	case g.Typeflag != w.Typeflag:
		return "typeflag " + string(g.Typeflag)
	case g.Linkname != w.Linkname:
		return "linkname " + g.Linkname
	case g.Mode != w.Mode:
		return "mode"
	case g.Uid != w.Uid || g.Gid != w.Gid || g.Uname != w.Uname || g.Gname != w.Gname:
		return "owner"
	case !g.ModTime.Equal(w.ModTime):
		return "mtime " + g.ModTime.String()
	case !bytes.Equal(got.Data, want.Data):
		return "data"
	}
	return ""
}

func TestMixedRoundTrip(t *testing.T) {
	entries := Mixed(smallOpts)
	for _, f := range []tar.Format{tar.FormatUnknown, tar.FormatGNU, tar.FormatPAX} {
		t.Run(f.String(), func(t *testing.T) {
			got := Read(t, Tar(t, entries, f))
			if len(got) != len(entries) {
				t.Fatalf("read %d entries, want %d", len(got), len(entries))
			}
			for i := range entries {
				if d := sameEntry(got[i], entries[i]); d != "" {
					t.Errorf("entry %d (%q): different %s", i, entries[i].Header.Name, d)
				}
			}
		})
	}
}

func TestMixedShape(t *testing.T) {
	entries := Mixed(smallOpts)
	seen := make(map[string]tar.Header) // cleaned name -> latest header
	count := make(map[string]int)       // what was found
	modes := make(map[int64]bool)
	mtimes := make(map[int64]bool)
	uids := make(map[int]bool)
	for i, e := range entries {
		h := e.Header
		name := path.Clean(h.Name)
		if dir := path.Dir(name); dir != "." && seen[dir].Typeflag != tar.TypeDir {
			t.Errorf("entry %d (%q): parent directory not before it", i, h.Name)
		}
		if h.ModTime.Nanosecond() != 0 {
			t.Errorf("entry %d (%q): mtime %v is not whole seconds", i, h.Name, h.ModTime)
		}
		mtimes[h.ModTime.Unix()] = true
		uids[h.Uid] = true
		switch h.Typeflag {
		case tar.TypeDir:
			count["dir"]++
			modes[h.Mode] = true
		case tar.TypeReg:
			switch {
			case strings.Contains(name, "/file-"):
				count["small"]++
			case strings.HasPrefix(name, "big/"):
				count["big"]++
				if len(e.Data) != smallOpts.BigSize {
					t.Errorf("%q: %d bytes, want %d", name, len(e.Data), smallOpts.BigSize)
				}
			}
			if len(e.Data) == 0 {
				count["empty"]++
			}
			if len(e.Data) > 8192 && !strings.HasPrefix(name, "big/") && strings.Contains(name, "/file-") {
				t.Errorf("small file %q has %d bytes", name, len(e.Data))
			}
		case tar.TypeSymlink:
			count["symlink"]++
			target := path.Join(path.Dir(name), h.Linkname)
			if path.IsAbs(h.Linkname) || strings.HasPrefix(target, "../") {
				t.Errorf("symlink %q -> %q leaves the tree", name, h.Linkname)
			} else if _, ok := seen[target]; !ok {
				t.Errorf("symlink %q -> %q: target not before it", name, h.Linkname)
			}
		case tar.TypeLink:
			count["hardlink"]++
			if seen[h.Linkname].Typeflag != tar.TypeReg {
				t.Errorf("hard link %q -> %q: no earlier regular file", name, h.Linkname)
			}
		case tar.TypeFifo:
			count["fifo"]++
		}
		if len(h.Name) > 100 {
			count["name>100"]++
		}
		if len(h.Name) > 255 {
			count["name>255"]++
		}
		if len(h.Linkname) > 100 {
			count["linkname>100"]++
		}
		if !isASCII(h.Name) {
			count["unicode"]++
		}
		for _, bit := range []struct {
			key  string
			mode int64
		}{{"setuid", 0o4000}, {"setgid", 0o2000}, {"sticky", 0o1000}} {
			if h.Mode&bit.mode != 0 {
				count[bit.key]++
			}
		}
		if _, dup := seen[name]; dup && h.Typeflag != tar.TypeDir {
			count["dup"]++
		}
		seen[name] = h
	}
	atLeast := map[string]int{
		"small": smallOpts.SmallFiles, "big": smallOpts.BigFiles, "dir": 10, "empty": 2,
		"symlink": 3, "hardlink": 3, "fifo": 1, "name>100": 3, "name>255": 1, "linkname>100": 2,
		"unicode": 3, "setuid": 2, "setgid": 3, "sticky": 3, "dup": 1,
	}
	for k, n := range atLeast {
		if count[k] < n {
			t.Errorf("%d entries with %s, want at least %d", count[k], k, n)
		}
	}
	if len(modes) < 5 {
		t.Errorf("%d distinct directory modes, want at least 5", len(modes))
	}
	if len(mtimes) < 20 || len(uids) < 4 {
		t.Errorf("%d distinct mtimes and %d uids, want more", len(mtimes), len(uids))
	}
	if got := Contents(entries)[MixedDup]; !bytes.Equal(got, MixedDupData) {
		t.Errorf("%s: final contents %q, want %q", MixedDup, got, MixedDupData)
	}
	for _, name := range []string{MixedDup, MixedUnicode, MixedFifo, MixedLongName, MixedLongest} {
		if _, ok := seen[name]; !ok {
			t.Errorf("no entry %q", name)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func TestMixedDeterministic(t *testing.T) {
	a, b := Mixed(smallOpts), Mixed(smallOpts)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Mixed is not deterministic")
	}
	other := smallOpts
	other.Seed++
	if reflect.DeepEqual(a, Mixed(other)) {
		t.Errorf("Mixed ignores the seed")
	}
}

func TestMixedZero(t *testing.T) {
	entries := Mixed(MixedOptions{})
	if got := Read(t, Tar(t, entries, tar.FormatPAX)); len(got) != len(entries) {
		t.Errorf("read %d entries, want %d", len(got), len(entries))
	}
}

func TestFit(t *testing.T) {
	entries := Mixed(smallOpts)
	tests := []struct {
		format string
		tarFmt tar.Format
		all    bool // every entry fits
		maxLen int  // longest name or link target allowed
	}{
		{"gnu", tar.FormatGNU, true, 1 << 20},
		{"posix", tar.FormatPAX, true, 1 << 20},
		{"bsdtar", tar.FormatPAX, true, 1 << 20},
		{"ustar", tar.FormatUSTAR, false, 256},
		{"v7", tar.FormatUSTAR, false, 99},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			fit := Fit(entries, tt.format)
			if tt.all != (len(fit) == len(entries)) {
				t.Errorf("kept %d of %d entries", len(fit), len(entries))
			}
			Tar(t, fit, tt.tarFmt) // fails the test if an entry does not fit
			names := make(map[string]tar.Header)
			for _, e := range fit {
				h := e.Header
				name := path.Clean(h.Name)
				if dir := path.Dir(name); dir != "." && names[dir].Typeflag != tar.TypeDir {
					t.Errorf("%q kept without its directory", name)
				}
				if h.Typeflag == tar.TypeLink && names[h.Linkname].Typeflag != tar.TypeReg {
					t.Errorf("hard link %q kept without its target", name)
				}
				if len(h.Name) > tt.maxLen || len(h.Linkname) > tt.maxLen {
					t.Errorf("%q: name or link target too long", name)
				}
				names[name] = h
			}
			if _, ok := names["src/README.txt"]; !ok {
				t.Errorf("src/README.txt was dropped")
			}
		})
	}
}

func TestText(t *testing.T) {
	for _, n := range []int{0, 1, 100, 100_000} {
		a, b := Text(5, n), Text(5, n)
		if len(a) != n || !bytes.Equal(a, b) {
			t.Fatalf("Text(5, %d): %d bytes, deterministic %v", n, len(a), bytes.Equal(a, b))
		}
	}
	text := Text(5, 100_000)
	if bytes.Equal(text, Text(6, 100_000)) {
		t.Errorf("Text ignores the seed")
	}
	if !isASCII(string(text)) || bytes.Count(text, []byte("\n")) < 1000 {
		t.Errorf("Text is not lines of ASCII")
	}
	if n := gzipSize(t, text); n > len(text)/2 {
		t.Errorf("Text compresses to %d of %d bytes", n, len(text))
	}
}

func TestIncompressible(t *testing.T) {
	for _, n := range []int{0, 1, 7, 9, 100_000} {
		a, b := Incompressible(5, n), Incompressible(5, n)
		if len(a) != n || !bytes.Equal(a, b) {
			t.Fatalf("Incompressible(5, %d): %d bytes, deterministic %v", n, len(a), bytes.Equal(a, b))
		}
	}
	data := Incompressible(5, 100_000)
	if bytes.Equal(data, Incompressible(6, 100_000)) {
		t.Errorf("Incompressible ignores the seed")
	}
	if n := gzipSize(t, data); n < len(data) {
		t.Errorf("Incompressible compresses to %d of %d bytes", n, len(data))
	}
}

func gzipSize(t *testing.T, data []byte) int {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Len()
}

func TestFinalContents(t *testing.T) {
	reg := func(name, data string) Entry {
		return Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644}, Data: []byte(data)}
	}
	link := func(typ byte, name, target string) Entry {
		return Entry{Header: tar.Header{Typeflag: typ, Name: name, Linkname: target, Mode: 0o777}}
	}
	dir := Entry{Header: tar.Header{Typeflag: tar.TypeDir, Name: "d/", Mode: 0o755}}
	tests := []struct {
		name    string
		entries []Entry
		want    map[string]string
		final   map[string]byte // name -> typeflag
	}{
		{
			name:    "duplicate",
			entries: []Entry{dir, reg("d/a", "one"), reg("d/a", "two")},
			want:    map[string]string{"d/a": "two"},
			final:   map[string]byte{"d": tar.TypeDir, "d/a": tar.TypeReg},
		},
		{
			name:    "hard link keeps old contents",
			entries: []Entry{reg("a", "one"), link(tar.TypeLink, "b", "a"), reg("a", "two")},
			want:    map[string]string{"a": "two", "b": "one"},
			final:   map[string]byte{"a": tar.TypeReg, "b": tar.TypeLink},
		},
		{
			name:    "symlink replaces file",
			entries: []Entry{reg("a", "one"), link(tar.TypeSymlink, "a", "b")},
			want:    map[string]string{},
			final:   map[string]byte{"a": tar.TypeSymlink},
		},
		{
			name:    "dangling hard link",
			entries: []Entry{link(tar.TypeLink, "b", "missing")},
			want:    map[string]string{},
			final:   map[string]byte{"b": tar.TypeLink},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(map[string]string)
			for k, v := range Contents(tt.entries) {
				got[k] = string(v)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Contents = %v, want %v", got, tt.want)
			}
			final := make(map[string]byte)
			for k, e := range Final(tt.entries) {
				final[k] = e.Header.Typeflag
			}
			if !reflect.DeepEqual(final, tt.final) {
				t.Errorf("Final typeflags = %v, want %v", final, tt.final)
			}
		})
	}
}

func TestTarSize(t *testing.T) {
	e := Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: "a", Mode: 0o644, ModTime: time.Unix(1, 0)}, Data: []byte("abc")}
	got := Read(t, Tar(t, []Entry{e}, tar.FormatUSTAR))
	if len(got) != 1 || got[0].Header.Size != 3 || string(got[0].Data) != "abc" {
		t.Errorf("got %+v", got)
	}
}
