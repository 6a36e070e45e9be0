package inflate

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
)

// MarkerBase is the value that stands, in a MarkerDecoder's output, for the
// first byte of the unknown 32 KiB window: MarkerBase+i stands for byte i
// of it, so a value below MarkerBase is a literal byte.
const MarkerBase = 256

// A MarkerDecoder decodes raw deflate data from a block boundary whose
// preceding 32 KiB of output are not known yet, as in a parallel first pass
// that starts decoding in the middle of a stream. Each output symbol is a
// uint16: a byte value, or a marker MarkerBase+i for byte i of the unknown
// window, which the caller replaces once it knows the window.
//
// It decodes one whole block per call, so that the caller can stop, or go
// on with an ordinary Decoder, at any block boundary. It is slower than
// Decoder: a caller switches to a Decoder as soon as the last 32 KiB of
// output hold no markers.
type MarkerDecoder struct {
	d    Decoder  // input, bit buffer, headers and tables; d.out is unused
	out  []uint16 // histSize markers, then the output
	stop int      // Prefix: stop a Huffman block once len(out) reaches it (0: never)
}

// errPrefixDone is the state of a MarkerDecoder that Prefix stopped inside
// a block: it can only be Reset.
var errPrefixDone = errors.New("inflate: MarkerDecoder stopped by Prefix inside a block")

// Reset makes m decode a new stream from br, starting startBit bits into
// its first byte, with an unknown window. It reuses m's output buffer
// unless Detach took it.
func (m *MarkerDecoder) Reset(br *bufio.Reader, startBit uint8) {
	m.d.resetInput(br, startBit)
	if cap(m.out) < histSize+roomSize {
		m.out = make([]uint16, histSize, histSize+4*roomSize)
	}
	m.out = m.out[:histSize]
	for i := range m.out {
		m.out[i] = uint16(MarkerBase + i)
	}
}

// Block decodes the next block, from its header to its end, and appends
// its output. It reports whether the block was the final one; after the
// final block it returns io.EOF. On error the output of the failed block is
// partly appended.
func (m *MarkerDecoder) Block() (final bool, err error) {
	d := &m.d
	if d.err != nil {
		return false, d.err
	}
	if d.state == stateStart {
		if d.startBit > 7 {
			d.err = ErrStartBit
			return false, d.err
		}
		if d.err = d.need(uint(d.startBit)); d.err != nil {
			return false, d.err
		}
		d.drop(uint(d.startBit))
		d.state = stateHeader
	}
	if d.state == stateDone {
		return false, io.EOF
	}
	if d.err = d.header(); d.err != nil {
		return false, d.err
	}
	if d.state == stateStored {
		d.err = m.stored()
	} else {
		d.err = m.huffman()
	}
	if d.err != nil {
		return false, d.err
	}
	return d.final, nil
}

// Prefix decodes until the output holds at least n symbols, stopping
// inside a block if need be (at most maxMatch symbols past n), or until
// the final block ends, which it reports. Stopped inside a block, m can
// then only be Reset: Block fails. It is for a caller that needs the
// first n symbols only, such as one asking which window bytes they use.
func (m *MarkerDecoder) Prefix(n int) (final bool, err error) {
	m.stop = histSize + n
	defer func() { m.stop = 0 }()
	for len(m.out) < m.stop {
		final, err = m.Block()
		switch {
		case err == errPrefixDone:
			return false, nil
		case err != nil || final:
			return final, err
		}
	}
	return false, nil
}

// Output returns the output decoded so far, without the leading markers.
// It aliases m's buffer and is valid until the next call to Block or Reset.
func (m *MarkerDecoder) Output() []uint16 { return m.out[histSize:] }

// Detach returns the output like Output, but gives up the buffer to the
// caller: the next Reset allocates a new one, unless Reuse gives one.
func (m *MarkerDecoder) Detach() []uint16 {
	o := m.out[histSize:]
	m.out = nil
	return o
}

// Reuse gives m a buffer that Detach returned, for the next Reset.
func (m *MarkerDecoder) Reuse(b []uint16) {
	if cap(b) > cap(m.out) {
		m.out = b[:0]
	}
}

// InputBits returns the number of input bits consumed so far, counting
// from the start of the first input byte (startBit bits included). After
// Block it is the bit offset of the block's end.
func (m *MarkerDecoder) InputBits() int64 { return m.d.InputBits() }

