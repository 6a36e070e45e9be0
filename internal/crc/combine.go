// Package crc combines CRC-32 (IEEE) checksums of consecutive pieces of
// data, so that data checksummed in pieces (by extraction's workers, by the
// parallel scan's decoders while the bytes are in cache) can be checked
// against the checksum of the whole. hash/crc32 has no combine function, so
// it is written here.
//
// Appending n zero bytes to A multiplies its CRC by x^(8n) modulo the
// polynomial, and B's CRC is then added (the pre- and post-conditioning of
// the two sums cancel out). x^(8n) is found by squaring, so a combine costs
// about 2·log2(n) multiplications of 32 steps each.
package crc

// poly is the CRC-32 (IEEE) polynomial, bit-reversed as hash/crc32 uses it.
const poly = 0xedb88320

// Combine returns the CRC-32 (IEEE) of A followed by B, given the CRC of
// A, the CRC of B and the length of B.
func Combine(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	// p = x^(8n) mod P, by squaring: sq runs through x^(8*2^k).
	p, sq := uint32(1)<<31, uint32(1)<<23 // x^0 and x^8
	for n := lenB; n > 0; n >>= 1 {
		if n&1 != 0 {
			p = mul(p, sq)
		}
		sq = mul(sq, sq)
	}
	return mul(p, crcA) ^ crcB
}

// mul multiplies two polynomials modulo poly, in the reflected bit order
// (the highest bit is x^0).
func mul(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ poly
		} else {
			b >>= 1
		}
	}
	return p
}
