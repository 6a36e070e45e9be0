// Package mount serves an indexed tar.gz archive as a read-only FUSE file
// system (github.com/hanwen/go-fuse/v2), showing what extracting it with
// tar -xzf would leave.
//
// Names come from the tree the index owns: the last member of a path
// wins, implied directories exist, names are cleaned as extraction cleans
// them and unsafe ones are left out. A lookup is one index.Archive.Stat
// and one member record (the kernel resolves symbolic links itself, so
// nothing is resolved from the top); a listing is the archive's io/fs.FS
// ReadDir, which reads a directory's members in one pass. Each
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
