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
// The package knows nothing of tar.
package gzseek
