// Package mount serves an indexed tar.gz archive as a read-only FUSE file
// system (github.com/hanwen/go-fuse/v2), showing what extracting it with
// tar -xzf would leave.
//
// Names, lookups and listings come from the archive's io/fs.FS
// (index.Archive.FS), so the mount shows the tree the index owns: the
// last member of a path wins, implied directories exist, names are
// cleaned as extraction cleans them and unsafe ones are left out. Each
// member is an inode numbered by its sequence number; a hard link is its
// target's inode, and link counts are computed when the file system is
// mounted from the hard links alone, so memory grows with the hard links,
// not the members. Extended attributes come from PAX records
// (SCHILY.xattr.* and LIBARCHIVE.xattr.*).
//
// Reads go through a fixed pool of index.RangeReaders (decoders): a read
// takes the decoder whose stream stops where the read starts, so a
// sequential reader keeps its decoder, or else the least recently used
// one, which resumes at one checkpoint. Every byte is proven by the index
// against its 64 KiB block's CRC-32 before it is served; a read of a
// corrupt block fails with EIO and one log line. The archive is
// immutable, so attributes, entries and file contents are cached by the
// kernel for a long time (keep_cache).
//
// The package knows nothing of deflate. It builds on Linux; elsewhere
// Serve returns ErrUnsupported.
package mount
