package gzseek

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/tarx-dev/tarx/internal/inflate"
)

// bufSize is the read buffer for compressed input.
const bufSize = 64 << 10

// countingReader counts the compressed bytes it passes on.
type countingReader struct {
	r io.Reader
	n int64 // absolute offset just past the last byte passed on
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decoder is the member-by-member gzip decoding shared by Scanner and
// Reader: gzip framing, trailers, member boundaries and trailing bytes.
type decoder struct {
	src *countingReader
	br  *bufio.Reader

	fr       *inflate.Decoder // the current member's inflater; nil between members
	inflater *inflate.Decoder // reused across members
	member   int64            // number of the current (or next) member
	started  bool             // at least one member header was read
	checkCRC bool             // the current member was read from its start
	memOut   int64            // output offset at the start of the current member
	out      int64            // output offset of the next byte Read returns
	crc      uint32
	err      error

	// onBlockEnd, if set, receives the inflater's block ends.
	onBlockEnd func(bit, out int64, final bool)
	// atInflate, if set, is called when a member's deflate data starts at
	// compressed offset in.
	atInflate func(in int64)
	// atMember, if set, is called before a member header at offset in is read.
	atMember func(in int64) error
}

// pos returns the absolute offset of the next compressed byte the
// inflater or header parser will read.
func (d *decoder) pos() int64 {
	return d.src.n - int64(d.br.Buffered())
}

func (d *decoder) Read(p []byte) (int, error) {
	return d.produce(func(fr *inflate.Decoder) ([]byte, error) {
		n, err := fr.Read(p)
		return p[:n], err
	})
}

// Append is Read decoding into the spare capacity of dst, which must end
// with the member's last WindowSize bytes of output (all of it if less):
// see Scanner.Append.
func (d *decoder) Append(dst []byte) ([]byte, error) {
	_, err := d.produce(func(fr *inflate.Decoder) ([]byte, error) {
		n0 := len(dst)
		var err error
		dst, err = fr.Append(dst)
		return dst[n0:], err
	})
	return dst, err
}

// produce moves from member to member around step, which has the current
// member's inflater produce output and returns it, and checks the output
// against the member's trailer. It returns how many bytes step produced:
// none only with an error.
func (d *decoder) produce(step func(*inflate.Decoder) ([]byte, error)) (int, error) {
	for {
		if d.err != nil {
			return 0, d.err
		}
		if d.fr == nil {
			if d.err = d.startMember(); d.err != nil {
				return 0, d.err
			}
			continue
		}
		b, err := step(d.fr)
		if len(b) > 0 {
			if d.checkCRC {
				d.crc = crc32.Update(d.crc, crc32.IEEETable, b)
			}
			d.out += int64(len(b))
		}
		switch {
		case err == io.EOF:
			d.err = d.endMember()
		case err != nil:
			d.err = d.inflateError(err)
		}
		if len(b) > 0 || d.err != nil {
			if len(b) > 0 && d.err == io.EOF {
				return len(b), nil // report EOF on the next call
			}
			return len(b), d.err
		}
	}
}

// startInflate returns the (reused) inflater, reset for new deflate data.
func (d *decoder) startInflate(opts inflate.Options) *inflate.Decoder {
	if d.inflater == nil {
		d.inflater = inflate.NewDecoder(d.br, opts)
	} else {
		d.inflater.Reset(d.br, opts)
	}
	return d.inflater
}

// inflateError turns an inflater error into one of the package's.
func (d *decoder) inflateError(err error) error {
	switch {
	case errors.Is(err, inflate.ErrCorrupt):
		return fmt.Errorf("%w in member %d near compressed offset %d", ErrCorrupt, d.member, d.pos())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: member %d cut short at compressed offset %d", ErrTruncated, d.member, d.pos())
	}
	return err
}

// startMember reads the next member header, or detects the end of input.
func (d *decoder) startMember() error {
	in := d.pos()
	b, err := d.br.Peek(1)
	if len(b) == 0 {
		if err != nil && err != io.EOF {
			return err
		}
		if !d.started {
			return fmt.Errorf("%w: empty input", ErrHeader)
		}
		return io.EOF
	}
	if d.started && b[0] == 0 {
		return d.skipPadding()
	}
	if d.started {
		if m, _ := d.br.Peek(2); len(m) < 2 || m[0] != 0x1f || m[1] != 0x8b {
			return fmt.Errorf("%w at compressed offset %d", ErrTrailingData, in)
		}
	}
	if d.atMember != nil {
		if err := d.atMember(in); err != nil {
			return err
		}
	}
	if _, _, err := readHeader(d.br); err != nil {
		return fmt.Errorf("member %d at compressed offset %d: %w", d.member, in, err)
	}
	d.started = true
	d.checkCRC = true
	d.crc = 0
	d.memOut = d.out
	if d.atInflate != nil {
		d.atInflate(d.pos())
	}
	d.fr = d.startInflate(inflate.Options{OnBlockEnd: d.onBlockEnd})
	return nil
}

// endMember checks the trailer of the member just inflated.
func (d *decoder) endMember() error {
	var tr [8]byte
	if _, err := io.ReadFull(d.br, tr[:]); err != nil {
		return fmt.Errorf("%w: member %d trailer cut short", ErrTruncated, d.member)
	}
	d.fr = nil
	if d.checkCRC {
		crc := binary.LittleEndian.Uint32(tr[:4])
		size := binary.LittleEndian.Uint32(tr[4:])
		switch {
		case crc != d.crc:
			return fmt.Errorf("%w: member %d ending at compressed offset %d: CRC-32 %08x, data has %08x", ErrChecksum, d.member, d.pos(), crc, d.crc)
		case size != uint32(d.out-d.memOut):
			return fmt.Errorf("%w: member %d ending at compressed offset %d: ISIZE %d, data has %d", ErrChecksum, d.member, d.pos(), size, uint32(d.out-d.memOut))
		}
	}
	d.member++
	return nil
}

// skipPadding consumes the rest of the input, which must be zero bytes.
func (d *decoder) skipPadding() error {
	start := d.pos()
	for {
		b, err := d.br.Peek(d.br.Buffered())
		for i, c := range b {
			if c != 0 {
				return fmt.Errorf("%w at compressed offset %d", ErrTrailingData, start+int64(i))
			}
		}
		d.br.Discard(len(b))
		start += int64(len(b))
		if _, err = d.br.Peek(1); err != nil {
			if err == io.EOF {
				return io.EOF
			}
			return err
		}
	}
}
