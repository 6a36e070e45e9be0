package testarchive

import (
	"archive/tar"
	"fmt"
	"math/rand/v2"
	"time"
)

// MixedOptions configures [Mixed]. Zero counts mean none.
type MixedOptions struct {
	Seed       int64 // seeds every random choice: equal options give equal entries
	SmallFiles int   // number of small files, each 0 to 8 KiB
	BigFiles   int   // number of big files, spread among the small ones
	BigSize    int   // size of each big file in bytes
}

// Names of some entries that [Mixed] always returns, for tests that look
// at one in particular.
const (
	// MixedDup appears twice; the later entry, with MixedDupData, wins.
	MixedDup = "src/dup.txt"
	// MixedUnicode is a non-ASCII name.
	MixedUnicode = "données/日本語.txt"
	// MixedFifo is a named pipe.
	MixedFifo = "tmp/fifo"
	// MixedLongName is longer than 100 bytes and has no USTAR prefix split.
	MixedLongName = "deep/" + longBase
	// MixedLongest is longer than 255 bytes.
	MixedLongest = "deep/" + deepDirs + "file-beyond-255-bytes-long.txt"
)

// MixedDupData is the contents of the later (winning) [MixedDup] entry.
var MixedDupData = []byte("second version of dup.txt: the later entry wins\n")

const (
	longBase = "long-name-long-name-long-name-long-name-long-name-long-name-" +
		"long-name-long-name-long-name-long-name-long-name-long-name.txt"
	deepDirs = "dir-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/" +
		"dir-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/" +
		"dir-cccccccccccccccccccccccccccccccccccccccccccccccccccccccc/" +
		"dir-dddddddddddddddddddddddddddddddddddddddddddddddddddddddd/"
)

// owners are the uid, gid, uname and gname combinations used by Mixed.
var owners = []struct {
	uid, gid     int
	uname, gname string
}{
	{0, 0, "root", "root"},
	{1000, 1000, "alice", "alice"},
	{1001, 100, "bob", "users"},
	{65534, 65534, "nobody", "nogroup"},
	{70000, 70001, "carol", "staff"},
	{4242, 4242, "", ""}, // numeric only
}

// Mixed returns a deterministic set of entries that exercises the tar
// format: opts.SmallFiles small files (0 to 8 KiB, text or random bytes),
// opts.BigFiles files of opts.BigSize bytes (text, random, or mostly zero),
// names longer than 100 and than 255 bytes, a link target longer than 100
// bytes, directories with distinct modes and mtimes, relative symbolic
// links that stay inside the tree, hard links to earlier regular files,
// empty files, a fifo, non-ASCII names, setuid, setgid and sticky bits,
// varied mtimes (whole seconds, from 1970 to 2100), uids, gids and owner
// names, and a duplicate name ([MixedDup]) whose later entry must win.
//
// The order is valid for extraction: directories come before their
// contents and hard link targets before the links. Every directory is
// writable by its owner. The long names need tar.FormatGNU, tar.FormatPAX
// or tar.FormatUnknown; use [Fit] to keep what USTAR or v7 can hold.
func Mixed(opts MixedOptions) []Entry {
	m := &mixer{r: rand.New(rand.NewPCG(uint64(opts.Seed), 0x6d69786564))}

	// Directories, parents first.
	m.dir("src/", 0o755)
	m.dir("src/pkg/", 0o750)
	m.dir("src/pkg/sub/", 0o700)
	m.dir("data/", 0o775)
	m.dir("data/shared/", 0o2775) // setgid directory
	m.dir("bin/", 0o755)
	m.dir("tmp/", 0o1777) // sticky directory
	m.dir("links/", 0o755)
	m.dir("données/", 0o755)
	m.dir("données/каталог/", 0o750)
	m.dir("big/", 0o755)
	m.dir("deep/", 0o755)
	for i := 61; i <= len(deepDirs); i += 61 {
		m.dir("deep/"+deepDirs[:i], 0o755) // from 66 to 249 bytes
	}

	// Fixed regular files.
	m.file("src/README.txt", 0o644, Text(opts.Seed+1, 3000))
	m.file(MixedDup, 0o644, []byte("first version of dup.txt\n"))
	m.file("data/empty", 0o644, nil)
	m.file("src/pkg/sub/.keep", 0o600, nil)
	m.file("data/size-511", 0o644, Incompressible(opts.Seed+2, 511))
	m.file("data/size-512", 0o644, Incompressible(opts.Seed+3, 512))
	m.file("data/size-513", 0o644, Incompressible(opts.Seed+4, 513))
	m.file("data/epoch", 0o644, []byte("modified at the epoch\n"))
	m.last().Header.ModTime = time.Unix(0, 0)
	m.file("data/future", 0o644, []byte("modified in 2100\n"))
	m.last().Header.ModTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	m.file("bin/suid", 0o4755, []byte("#!/bin/sh\necho setuid\n"))
	m.file("bin/sgid", 0o2755, []byte("#!/bin/sh\necho setgid\n"))
	m.file("bin/sticky", 0o1755, []byte("#!/bin/sh\necho sticky\n"))
	m.file("bin/all-bits", 0o7755, []byte("#!/bin/sh\necho all\n"))
	m.file(MixedUnicode, 0o644, []byte("こんにちは世界\n"))
	m.file("données/emoji-😀.txt", 0o644, []byte("😀\n"))
	m.file("données/каталог/файл.txt", 0o640, Text(opts.Seed+5, 700))
	m.file(MixedLongName, 0o644, Text(opts.Seed+6, 1500))
	m.file("deep/"+deepDirs[:122]+"splittable-long-name.txt", 0o644, Text(opts.Seed+7, 900))
	m.file(MixedLongest, 0o644, Text(opts.Seed+8, 2000))

	// Small files, with the big ones spread among them.
	smallDirs := []string{"src/", "src/pkg/", "src/pkg/sub/", "data/", "data/shared/", "données/"}
	modes := []int64{0o644, 0o644, 0o600, 0o664, 0o755, 0o444}
	firstSmall := ""
	big := 0
	for i := 0; i <= opts.SmallFiles; i++ {
		for big < opts.BigFiles && (big+1)*opts.SmallFiles <= i*(opts.BigFiles+1) {
			m.bigFile(opts, big)
			big++
		}
		if i == opts.SmallFiles {
			break
		}
		dir := smallDirs[m.r.IntN(len(smallDirs))]
		mode := modes[m.r.IntN(len(modes))]
		size := m.r.IntN(8193)
		seed := opts.Seed + 1000 + int64(i)
		if m.r.IntN(2) == 0 {
			m.file(fmt.Sprintf("%sfile-%04d.txt", dir, i), mode, Text(seed, size))
		} else {
			m.file(fmt.Sprintf("%sfile-%04d.bin", dir, i), mode, Incompressible(seed, size))
		}
		if firstSmall == "" {
			firstSmall = m.last().Header.Name
		}
	}
	for ; big < opts.BigFiles; big++ {
		m.bigFile(opts, big)
	}

	// Symbolic links, relative and inside the tree.
	m.symlink("links/readme", "../src/README.txt")
	m.symlink("links/pkg", "../src/pkg")
	m.symlink("links/longest", "../"+MixedLongest) // link target longer than 255 bytes
	m.symlink("src/pkg/sub/up", "../../README.txt")
	m.symlink("données/lien", "日本語.txt")

	// Hard links to earlier regular files.
	m.hardlink("links/hard-readme", "src/README.txt")
	m.hardlink("links/hard-suid", "bin/suid")
	m.hardlink("links/hard-longest", MixedLongest)
	if firstSmall != "" {
		m.hardlink("links/hard-small", firstSmall)
	}

	m.add(tar.Header{Typeflag: tar.TypeFifo, Name: MixedFifo, Mode: 0o644}, nil)

	// The duplicate: same name, different contents; this one wins.
	m.file(MixedDup, 0o644, MixedDupData)
	return m.entries
}

