package testarchive

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"
)

// Style is a layout of gzip members and deflate blocks that [Gzip] can
// produce. Every style yields valid gzip that compress/gzip reads back.
type Style int

// The compression styles. Their String names suit subtest names.
const (
	// GoLevel0 is compress/gzip at level 0: one member of stored blocks only.
	GoLevel0 Style = iota
	// GoLevel1 is compress/gzip at level 1 (best speed).
	GoLevel1
	// GoLevel6 is compress/gzip at level 6 (the default).
	GoLevel6
	// GoLevel9 is compress/gzip at level 9 (best compression).
	GoLevel9
	// MultiMember starts a new gzip member, with its own FNAME, every
	// MultiMemberSize bytes of input, like concatenated gzip files.
	MultiMember
	// BGZF is the blocked gzip of bgzip and samtools: members of at most
	// BGZFBlockSize bytes of input, each with the "BC" extra subfield that
	// holds the member's size, then the 28-byte empty end-of-file member.
	BGZF
	// SyncFlush is one member flushed every SyncFlushSize bytes of input,
	// which writes an empty stored block (bytes 00 00 ff ff) each time,
	// as pigz does between its blocks.
	SyncFlush
	// Headers is one member whose header sets FTEXT, FHCRC (with the right
	// CRC16), FEXTRA (two subfields), FNAME (ISO 8859-1 "données.tar"),
	// FCOMMENT and MTIME, to exercise header parsing.
	Headers
	// StoredHuffman is one member in which every StoredHuffmanSize bytes of
	// input the encoder switches between level 0 (stored blocks) and level 1
	// (Huffman-coded blocks, unless the data is incompressible), with an
	// empty stored block at each switch.
	StoredHuffman
)

// Sizes, in bytes of input, at which the styles start a new member, flush
// or switch encoders.
const (
	MultiMemberSize   = 100_000   // deliberately not a multiple of 512
	BGZFBlockSize     = 0xff00    // the block size bgzip uses
	SyncFlushSize     = 128 << 10 // pigz's default block size
	StoredHuffmanSize = 50_000
)

var styleNames = []string{
	GoLevel0:      "GoLevel0",
	GoLevel1:      "GoLevel1",
	GoLevel6:      "GoLevel6",
	GoLevel9:      "GoLevel9",
	MultiMember:   "MultiMember",
	BGZF:          "BGZF",
	SyncFlush:     "SyncFlush",
	Headers:       "Headers",
	StoredHuffman: "StoredHuffman",
}

// String returns the style's constant name, such as "GoLevel6".
func (s Style) String() string {
	if s >= 0 && int(s) < len(styleNames) {
		return styleNames[s]
	}
	return fmt.Sprintf("Style(%d)", int(s))
}

// Styles returns every Style, in order.
func Styles() []Style {
	styles := make([]Style, len(styleNames))
	for i := range styles {
		styles[i] = Style(i)
	}
	return styles
}

// bgzfEOF is the empty member that ends a BGZF file.
var bgzfEOF = []byte{
	0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43,
	0x02, 0x00, 0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
}

// Gzip compresses data in style s and returns the gzip bytes.
func Gzip(tb testing.TB, data []byte, s Style) []byte {
	tb.Helper()
	var out []byte
	var err error
	switch s {
	case GoLevel0:
		out, err = gzipMember(data, gzip.NoCompression, "", 0)
	case GoLevel1:
		out, err = gzipMember(data, gzip.BestSpeed, "", 0)
	case GoLevel6:
		out, err = gzipMember(data, gzip.DefaultCompression, "", 0)
	case GoLevel9:
		out, err = gzipMember(data, gzip.BestCompression, "", 0)
	case MultiMember:
		for i, chunk := range chunks(data, MultiMemberSize) {
			var m []byte
			m, err = gzipMember(chunk, gzip.DefaultCompression, fmt.Sprintf("part-%04d", i), 0)
			if err != nil {
				break
			}
			out = append(out, m...)
		}
	case BGZF:
		out, err = bgzf(data)
	case SyncFlush:
		out, err = gzipMember(data, gzip.DefaultCompression, "", SyncFlushSize)
	case Headers:
		out, err = headersMember(data)
	case StoredHuffman:
		out, err = storedHuffman(data)
	default:
		tb.Fatalf("testarchive.Gzip: unknown style %v", s)
	}
	if err != nil {
		tb.Fatalf("testarchive.Gzip(%v): %v", s, err)
	}
	return out
}

// chunks splits data into pieces of size bytes; the last may be shorter.
// Empty data gives one empty chunk, so that every style writes a member.
func chunks(data []byte, size int) [][]byte {
	var cs [][]byte
	for len(data) > size {
		cs = append(cs, data[:size])
		data = data[size:]
	}
	return append(cs, data)
}

