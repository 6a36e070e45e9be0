// Package index builds, opens and reads the tarx index of a tar.gz archive.
//
// One pass over the archive (a gzseek.Scanner feeding archive/tar, on
// separate goroutines, with a third storing results) records gzip
// checkpoints and every tar member into a bbolt file. The file is built
// under a temporary name beside its final place, synced and renamed, so a
// reader never sees half an index; the builder holds an exclusive flock on
// the archive so concurrent processes build it once.
//
// Schema (FormatVersion 1). Keys sort as big-endian integers.
//
//	meta         "version"  uint32 FormatVersion
//	             "identity" JSON Identity: size, mtime, SHA-256 of first and last 64 KiB,
//	                        and (optional "etag") the ETag of a remote archive
//	             "info"     JSON Info: sizes, counts, span, build time
//	checkpoints  u64 Out -> uvarint In, byte Bit, uvarint Member, byte MemberStart,
//	                        window (gzseek.WindowCodec: encoding byte + deflate)
//	members      u64 first Seq -> byte 1, deflate(512 records); a record is
//	                        version, type, format, uvarint deltas of the header
//	                        offset (from the previous record's data end), data
//	                        offset and data end, CRC-32, flags, then the tar
//	                        header fields and PAX records
//	names        FNV-1a-64(name) -> uvarint Seq... of members with that hash
//
// An index whose identity differs from the archive's, or whose version
// differs, is rebuilt on open. A remote archive (remote.go) is read
// through a remote.Object; its index is found beside it, in the user
// cache, or built by streaming it once. The package knows nothing of the file
// system members are extracted into.
package index
