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
//	             "identity" JSON Identity: size, mtime, SHA-256 of first and last 64 KiB
//	             "info"     JSON Info: sizes, counts, span, build time
//	checkpoints  u64 Out -> uvarint In, byte Bit, uvarint Member, byte MemberStart,
//	                        window (gzseek.WindowCodec: encoding byte + deflate)
//	members      u64 first Seq -> byte 1, deflate(512 records); a record is
//	                        version, type, format, uvarint deltas of the header
//	                        offset (from the previous record's data end), data
//	                        offset and data end, CRC-32, flags, then the tar
//	                        header fields and PAX records
//	names        FNV-1a-64(name) -> uvarint Seq... of members with that hash
//	blocks       u64 first block -> big-endian CRC-32 of each BlockSize (64 KiB)
//	                        block of the decompressed stream from that one,
//	                        1024 a value (the last block may be short; an
//	                        empty stream has one empty value); RangeReader
//	                        checks every block a read covers
//
// An index whose identity differs from the archive's, or whose version
// differs, is rebuilt on open. The package knows nothing of the file
// system members are extracted into.
package index
