package testarchive

import (
	"archive/tar"
	"bytes"
	"io"
	"path"
	"testing"
)

// Entry is one member to write: a header and its contents.
type Entry struct {
	Header tar.Header // the member's header, written as is except for Size and Format
	Data   []byte     // contents for regular files (Header.Size is set from len(Data) by the writer if zero)
}

// Tar writes entries with archive/tar and returns the tar bytes.
// format is tar.FormatGNU, tar.FormatPAX, tar.FormatUSTAR, or
// tar.FormatUnknown to keep each header's own Format (archive/tar then
// chooses the simplest format that can hold each header).
// Tar fails the test if a header cannot be written in format or if
// Data does not match the header.
func Tar(tb testing.TB, entries []Entry, format tar.Format) []byte {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i, e := range entries {
		h := e.Header
		if format != tar.FormatUnknown {
			h.Format = format
		}
		if h.Typeflag == tar.TypeReg && h.Size == 0 {
			h.Size = int64(len(e.Data))
		}
		if h.Size != int64(len(e.Data)) {
			tb.Fatalf("testarchive.Tar: entry %d (%q): header size %d, but %d bytes of data", i, h.Name, h.Size, len(e.Data))
		}
		if err := tw.WriteHeader(&h); err != nil {
			tb.Fatalf("testarchive.Tar: entry %d (%q): %v", i, h.Name, err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			tb.Fatalf("testarchive.Tar: entry %d (%q): %v", i, h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatalf("testarchive.Tar: %v", err)
	}
	return buf.Bytes()
}

// Read reads a tar archive with archive/tar and returns its entries in
// order, with the logical contents of each member (sparse files expanded).
func Read(tb testing.TB, tarBytes []byte) []Entry {
	tb.Helper()
	var entries []Entry
	tr := tar.NewReader(bytes.NewReader(tarBytes))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return entries
		}
		if err != nil {
			tb.Fatalf("testarchive.Read: after %d entries: %v", len(entries), err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			tb.Fatalf("testarchive.Read: %q: %v", h.Name, err)
		}
		entries = append(entries, Entry{Header: *h, Data: data})
	}
}

// Final returns the entry that is left for each name after extracting
// entries in order: a later entry with the same name replaces an earlier
// one. Keys are cleaned names, without the trailing slash of directories.
func Final(entries []Entry) map[string]Entry {
	m := make(map[string]Entry)
	for _, e := range entries {
		m[path.Clean(e.Header.Name)] = e
	}
	return m
}

// Contents returns the contents of every regular file left after
// extracting entries in order, keyed by cleaned name. A hard link has the
// contents its target had when the link was extracted.
func Contents(entries []Entry) map[string][]byte {
	m := make(map[string][]byte)
	for _, e := range entries {
		name := path.Clean(e.Header.Name)
		switch e.Header.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse:
			m[name] = e.Data
		case tar.TypeLink:
			if data, ok := m[path.Clean(e.Header.Linkname)]; ok {
				m[name] = data
			} else {
				delete(m, name)
			}
		default:
			delete(m, name)
		}
	}
	return m
}

// Fit returns the entries that the archive format named format can hold,
// in order. format is one of the names accepted by [TarTool]: "gnu",
// "posix", "ustar", "v7" or "bsdtar"; use "ustar" before calling [Tar]
// with tar.FormatUSTAR. "ustar" follows archive/tar, which also rejects
// non-ASCII names; "v7" further drops names or link targets of 100 bytes
// or more and anything but regular files, hard links, symbolic links and
// directories. Entries inside a dropped directory and links to dropped
// entries are dropped too, so the result extracts as a consistent tree.
// Fit panics if format is not one of those names.
func Fit(entries []Entry, format string) []Entry {
	var f tar.Format
	switch format {
	case "gnu":
		f = tar.FormatGNU
	case "posix", "bsdtar":
		f = tar.FormatPAX
	case "ustar", "v7":
		f = tar.FormatUSTAR
	default:
		panic("testarchive.Fit: unknown format " + format)
	}
	dropped := make(map[string]bool)
	isDropped := func(name string) bool {
		for ; name != "." && name != "/"; name = path.Dir(name) {
			if dropped[name] {
				return true
			}
		}
		return false
	}
	var out []Entry
	for _, e := range entries {
		h := e.Header
		name := path.Clean(h.Name)
		ok := fits(e, f) && !isDropped(path.Dir(name))
		switch h.Typeflag {
		case tar.TypeLink:
			ok = ok && !isDropped(path.Clean(h.Linkname))
		case tar.TypeSymlink:
			ok = ok && !isDropped(path.Join(path.Dir(name), h.Linkname))
		}
		if format == "v7" {
			switch h.Typeflag {
			case tar.TypeReg, tar.TypeLink, tar.TypeSymlink, tar.TypeDir:
			default:
				ok = false
			}
			ok = ok && len(h.Name) < 100 && len(h.Linkname) < 100
		}
		if !ok {
			dropped[name] = true
			continue
		}
		delete(dropped, name) // a later duplicate that fits replaces a dropped one
		out = append(out, e)
	}
	return out
}

// fits reports whether archive/tar can write e's header in format f.
func fits(e Entry, f tar.Format) bool {
	h := e.Header
	h.Format = f
	if h.Typeflag == tar.TypeReg && h.Size == 0 {
		h.Size = int64(len(e.Data))
	}
	return tar.NewWriter(io.Discard).WriteHeader(&h) == nil
}
