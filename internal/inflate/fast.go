package inflate

import "encoding/binary"

// Results of fast.
const (
	fastLimit   = iota // near the end of the input or of the output room
	fastEOB            // end of block
	fastCorrupt        // invalid code or distance
)

// fastOutLimit is the highest output position at which the fast loop
// starts an iteration: one iteration writes at most maxMatch bytes, and
// up to 37 bytes past the end of a back-reference, which go into outSlack.
const fastOutLimit = bufferEnd - maxMatch

// fast decodes a Huffman block while at least 8 bytes of input and maxMatch
// bytes of output room remain.
//
// At the top of each iteration the bit buffer holds at least 56 bits and e
// is the primary table entry for them. That is enough for a length code
// with its extra bits and a distance code with its extra bits (at most 48
// bits), or for three literals with short codes. Each iteration ends with
// one refill (an 8-byte load) and the lookup of the next entry, made before
// a back-reference is copied so that the two overlap.
func (d *Decoder) fast() int {
	in := d.in
	ip := d.ip
	bits, nb := d.bits, d.nb
	out := (*[bufferEnd + outSlack]byte)(d.out)
	wp := d.wp
	lt, dt := d.lit, d.dist
	if ip > len(in)-8 {
		return fastLimit
	}
	bits |= binary.LittleEndian.Uint64(in[ip:]) << (nb & 63)
	ip += int((63 - nb) >> 3)
	nb |= 56
	e := lt[bits&(1<<litBits-1)]
	status := fastLimit
	for ip <= len(in)-8 && wp <= fastOutLimit {
		if e&flagSub != 0 {
			bits >>= litBits
			nb -= litBits
			e = lt[(e>>16+uint32(bits)&(1<<(e>>8&15)-1))&(litTableSize-1)]
		}
		if e&flagLit != 0 {
			// Up to three literals: after one (at most 15 bits) and
			// two more with primary codes (at most 11 bits each), 19
			// bits are left for the next lookup.
			n := e & 31
			bits >>= n
			nb -= uint(n)
			out[wp] = byte(e >> 16)
			wp++
			e = lt[bits&(1<<litBits-1)]
			if e&flagLit != 0 {
				n := e & 31
				bits >>= n
				nb -= uint(n)
				out[wp] = byte(e >> 16)
				wp++
				e = lt[bits&(1<<litBits-1)]
				if e&flagLit != 0 {
					n := e & 31
					bits >>= n
					nb -= uint(n)
					out[wp] = byte(e >> 16)
					wp++
					e = lt[bits&(1<<litBits-1)]
				}
			}
			bits |= binary.LittleEndian.Uint64(in[ip:]) << (nb & 63)
			ip += int((63 - nb) >> 3)
			nb |= 56
			continue
		}
		if e&flagExc != 0 {
			if e>>16 == 0 {
				n := e & 31
				bits >>= n
				nb -= uint(n)
				status = fastEOB
			} else {
				status = fastCorrupt
			}
			break
		}

		// A length: code and extra bits.
		n := e & 31
		length := int(e>>16) + int(bits&(1<<n-1)>>(e>>8&15))
		bits >>= n
		nb -= uint(n)

		// A distance.
		e = dt[bits&(1<<distBits-1)]
		if e&flagSub != 0 {
			bits >>= distBits
			nb -= distBits
			e = dt[(e>>16+uint32(bits)&(1<<(e>>8&15)-1))&(distTableSize-1)]
		}
		if e&flagExc != 0 {
			status = fastCorrupt
			break
		}
		n = e & 31
		dist := int(e>>16) + int(bits&(1<<n-1)>>(e>>8&15))
		bits >>= n
		nb -= uint(n)
		if dist > wp {
			status = fastCorrupt
			break
		}

		bits |= binary.LittleEndian.Uint64(in[ip:]) << (nb & 63)
		ip += int((63 - nb) >> 3)
		nb |= 56
		e = lt[bits&(1<<litBits-1)]

		// Copy the match. This may write up to 37 bytes past its end:
		// five 8-byte copies cover most matches without a branch, as in
		// libdeflate (7% faster than two on BenchmarkDecode/gosrc-gzip6).
		src := wp - dist
		switch {
		case dist >= 8:
			// Eight bytes at a time: each load reads only bytes
			// already written, since they lie at least 8 bytes back.
			binary.LittleEndian.PutUint64(out[wp:], binary.LittleEndian.Uint64(out[src:]))
			binary.LittleEndian.PutUint64(out[wp+8:], binary.LittleEndian.Uint64(out[src+8:]))
			binary.LittleEndian.PutUint64(out[wp+16:], binary.LittleEndian.Uint64(out[src+16:]))
			binary.LittleEndian.PutUint64(out[wp+24:], binary.LittleEndian.Uint64(out[src+24:]))
			binary.LittleEndian.PutUint64(out[wp+32:], binary.LittleEndian.Uint64(out[src+32:]))
			for i := 40; i < length; i += 8 {
				binary.LittleEndian.PutUint64(out[wp+i:], binary.LittleEndian.Uint64(out[src+i:]))
			}
		case dist == 1:
			v := uint64(out[src]) * 0x0101010101010101
			binary.LittleEndian.PutUint64(out[wp:], v)
			binary.LittleEndian.PutUint64(out[wp+8:], v)
			for i := 16; i < length; i += 8 {
				binary.LittleEndian.PutUint64(out[wp+i:], v)
			}
		default:
			for i := range length {
				out[wp+i] = out[src+i]
			}
		}
		wp += length
	}
	d.ip, d.bits, d.nb, d.wp = ip, bits, nb, wp
	return status
}
