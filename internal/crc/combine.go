// Package crc combines CRC-32 (IEEE) checksums of consecutive pieces of
// data, so that a file written in pieces by several workers can be checked
// against the checksum of the whole. hash/crc32 has no combine function;
// this is the GF(2) operator method zlib documents for crc32_combine.
package crc

import "hash/crc32"

// gf2Times multiplies the 32x32 bit matrix mat by the vector vec.
func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

// gf2Square sets sq to mat*mat.
func gf2Square(sq, mat *[32]uint32) {
	for i := range 32 {
		sq[i] = gf2Times(mat, mat[i])
	}
}

// Combine returns the CRC-32 (IEEE) of A followed by B, given the CRC of
// A, the CRC of B and the length of B.
func Combine(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	var even, odd [32]uint32
	// odd: the operator for one zero bit.
	odd[0] = crc32.IEEE
	for i := 1; i < 32; i++ {
		odd[i] = 1 << (i - 1)
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	// Apply len(B) zero bytes to crcA: square the operator for each bit
	// of lenB, starting at one byte (eight bits).
	for {
		gf2Square(&even, &odd)
		if lenB&1 != 0 {
			crcA = gf2Times(&even, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
		gf2Square(&odd, &even)
		if lenB&1 != 0 {
			crcA = gf2Times(&odd, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}
