// Package mount serves an indexed tar.gz archive as a read-only FUSE file
// system (github.com/hanwen/go-fuse/v2), showing what extracting it with
// tar -xzf would leave.
//
// Names come from the tree the index owns: the last member of a path
// wins, implied directories exist, names are cleaned as extraction cleans
// them and unsafe ones are left out. A lookup is one index.Archive.Stat
// and one member record (the kernel resolves symbolic links itself, so
// nothing is resolved from the top). An open directory is listed once,
// at its first READDIR: one index ReadDir and the members of its entries
// decoded together (index.Archive.MembersOf, a chunk of records at a
// time), keeping each entry's name, type and inode number, which is all
// a READDIR answers; later READDIRs of the handle answer from it at the
// offset the kernel asks. The last few listings are kept, so that the
// lookups that follow a listing (ls -l, diff -r) search it rather than
// the tree. The kernel asks for READDIRPLUS (entries with attributes) in
// the first reply of every listing; a directory of at most plusEntries
// (256) entries is answered with attributes, sparing ls -l a lookup per
// entry, a bigger one with plain entries (node ID 0), since a reply holds
// only the first ~150 of them and the attributes would cost go-fuse and
// the kernel an inode per entry that find never uses. Listings may be
// kept by the kernel (FOPEN_CACHE_DIR). A node keeps its member's sequence number and
// where its data lies; attributes, link targets and xattrs come from the
// index when asked, so the memory of a mount is go-fuse's inodes plus the
// caches below. Each member is an inode numbered by its sequence number;
// a hard link is its target's inode, and link counts are computed when
// the file system is mounted from the hard links alone, so memory grows
// with the hard links, not the members. Extended attributes come from PAX
// records (SCHILY.xattr.* and LIBARCHIVE.xattr.*).
//
// Reads of contiguous members (all but sparse ones) are served from a
// cache of verified 64 KiB blocks of the decompressed stream, shared by
// all files and bounded (Options.CacheSize, least recently used dropped
// first), which a fixed number of decoders (index.RangeReaders, each in
// its own goroutine) fill: a missing block is decoded by the decoder
// already heading for it, or by an idle one whose stream stops at most a
// span before it, or else by one that resumes at the checkpoint before
// it, and every block a decoder passes is cached (the neighbouring files
// diff -r or a build reads next). A sequential reader gets 4 MiB decoded
// past its reads in the background, so it finds its blocks ready while
// the previous ones travel to the kernel: span by span, on as many
// decoders at once as there are cores (each further span resumed at its
// checkpoint), so that one reader's file is decoded on all cores; the
// buffers of evicted blocks are reused. Replies are written from the
// cached blocks with one writev, without a copy. Mounted as root, the
// mount's read-ahead is raised from the kernel's 128 KiB to 1 MiB (sysfs
// read_ahead_kb of its backing device; FUSE's INIT can only lower it), so
// a sequential reader costs a READ every 1 MiB.
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
