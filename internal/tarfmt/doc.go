// Package tarfmt reads tar streams the way GNU tar 1.34 reads them.
//
// It is our own header reader (not a pre-pass that patches headers for
// archive/tar), because several of GNU tar's readings cannot be expressed
// as an in-place patch of the bytes archive/tar sees:
//
//   - a PAX header with a huge unknown record (archive/tar refuses special
//     headers over 1 MiB; shrinking the header would move every offset
//     after it, and the index records offsets in the real stream);
//   - a GNU sparse member whose stored data is longer than its map (the
//     extra bytes must be skipped, which archive/tar refuses to do);
//   - a lone zero block followed by other bytes (GNU tar stops there with a
//     warning; archive/tar fails);
//   - numeric fields, which GNU tar parses differently (one leading NUL
//     skipped, then blanks, then octal digits up to the first other byte:
//     "\x00\x0000016" is 0, not 14), and header-only types (GNU tar skips
//     the data of a symbolic link, a device or a FIFO whose size field is
//     not zero, never that of a hard link or a directory).
//
// Reading the headers ourselves also gives the offsets of every header and
// of the data directly, without counting bytes around archive/tar. The
// reader still produces archive/tar's [tar.Header], so the rest of tarx
// and its index keep one vocabulary.
//
// What it reads: V7, USTAR, star's atime/ctime, GNU (long names and links,
// old sparse with extension blocks, base-256 numbers), PAX and Solaris
// extended headers (type 'x' and 'X'; unknown keywords are skipped with
// GNU tar's warning), GNU PAX sparse formats 0.0, 0.1 and 1.0. Where GNU
// tar would fail (bad checksum, bad number, truncation) or would produce
// bytes we cannot vouch for (a sparse map that is unsorted, overlapping,
// longer than the stored data or ending before the file's size), Next or
// Read fail: tarx never returns other bytes than GNU tar.
//
// Global extended headers ('g') apply to every later member, before its
// own records, as in GNU tar (archive/tar ignores them). A global header
// that sets a member's path, size or sparse map is refused: tarx reads
// one member from the middle of the stream, where those could not be
// known.
//
// A stream that can lend its bytes (Lender; index's pipe from the
// decompressor) is read without copying where the reader only looks:
// skipped contents and padding, and contents handed to WriteTo, which is
// how an index build checksums every member (header blocks are copied
// once, into the Reader).
//
// The type rules of GNU tar's extraction (unknown types are regular files
// with a notice, 'D' is a directory, 'V' is ignored, 'M' cannot be
// extracted) live here too, so every path of tarx applies the same ones.
package tarfmt
