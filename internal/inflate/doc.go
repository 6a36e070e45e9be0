// Package inflate decompresses raw DEFLATE streams (RFC 1951) and reports
// the exact position of every block boundary, so that decompression can
// later resume at a boundary given only its bit offset and the 32 KiB of
// output before it.
//
// Design, in short:
//
//   - Input is read through bufio.Reader.Peek and Discard. A byte is
//     discarded only once the decoder has used some of its bits, so after
//     the final block the reader is positioned on the first byte after the
//     stream.
//   - Bits are kept in a 64-bit buffer that the fast loop refills eight
//     bytes at a time. When fewer than 8 bytes are buffered, the decoder
//     asks br for more (one fill, which waits for at least one byte); after
//     io.EOF a careful path decodes the rest a byte at a time, so a stream
//     may end exactly at the end of the input.
//   - Huffman codes are decoded with a primary lookup table (11 bits for
//     literal/length, 8 for distance) and subtables for longer codes. An
//     entry packs the literal byte or the length/distance base, the code
//     length and the number of extra bits, so one lookup yields a whole
//     length (or distance) with one shift and mask.
//   - Output goes into one buffer: 32 KiB of history, then room for 256 KiB
//     of new output. Back-references are copied inside it eight bytes at a
//     time (the buffer has slack for the overrun). When the room is used up
//     and Read has copied everything out, the last 32 KiB slide to the front.
//     Append instead decodes straight into the caller's buffer, through a
//     view of it shaped like that buffer (32 KiB of window, then room): a
//     "slide" moves the view, not the bytes, so the output is written once.
//     Until the caller's buffer holds a whole window (after a preset one),
//     Append copies out of the decoder's own buffer as Read does.
//   - The fast loop runs while at least 8 input bytes and 258 bytes of output
//     room remain; it reads the tables and buffers through local variables.
//   - For a parallel first pass, MarkerDecoder decodes from a block boundary
//     whose 32 KiB of history are unknown, into uint16 symbols where
//     MarkerBase+i stands for byte i of that window, one block per call; and
//     BlockFinder finds candidate boundaries (dynamic headers that are valid
//     in full, stored blocks with LEN == ^NLEN) in data that starts at an
//     unknown bit. MarkerDecoder shares the input, header and table code but
//     has its own symbol loop: a loop generic over the output type would put
//     the byte decoder's fast path at risk for a mode used only briefly at
//     the start of each chunk.
package inflate
