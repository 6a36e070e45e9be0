// Package index builds, opens and reads the tarx index of a tar archive,
// gzip-compressed or plain.
//
// One pass over the archive (a decoder feeding internal/tarfmt, on
// separate goroutines, with a third storing results) records gzip
// checkpoints and every tar member into a bbolt file. The decoder hands
// the parser 1 MiB buffers; the parser borrows their bytes
// (tarfmt.Lender) to checksum members and skip padding instead of
// copying them, and the block sums run 64 KiB ahead of it, so a byte is read from
// cache by both; the writer commits every 8 MiB of values, which bounds
// what bbolt holds. Per member, what is left is the header parse, two
// CRC-32 passes (member and block), one record and one tree record. The compression is
// told from the archive's first bytes, as GNU tar tells it, never from
// its name (compression.go): the decoder of a tar.gz is a gzseek.Scanner,
// that of a plain tar the bytes themselves. An open Archive reads its tar
// stream through one storage that resumes gzip at a checkpoint or reads a
// plain tar at the offset itself, and whose spans (where extraction's
// workers start) are the checkpoints or, for a plain tar, every Span
// bytes; nothing else in the package asks which it has. The file is built
// under a temporary name beside its final place, synced and renamed, so a
// reader never sees half an index; the builder holds an exclusive flock on
// the archive so concurrent processes build it once.
//
// Schema (FormatVersion 4). Keys sort as big-endian integers. Offsets of
// members and blocks are in the tar stream: the decompressed stream of a
// tar.gz, the file itself for a plain tar.
//
//	meta         "version"  uint32 FormatVersion
//	             "identity" JSON Identity: size, mtime, SHA-256 of first and last 64 KiB,
//	                        and (optional "etag") the ETag of a remote archive
//	             "info"     JSON Info: compression, sizes, counts, span, build time
//	checkpoints  u64 Out -> uvarint In, byte Bit, uvarint Member, byte MemberStart,
//	                        window (gzseek.WindowCodec: encoding byte + deflate;
//	                        sparse, gzseek.SparseWindow, if Info "sparse_windows");
//	                        empty for a plain tar
//	members      u64 first Seq -> byte 2, S2(512 records); a record is
//	                        version, type, format, uvarint deltas of the header
//	                        offset (from the previous record's data end), data
//	                        offset and data end, CRC-32, flags, then the tar
//	                        header fields and PAX records
//	tree         DIR 0x00 FIRSTNAME -> byte 2, S2(up to 256 entries of the
//	                        directory DIR, "" for the top, sorted by name); an
//	                        entry is uvarint-length name, kind (1 member, 2
//	                        implied directory), flags (1 directory), varint
//	                        mtime of an implied directory (newest beneath),
//	                        uvarint count and delta-coded Seqs of the members
//	                        with that path (the last one wins)
//	superseded   u64 first Seq -> 512-byte bitmap of the 4096 members from
//	                        first that a later member replaces (runs with none
//	                        are not stored)
//	blocks       u64 first block -> big-endian CRC-32 of each BlockSize (64 KiB)
//	                        block of the tar stream from that one,
//	                        1024 a value (the last block may be short; an
//	                        empty stream has one empty value); RangeReader
//	                        checks every block a read covers
//	links        u64 Seq -> empty, for every hard-link member (HardLinks)
//
// Paths in the tree are member names cleaned by internal/tarname, as
// extraction creates them; names it refuses (".." or NUL) are not in the
// tree and Info.UnsafeNames counts them. A build collects the tree as
// records sorted in runs of 8 MiB, spilled to a scratch file beside the
// index (INDEX.tmp-*.tree) and merged at the end (treesort.go), so its
// memory does not grow with the member count; records that arrive in key
// order (an archive written in sorted order) form runs of their own that
// need no sort.
//
// Version history. 1: checkpoints, members, and a names bucket
// (FNV-1a-64 of the stored name -> Seqs). 2, one landing (issues 12-16):
// the names bucket is replaced by the tree and the superseded bitmaps, and
// names are looked up as extraction cleans them; blocks (CRC-32 per 64 KiB
// of the stream) and links are new; Identity gains "etag" (remote
// archives), Info gains "unsafe_names", "sparse_windows" (windows with the
// bytes nothing reaches zeroed; same encoding) and "warnings" (GNU tar's
// warnings of the build, replayed on open); member records are read by
// internal/tarfmt, so Header.Format is the dialect tarfmt read, a hard
// link's size is 0, and sizes of symlinks, directories and FIFOs are the
// header's size field. 3 (issue 18): plain tar archives; Info gains
// "compression" ("gzip", or "none" for a plain tar, whose index has no
// checkpoints and whose UncompressedSize is the file's size). The version
// changes so that a tarx of version 2 rebuilds a plain tar's index (and
// then refuses the archive) rather than read it as one of gzip; an index
// of version 2 is rebuilt. 4 (issue 14): the same buckets, but a build
// makes its windows sparse by default (Info "sparse_windows" true unless
// BuildOptions.FullWindows, or the archive is read as a stream) and
// checkpoints every DefaultSpan (1 MiB; DefaultStreamSpan, 4 MiB, when
// the windows stay whole, and for a plain tar as before). On the Go
// tree archive that is 206 checkpoints with 443 KiB of windows instead
// of 57 with 514 KiB, the index 2.15% of the archive instead of 2.05%,
// and a get inflates a quarter as much before its member. A version-3
// reader could read such an index; the version changes so that indexes
// of 3 are rebuilt in the denser form. 5 (issue 12, build throughput):
// member and tree chunks are S2 blocks (github.com/klauspost/compress/s2,
// encoding byte 2) instead of deflate (byte 1): deflate took a seventh of
// the build's CPU on a million small members, S2 a quarter of that, and
// it decodes faster for ls, get and extraction's planning; the index of
// the 1M-member bench archive grows from 26 to 34 bytes a member. An
// index of version 4 is rebuilt.
//
// An index whose identity differs from the archive's, or whose version
// differs, is rebuilt on open. A remote archive (remote.go) is read
// through a remote.Object; its index is found beside it, in the user
// cache, or built by streaming it once. The package knows nothing of the file
// system members are extracted into.
package index
