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
// Inflation is done by github.com/klauspost/compress/flate, whose block-end
// callback and resume option exist for exactly this. Its reported
// compressed offset drifts after stored blocks (it counts 0-3 bytes of the
// stored block header twice), so the Scanner does not trust it across
// stored blocks: it reads each block's header itself, computes the end of
// every stored block from its LEN field, and uses the library's figure
// only as a delta across Huffman blocks, where it is exact. The tests
// resume at every checkpoint of archives full of stored blocks.
//
// The package knows nothing of tar.
package gzseek
