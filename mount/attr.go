package mount

import (
	"archive/tar"
	"encoding/base64"
	"hash/fnv"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tarx-dev/tarx/index"
)

// Unix file types, as in stat's st_mode.
const (
	sIFMT   = 0o170000
	sIFSOCK = 0o140000
	sIFLNK  = 0o120000
	sIFREG  = 0o100000
	sIFBLK  = 0o060000
	sIFDIR  = 0o040000
	sIFCHR  = 0o020000
	sIFIFO  = 0o010000
)

// rootIno is the inode number of the top directory.
const rootIno = 1

// inoOf returns the inode number of a member, or of the implied
// directory at path p when m is nil. Members are numbered by sequence
// number; implied directories by a hash of their path with the top bit
// set, so the two never meet.
func inoOf(m *index.Member, p string) uint64 {
	if m != nil {
		return uint64(m.Seq) + 2
	}
	if p == "." {
		return rootIno
	}
	h := fnv.New64a()
	h.Write([]byte(p))
	return h.Sum64() | 1<<63
}

// attr is what stat shows of a node.
type attr struct {
	ino        uint64
	mode       uint32 // type and permission bits
	size       int64
	blocks     uint64 // 512-byte units allocated
	nlink      uint32
	uid, gid   uint32
	rdev       uint32
	mtime      time.Time
	atime      time.Time
	ctime      time.Time
	linkTarget string
}

// memberAttr returns the attributes of member m, as tar -xzf leaves them.
func memberAttr(m *index.Member, nlink uint32) attr {
	h := &m.Header
	a := attr{
		ino:   inoOf(m, ""),
		mode:  uint32(h.Mode) & 0o7777,
		nlink: nlink,
		uid:   uint32(h.Uid),
		gid:   uint32(h.Gid),
		mtime: h.ModTime,
		atime: h.AccessTime,
		ctime: h.ChangeTime,
	}
	if a.atime.IsZero() {
		a.atime = a.mtime
	}
	if a.ctime.IsZero() {
		a.ctime = a.mtime
	}
	a.mode |= fileType(h.Typeflag)
	switch h.Typeflag {
	case tar.TypeDir, tar.TypeFifo:
	case tar.TypeSymlink:
		a.mode = sIFLNK | 0o777
		a.size = int64(len(h.Linkname))
		a.linkTarget = h.Linkname
	case tar.TypeChar, tar.TypeBlock:
		a.rdev = mkdev(h.Devmajor, h.Devminor)
	default:
		a.size = h.Size
		stored := h.Size
		if m.Sparse {
			stored = m.DataEnd - m.DataOffset
		}
		a.blocks = uint64(stored+511) / 512
	}
	return a
}

// fileType returns the file type bits of a member of type flag t, as
// extraction creates it (hard links are resolved before).
func fileType(t byte) uint32 {
	switch t {
	case tar.TypeDir:
		return sIFDIR
	case tar.TypeSymlink:
		return sIFLNK
	case tar.TypeChar:
		return sIFCHR
	case tar.TypeBlock:
		return sIFBLK
	case tar.TypeFifo:
		return sIFIFO
	}
	return sIFREG // regular files, and the types extraction writes as such
}

// dirAttr returns the attributes of a directory implied by the members
// under it (mode 0755, owner 0:0, the mtime of its newest member).
func dirAttr(p string, mtime time.Time) attr {
	return attr{ino: inoOf(nil, p), mode: sIFDIR | 0o755, nlink: 1, mtime: mtime, atime: mtime, ctime: mtime}
}

// mkdev encodes a device number as Linux's new_encode_dev does for the
// 32-bit rdev of FUSE.
func mkdev(major, minor int64) uint32 {
	ma, mi := uint32(major), uint32(minor)
	return (mi & 0xff) | (ma&0xfff)<<8 | (mi&^0xff)<<12
}

// xattrs returns the extended attributes of h from its PAX records:
// SCHILY.xattr.NAME (GNU tar, star) with the raw value, and
// LIBARCHIVE.xattr.NAME (bsdtar) with a URL-encoded name and a base64
// value. Names come back sorted.
func xattrs(h *tar.Header) (names []string, values map[string][]byte) {
	for k, v := range h.PAXRecords {
		var name string
		var val []byte
		switch {
		case strings.HasPrefix(k, "SCHILY.xattr."):
			name, val = k[len("SCHILY.xattr."):], []byte(v)
		case strings.HasPrefix(k, "LIBARCHIVE.xattr."):
			n, err := url.QueryUnescape(k[len("LIBARCHIVE.xattr."):])
			if err != nil {
				continue
			}
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				if b, err = base64.RawStdEncoding.DecodeString(v); err != nil {
					continue
				}
			}
			name, val = n, b
		default:
			continue
		}
		if name == "" {
			continue
		}
		if values == nil {
			values = map[string][]byte{}
		}
		if _, dup := values[name]; !dup {
			names = append(names, name)
		}
		values[name] = val
	}
	slices.Sort(names)
	return names, values
}