// stored copies a stored block.
func (m *MarkerDecoder) stored() error {
	d := &m.d
	d.sync()
	d.bits = 0
	for d.storedLeft > 0 {
		if d.ip == len(d.in) {
			if d.inErr == nil {
				d.moreInput()
			}
			if d.ip == len(d.in) {
				return d.inputError()
			}
		}
		n := min(d.storedLeft, len(d.in)-d.ip)
		for _, c := range d.in[d.ip : d.ip+n] {
			m.out = append(m.out, uint16(c))
		}
		d.ip += n
		d.storedLeft -= n
	}
	return d.blockEnd()
}

// huffman decodes a Huffman block to its end.
func (m *MarkerDecoder) huffman() error {
	d := &m.d
	for {
		if m.stop > 0 && len(m.out) >= m.stop {
			return errPrefixDone
		}
		if cap(m.out)-len(m.out) < maxMatch {
			grown := make([]uint16, len(m.out), 2*cap(m.out))
			copy(grown, m.out)
			m.out = grown
		}
		if len(d.in)-d.ip < 8 && d.inErr == nil {
			d.moreInput()
		}
		if len(d.in)-d.ip >= 8 {
			switch m.fast() {
			case fastEOB:
				return d.blockEnd()
			case fastCorrupt:
				return d.dataError()
			}
			continue
		}
		eob, err := m.slowSymbol()
		if err != nil {
			return err
		}
		if eob {
			return d.blockEnd()
		}
	}
}

// fast decodes symbols while at least 8 bytes of input and maxMatch
// symbols of output capacity remain. Each iteration refills the bit buffer
// to at least 56 bits, enough for a length and a distance with their extra
// bits.
func (m *MarkerDecoder) fast() int {
	d := &m.d
	in, ip := d.in, d.ip
	bits, nb := d.bits, d.nb
	end := cap(m.out)
	if m.stop > 0 {
		end = min(end, m.stop+maxMatch)
	}
	out := m.out[:end]
	wp := len(m.out)
	limit := len(out) - maxMatch
	lt, dt := d.lit, d.dist
	status := fastLimit
	for ip <= len(in)-8 && wp <= limit {
		bits |= binary.LittleEndian.Uint64(in[ip:]) << (nb & 63)
		ip += int((63 - nb) >> 3)
		nb |= 56
		e := lt[bits&(1<<litBits-1)]
		if e&flagSub != 0 {
			bits >>= litBits
			nb -= litBits
			e = lt[(e>>16+uint32(bits)&(1<<(e>>8&15)-1))&(litTableSize-1)]
		}
		n := e & 31
		if e&flagLit != 0 {
			// Up to three literals per refill, as in Decoder.fast.
			bits >>= n
			nb -= uint(n)
			out[wp] = uint16(byte(e >> 16))
			wp++
			if e = lt[bits&(1<<litBits-1)]; e&flagLit != 0 {
				n := e & 31
				bits >>= n
				nb -= uint(n)
				out[wp] = uint16(byte(e >> 16))
				wp++
				if e = lt[bits&(1<<litBits-1)]; e&flagLit != 0 {
					n := e & 31
					bits >>= n
					nb -= uint(n)
					out[wp] = uint16(byte(e >> 16))
					wp++
				}
			}
			continue
		}
		if e&flagExc != 0 {
			if e>>16 == 0 {
				bits >>= n
				nb -= uint(n)
				status = fastEOB
			} else {
				status = fastCorrupt
			}
			break
		}
		length := int(e>>16) + int(bits&(1<<n-1)>>(e>>8&15))
		bits >>= n
		nb -= uint(n)
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
		// Copy the match. Where it overlaps its source (dist < length),
		// the dist symbols before wp repeat: each copy takes all of the
		// run so far, a multiple of dist long, so the run doubles.
		src, end := wp-dist, wp+length
		for wp < end {
			wp += copy(out[wp:end], out[src:wp])
		}
	}
	d.ip, d.bits, d.nb = ip, bits, nb
	m.out = m.out[:wp]
	return status
}

// slowSymbol decodes one symbol near the end of the input, loading it a
// byte at a time. It needs maxMatch symbols of capacity.
func (m *MarkerDecoder) slowSymbol() (eob bool, err error) {
	lit, length, dist, err := m.d.slowCode()
	wp := len(m.out)
	switch {
	case err != nil:
		return false, err
	case lit >= 0:
		m.out = append(m.out, uint16(lit))
		return false, nil
	case length == 0:
		return true, nil
	case dist > wp:
		return false, m.d.dataError()
	}
	out := m.out[:wp+length]
	for i := range length {
		out[wp+i] = out[wp-dist+i]
	}
	m.out = out
	return false, nil
}
