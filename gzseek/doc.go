// Package gzseek reads gzip files once and then resumes decompression at
// saved points without reading what comes before them.
//
// A Scanner decompresses a gzip stream (one or more members, as written by
// gzip, pigz, pigz -i, bgzip and others) and reports Checkpoints: positions
// at deflate block boundaries, about every Span bytes of output, each with
// the compressed position in bits and the up-to-32 KiB window of output
// that precedes it. The start of every gzip member is a checkpoint that
// needs no window. Resume reopens the stream at any checkpoint given only
// an io.ReaderAt, and reads on to the end of the file, crossing member
// boundaries.
//
// Inflation is done by internal/inflate, our own deflate decoder, which
// reports the exact bit position of every block end and resumes at one
// given the bit offset and window. (klauspost/compress/flate has the same
// hooks, but its reported offset drifts after stored blocks, and our
// decoder is about twice as fast.) The tests resume at every checkpoint of
// files from every gzip producer, including ones full of stored blocks.
//
// Sparse windows (sparse.go, as rapidgzip has them): a Sparsifier decodes
// the WindowSize+258 bytes after a checkpoint with inflate.MarkerDecoder,
// whose output stands for each unknown window byte by a marker, and zeroes
// the window bytes whose markers never appear. No later back-reference can
// reach them: a match reaches at most WindowSize bytes back and is at most
// 258 long, and a copy of a copy is rebuilt from the bytes kept. Zeroed
// windows deflate to about a fifth (2.2 KiB against 9-10 KiB a checkpoint
// on a tar of the Go tree), which is what lets the index checkpoint every
// 1 MiB. It costs about 33 KiB of marker decoding a checkpoint and needs
// the compressed file again (an io.ReaderAt), so a stream keeps whole
// windows. The tests resume at every checkpoint of every producer with its
// sparse window too, and check that each byte kept is one the output
// copies.
//
// With ScanOptions.Jobs > 1 the Scanner decodes on several cores, the way
// rapidgzip does (parallel.go, piece.go). The compressed input is read in
// chunks of DefaultChunkSize. A worker decodes each chunk from a start it
// finds by trial: a gzip member header, or a deflate block found by
// internal/inflate's BlockFinder (a dynamic Huffman header valid in full,
// or a stored block with LEN == ^NLEN), confirmed by decoding a few blocks
// from it. Not knowing the 32 KiB before that start, it decodes with
// inflate.MarkerDecoder into 16-bit symbols whose markers stand for the
// unknown window bytes, until the last 32 KiB of output hold no marker,
// and then with the ordinary decoder. It stops at the first block boundary
// at or past the start of the next chunk. The resolver, inside Read, keeps
// the true position (where the decoding of everything before it ended) and
// the true window: it uses a worker's piece only if the piece starts
// exactly there (a stored block matches any of the bit offsets that its
// zero padding allows), replaces the markers from the window and checks
// every member's CRC-32 and ISIZE. Pieces of output are big (several chunk
// sizes) and fall out of the cache before the resolver reads them, so the
// workers touch each byte while it is hot: the decoder writes straight into
// the piece's buffer (inflate.Decoder.Append), each block end records the
// CRC-32 of the bytes decoded up to it, and the resolver joins those sums
// (internal/crc) instead of reading the bytes again; it reads plain output
// only to copy a checkpoint's window and to hand it to Read. Otherwise it decodes sequentially from
// the true position up to the next piece's start, so a false start costs
// time, never wrong bytes. Checkpoints are chosen by the resolver from all
// the block ends the pieces report, with the same rule as the sequential
// scan, so both give the same checkpoints. After false starts in a row
// (as for gzip files stored inside the archive, whose deflate blocks look
// real), or pieces cut short because their markers persisted past a bound
// (copies of tar headers' zeros can carry markers on for ever), the
// workers back off for a growing number of chunks. Speculation costs more
// CPU than decoding in order, so it is paced (pace.go): while the resolver
// decodes in order and the process already keeps every core busy (the
// index of a million small members on two cores), no worker starts; nor
// while the caller spends more than a fifth of its time between Reads
// (file writes slower than the inflating), nor in the first 50 ms of
// Reads, which tell which of the two it is. Held back for long, the scan
// lets its pieces' buffers go.
// Memory: the chunks in flight, a piece of output (at most eight chunk
// sizes) and of marked symbols per worker and per piece waiting, and
// pooled buffers, sized in powers of two so that they are reused.
//
// The package knows nothing of tar.
package gzseek
