package inflate

import (
	"encoding/binary"
	"io"
)

// maxDynamicHeader bounds the bytes a dynamic block header can occupy:
// 17 bits, 19 3-bit code length code lengths and 316 code lengths of at
// most 7+7 bits each.
const maxDynamicHeader = (17 + 19*3 + 316*14 + 7) / 8

// A BlockFinder looks for deflate block boundaries in data that starts at
// an unknown position, the way a parallel decoder finds where to start in
// a chunk of a stream. It finds two kinds of blocks: a non-final dynamic
// Huffman block whose header is entirely valid (code counts in range,
// complete code length, literal/length and distance codes, an end-of-block
// code), and a non-final stored block whose padding is zero and whose LEN
// is the complement of NLEN. Fixed Huffman blocks are not looked for: their
// 3-bit header says too little. Every real boundary of those two kinds is
// found; a false one can be found too, and the caller must confirm a
// candidate by decoding from it.
//
// A BlockFinder reuses its tables; it is not safe for concurrent use.
type BlockFinder struct {
	d Decoder
}

// Find returns the first bit offset in [from, to) of data at which one of
// the blocks it looks for starts. For a stored block, every bit offset
// from bit to StoredEnd(bit) starts the same block (they differ only in how
// much zero padding they skip).
func (f *BlockFinder) Find(data []byte, from, to int64) (bit int64, stored, ok bool) {
	to = min(to, int64(len(data))*8)
	for b := max(from, 0); b < to; b++ {
		v := loadBits(data, b)
		switch v & 7 {
		case 4: // BFINAL 0, BTYPE 2
			hlit, hdist, hclen := v>>3&31, v>>8&31, v>>13&15
			if hlit > 29 || hdist > 29 {
				continue
			}
			cl := loadBits(data, b+17)
			sum := 0
			for k := range hclen + 4 {
				if l := cl >> (3 * k) & 7; l != 0 {
					sum += 128 >> l
				}
			}
			if sum == 128 && f.validDynamic(data, b) {
				return b, false, true
			}
		case 0: // BFINAL 0, BTYPE 0
			m := (b + 3 + 7) / 8
			if pad := uint(8*m - b - 3); v>>3&(1<<pad-1) != 0 {
				continue
			}
			if m+4 > int64(len(data)) {
				continue
			}
			n := binary.LittleEndian.Uint16(data[m:])
			if nn := binary.LittleEndian.Uint16(data[m+2:]); n == ^nn {
				return b, true, true
			}
		}
	}
	return 0, false, false
}

// StoredEnd returns the last bit offset that starts the same stored block
// as bit: the header's three bits must end in the byte before LEN.
func StoredEnd(bit int64) int64 {
	return (bit+3+7)/8*8 - 3
}

// validDynamic reports whether a complete, valid dynamic block header
// starts at bit b of data.
func (f *BlockFinder) validDynamic(data []byte, b int64) bool {
	d := &f.d
	start := b >> 3
	d.in = data[start:min(int64(len(data)), start+maxDynamicHeader+1)]
	d.ip, d.consumed, d.inErr = 0, 0, io.EOF
	d.bits, d.nb = 0, 0
	if d.need(uint(b&7)) != nil {
		return false
	}
	d.drop(uint(b & 7))
	return d.header() == nil && d.state == stateHuffman
}

// loadBits returns the 57 or more bits of data from bit offset b on, the
// first lowest, with zeros past the end of data.
func loadBits(data []byte, b int64) uint64 {
	i := b >> 3
	if i+8 <= int64(len(data)) {
		return binary.LittleEndian.Uint64(data[i:]) >> (b & 7)
	}
	var buf [8]byte
	if i < int64(len(data)) {
		copy(buf[:], data[i:])
	}
	return binary.LittleEndian.Uint64(buf[:]) >> (b & 7)
}
