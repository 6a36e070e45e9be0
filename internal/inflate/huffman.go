package inflate

import "math/bits"

// A table entry is a uint32:
//
//	bits 0-4    number of input bits the entry consumes: code length plus
//	            extra bits (for a subtable pointer: the primary table bits)
//	bit  5      flagSub: the entry points to a subtable
//	bit  6      flagExc: end of block (value 0) or an invalid code (value 1)
//	bit  7      flagLit: a literal byte
//	bits 8-11   code length, i.e. where the extra bits start (for a subtable
//	            pointer: the number of bits indexing the subtable)
//	bits 16-31  value: literal byte, length or distance base, code length
//	            code symbol, or subtable start
//
// Subtable entries count their code length from the end of the primary
// bits, which the decoder drops before the subtable lookup.
const (
	flagSub = 1 << 5
	flagExc = 1 << 6
	flagLit = 1 << 7

	litBits       = 11 // primary table bits for literal/length codes
	distBits      = 8  // primary table bits for distance codes
	clBits        = 7  // code length codes are at most 7 bits long
	litTableSize  = 4096
	distTableSize = 1024

	// invalidEntry fills the unused half of a degenerate one-code table.
	invalidEntry = flagExc | 1 | 1<<8 | 1<<16
)

// Table sizes: a subtable of depth k holds at least k+1 codes, so it costs at
// most 2^k/(k+1) entries per code. For literal/length codes (at most 286
// codes, depth at most 15-11 = 4) that is 286*16/5 < 1024 entries besides
// the 2048 primary ones; for distance codes (30 codes, depth at most 7)
// 30*128/8 = 480 besides 256. build still checks.

var (
	lengthBase  = [29]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint32{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

	// clOrder is the order in which code length code lengths are sent.
	clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// Payloads are table entries without their code length fields; build adds
// those. Symbols that may appear in a code but never in valid data (literal/
// length 286 and 287, distance 30 and 31) decode as invalid.
var (
	litPayload  [288]uint32
	distPayload [32]uint32
	clPayload   [19]uint32

	fixedLit  [litTableSize]uint32
	fixedDist [distTableSize]uint32
)

func init() {
	for i := range litPayload {
		switch {
		case i < 256:
			litPayload[i] = flagLit | uint32(i)<<16
		case i == 256:
			litPayload[i] = flagExc
		case i < 286:
			litPayload[i] = lengthExtra[i-257] | lengthBase[i-257]<<16
		default:
			litPayload[i] = flagExc | 1<<16
		}
	}
	for i := range distPayload {
		if i < 30 {
			distPayload[i] = distExtra[i] | distBase[i]<<16
		} else {
			distPayload[i] = flagExc | 1<<16
		}
	}
	for i := range clPayload {
		clPayload[i] = uint32(i) << 16
	}

	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	if !build(fixedLit[:], litBits, lens[:], litPayload[:]) {
		panic("inflate: bad fixed literal/length code")
	}
	for i := range lens[:32] {
		lens[i] = 5
	}
	if !build(fixedDist[:], distBits, lens[:32], distPayload[:]) {
		panic("inflate: bad fixed distance code")
	}
}

// build fills table with a decoding table for the canonical Huffman code
// with the given code lengths (0 meaning unused, at most 15), using root
// primary bits. payload[i] is the entry for symbol i without its length
// fields. It reports false if the code is over-subscribed or incomplete,
// except for the degenerate codes zlib also accepts: a single code of
// length 1, or no codes at all. Their unused entries decode as invalid.
func build(table []uint32, root uint, lengths []uint8, payload []uint32) bool {
	var count [16]int
	for _, l := range lengths {
		count[l&15]++
	}
	count[0] = 0
	left, ncodes, maxLen := 1, 0, uint(0)
	for l := 1; l < 16; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return false // over-subscribed
		}
		ncodes += count[l]
		if count[l] > 0 {
			maxLen = uint(l)
		}
	}
	if left > 0 && (ncodes > 1 || (ncodes == 1 && count[1] != 1)) {
		return false // incomplete
	}

	// Sort the symbols by code length, then symbol: canonical code order.
	var offs [16]int
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var sorted [288]uint16
	for sym, l := range lengths {
		if l != 0 {
			sorted[offs[l&15]] = uint16(sym)
			offs[l&15]++
		}
	}

	// The primary entries, as in libdeflate: the codes of length l take
	// one entry each of a table of 1<<l entries, which is then doubled
	// by a copy for length l+1, so that an entry is written once and
	// replicated by memmove. Entries no code reaches stay invalid (the
	// degenerate codes); those of longer codes' prefixes are overwritten
	// by subtable pointers below.
	table[0], table[1] = invalidEntry, invalidEntry
	size, code, i := 2, 0, 0
	for l := uint(1); l <= root; l++ {
		if l > 1 {
			copy(table[size:2*size], table[:size])
			size *= 2
		}
		for _, sym := range sorted[i : i+count[l]] {
			table[bits.Reverse16(uint16(code))>>(16-l)] = payload[sym] + uint32(l) + uint32(l)<<8
			code++
		}
		i += count[l]
		code <<= 1
	}

	remaining := count // codes of each length not placed yet
	next := 1 << root  // next free table index for a subtable
	prefix, subStart, subBits := -1, 0, uint(0)
	prevLen := root + 1
	for _, sym := range sorted[i:ncodes] {
		l := uint(lengths[sym])
		code <<= l - prevLen
		prevLen = l
		rev := int(bits.Reverse16(uint16(code)) >> (16 - l))
		code++
		if p := rev & (1<<root - 1); p != prefix {
			// A new subtable. Its codes are contiguous in canonical
			// order; it is deep enough to hold what remains of the
			// codes as long as the subtree they fill.
			prefix = p
			sb := l - root
			room := 1 << sb
			for sb+root < maxLen {
				room -= remaining[sb+root]
				if room <= 0 {
					break
				}
				sb++
				room <<= 1
			}
			if next+1<<sb > len(table) {
				return false
			}
			subStart, subBits = next, sb
			next += 1 << sb
			table[p] = flagSub | uint32(root) | uint32(sb)<<8 | uint32(subStart)<<16
		}
		k := l - root
		e := payload[sym] + uint32(k) + uint32(k)<<8
		for i := rev >> root; i < 1<<subBits; i += 1 << k {
			table[subStart+i] = e
		}
		remaining[l]--
	}
	return true
}