// gzipMember compresses data into one gzip member with compress/gzip at
// level, naming it name if not empty, and flushing every flushEvery bytes
// of input if not zero.
func gzipMember(data []byte, level int, name string, flushEvery int) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		return nil, err
	}
	zw.Name = name
	step := len(data)
	if flushEvery > 0 {
		step = flushEvery
	}
	cs := chunks(data, max(step, 1))
	for i, c := range cs {
		if _, err := zw.Write(c); err != nil {
			return nil, err
		}
		if flushEvery > 0 && i < len(cs)-1 {
			if err := zw.Flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// bgzf compresses data as BGZF.
func bgzf(data []byte) ([]byte, error) {
	var out []byte
	if len(data) == 0 {
		return append(out, bgzfEOF...), nil
	}
	for _, c := range chunks(data, BGZFBlockSize) {
		block, err := bgzfBlock(c)
		if err != nil {
			return nil, err
		}
		out = append(out, block...)
	}
	return append(out, bgzfEOF...), nil
}

// bgzfBlock compresses data into one BGZF member, at level 0 if the
// default level does not fit the 64 KiB limit.
func bgzfBlock(data []byte) ([]byte, error) {
	for _, level := range []int{gzip.DefaultCompression, gzip.NoCompression} {
		var b bytes.Buffer
		zw, err := gzip.NewWriterLevel(&b, level)
		if err != nil {
			return nil, err
		}
		// Subfield "BC" of length 2: the member size minus 1, set below.
		zw.Extra = []byte{'B', 'C', 2, 0, 0, 0}
		if _, err := zw.Write(data); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		block := b.Bytes()
		if len(block) > 1<<16 {
			continue
		}
		// 10 fixed header bytes, XLEN, then the subfield: BSIZE is at 16.
		binary.LittleEndian.PutUint16(block[16:], uint16(len(block)-1))
		return block, nil
	}
	return nil, fmt.Errorf("BGZF block of %d bytes does not fit in 64 KiB", len(data))
}

// Gzip header flags (RFC 1952).
const (
	flagText    = 1 << 0
	flagHdrCRC  = 1 << 1
	flagExtra   = 1 << 2
	flagName    = 1 << 3
	flagComment = 1 << 4
)

// headersMember compresses data into one member whose header has every
// optional field.
func headersMember(data []byte) ([]byte, error) {
	var b bytes.Buffer
	b.Write([]byte{0x1f, 0x8b, 8, flagText | flagHdrCRC | flagExtra | flagName | flagComment})
	b.Write(binary.LittleEndian.AppendUint32(nil, 1e9)) // MTIME
	b.WriteByte(0)                                      // XFL
	b.WriteByte(3)                                      // OS: Unix
	extra := []byte{'T', 'X', 4, 0, 't', 'a', 'r', 'x', 'Z', 'Z', 0, 0}
	b.Write(binary.LittleEndian.AppendUint16(nil, uint16(len(extra))))
	b.Write(extra)
	b.WriteString("donn\xe9es.tar\x00") // ISO 8859-1, as RFC 1952 says
	b.WriteString("made by tarx testarchive\x00")
	b.Write(binary.LittleEndian.AppendUint16(nil, uint16(crc32.ChecksumIEEE(b.Bytes()))))
	fw, err := flate.NewWriter(&b, flate.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := fw.Write(data); err != nil {
		return nil, err
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	return appendTrailer(b.Bytes(), data), nil
}

// storedHuffman compresses data into one member, alternating between
// stored and Huffman-coded blocks every StoredHuffmanSize bytes of input.
func storedHuffman(data []byte) ([]byte, error) {
	var b bytes.Buffer
	b.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255})
	cs := chunks(data, StoredHuffmanSize)
	for i, c := range cs {
		level := flate.NoCompression
		if i%2 == 1 {
			level = flate.BestSpeed
		}
		// Each encoder's output ends byte-aligned after Flush, so the next
		// encoder's blocks can follow it in the same deflate stream. Only
		// the last one writes a final block.
		fw, err := flate.NewWriter(&b, level)
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(c); err != nil {
			return nil, err
		}
		if i < len(cs)-1 {
			err = fw.Flush()
		} else {
			err = fw.Close()
		}
		if err != nil {
			return nil, err
		}
	}
	return appendTrailer(b.Bytes(), data), nil
}

// appendTrailer appends the gzip trailer of data: CRC-32 and size.
func appendTrailer(b, data []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(data))
	return binary.LittleEndian.AppendUint32(b, uint32(len(data)))
}
