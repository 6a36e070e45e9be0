// Package testarchive builds tar and tar.gz archives for tests.
//
// Entries are described as [Entry] values (a [tar.Header] and its contents).
// [Mixed] returns a deterministic set of entries that exercises the corners
// of the tar format; [Tar] writes entries with archive/tar and [Read] reads
// them back. [Gzip] compresses bytes in one of several styles ([Style])
// that differ in gzip member and deflate block layout, and [External] does
// the same with real compressors such as pigz, bgzip or zopfli.
// [WriteTree] materializes entries on disk so that [TarTool] can archive
// them with GNU tar or bsdtar, and [GNUSparse] makes sparse archives with
// GNU tar. [RawTar] writes tar streams byte by byte, for what archive/tar
// cannot write, and [GNUCases] are such streams that GNU tar reads and
// archive/tar refuses or misreads (issue 13).
//
// Helpers that need a program that is not installed skip the test with
// tb.Skip. Helpers report other failures with tb.Fatal, so they must be
// called from the goroutine running the test.
package testarchive
