package gzseek

// crcPoly is the CRC-32 (IEEE) polynomial, bit-reversed as hash/crc32
// uses it.
const crcPoly = 0xedb88320

// crcCombine returns the CRC-32 (IEEE) of A followed by B, given the CRC of
// A, the CRC of B and the length of B. The parallel scan checksums each
// piece's bytes in the worker that decodes them, while they are in cache,
// and joins the sums in order in the resolver. hash/crc32 has no such
// function, so it is written here: appending n zero bytes to A multiplies
// its CRC by x^(8n) modulo the polynomial, and B's CRC is added (the
// pre- and post-conditioning of the two sums cancel out).
func crcCombine(a, b uint32, n int64) uint32 {
	if n <= 0 {
		return a
	}
	// p = x^(8n) mod P, by squaring: sq runs through x^(8*2^k).
	p, sq := uint32(1)<<31, uint32(1)<<23 // x^0 and x^8
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			p = crcMul(p, sq)
		}
		sq = crcMul(sq, sq)
	}
	return crcMul(p, a) ^ b
}

// crcMul multiplies two polynomials modulo crcPoly, in the reflected bit
// order (the highest bit is x^0).
func crcMul(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ crcPoly
		} else {
			b >>= 1
		}
	}
	return p
}
