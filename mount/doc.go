// Package mount serves an indexed tar.gz archive as a read-only FUSE file
// system (github.com/hanwen/go-fuse/v2), showing what extracting it with
// tar -xzf would leave.
//
// Names come from the tree the index owns: the last member of a path
// wins, implied directories exist, names are cleaned as extraction cleans
// them and unsafe ones are left out. A lookup is one index.Archive.Stat
// and one member record (the kernel resolves symbolic links itself, so
// nothing is resolved from the top); a listing is one index ReadDir, and
// each entry's attributes are computed as go-fuse takes the entry, the
// last one kept for the lookup READDIRPLUS makes of it next. The kernel
// asks for READDIRPLUS only where lookups follow (CAP_READDIRPLUS_AUTO):
// find gets names alone, and neither the kernel nor go-fuse makes an
// inode per file. A node keeps its member's sequence number and where its
// data lies; attributes, link targets and xattrs come from the index when
// asked, so the memory of a mount is go-fuse's inodes plus the cache
// below. Each member is an inode numbered by its sequence number; a hard
// link is its target's inode, and link counts are computed when the file
// system is mounted from the hard links alone, so memory grows with the
// hard links, not the members. Extended attributes come from PAX records
// (SCHILY.xattr.* and LIBARCHIVE.xattr.*).
//
// Reads of contiguous members (all but sparse ones) are served from a
// cache of verified 64 KiB blocks of the decompressed stream, shared by
// all files and bounded (Options.CacheSize, least recently used dropped
// first), which a fixed number of decoders (index.RangeReaders, each in
// its own goroutine) fill: a missing block is decoded by the decoder
// already heading for it, or by an idle one whose stream stops at most a
// span before it, or else by one that resumes at the checkpoint before
// it, and every block a decoder passes is cached (the neighbouring files
// diff -r or a build reads next). A decoder whose stream a read continues
// decodes 4 MiB past it in the background, so a sequential reader finds
// its blocks ready while the previous ones travel to the kernel. Replies
// are written from the cached blocks with one writev, without a copy.
// Sparse members, rebuilt by archive/tar from their headers, go through a
// small pool of decoders that keep their place in a member. Every byte
// is proven by the index against its 64 KiB block's CRC-32 before it is
// served; a read of a corrupt block fails with EIO and one log line. The
// archive is immutable, so attributes, entries and file contents are
// cached by the kernel for a long time (keep_cache), and the kernel opens
// files without asking (FUSE_NO_OPEN_SUPPORT) and sends no FLUSH.
//
// The package knows nothing of deflate. It builds on Linux; elsewhere
// Serve returns ErrUnsupported.
package mount