// mixer accumulates the entries of Mixed.
type mixer struct {
	r       *rand.Rand
	entries []Entry
}

// add appends an entry with a random owner and mtime.
func (m *mixer) add(h tar.Header, data []byte) {
	o := owners[m.r.IntN(len(owners))]
	h.Uid, h.Gid, h.Uname, h.Gname = o.uid, o.gid, o.uname, o.gname
	h.ModTime = time.Unix(1e9+m.r.Int64N(7e8), 0) // 2001 to 2023
	if h.Typeflag == tar.TypeReg {
		h.Size = int64(len(data))
	}
	m.entries = append(m.entries, Entry{Header: h, Data: data})
}

// last returns the entry added last, to adjust it.
func (m *mixer) last() *Entry { return &m.entries[len(m.entries)-1] }

func (m *mixer) dir(name string, mode int64) {
	m.add(tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode}, nil)
}

func (m *mixer) file(name string, mode int64, data []byte) {
	m.add(tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode}, data)
}

func (m *mixer) symlink(name, target string) {
	m.add(tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}, nil)
}

// hardlink adds a hard link to the earlier regular file target, with the
// target's mode, owner and mtime as tar writes them.
func (m *mixer) hardlink(name, target string) {
	var h tar.Header
	for _, e := range m.entries {
		if e.Header.Name == target {
			h = e.Header
		}
	}
	h.Typeflag, h.Name, h.Linkname, h.Size = tar.TypeLink, name, target, 0
	m.entries = append(m.entries, Entry{Header: h})
}

// bigFile adds big file number i: text, random or mostly zero bytes.
func (m *mixer) bigFile(opts MixedOptions, i int) {
	seed := opts.Seed + 100 + int64(i)
	switch i % 3 {
	case 0:
		m.file(fmt.Sprintf("big/big-%d.txt", i), 0o644, Text(seed, opts.BigSize))
	case 1:
		m.file(fmt.Sprintf("big/big-%d.bin", i), 0o644, Incompressible(seed, opts.BigSize))
	case 2:
		data := make([]byte, opts.BigSize)
		for off := 0; off < len(data); off += 64 << 10 {
			copy(data[off:], fmt.Sprintf("marker at %d\n", off))
		}
		m.file(fmt.Sprintf("big/big-%d.zero", i), 0o600, data)
	}
}
