package testarchive

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// mixedTar is a tar of Mixed entries shared by the tests: about 2 MB.
var mixedTar = sync.OnceValue(func() []byte {
	return Tar(panicTB{}, Mixed(MixedOptions{Seed: 1, SmallFiles: 200, BigFiles: 3, BigSize: 300 << 10}), 0)
})

// panicTB is a testing.TB for building shared fixtures outside a test.
type panicTB struct{ testing.TB }

func (panicTB) Helper()                           {}
func (panicTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// member is one gzip member of a gzip file.
type member struct {
	header gzip.Header
	raw    []byte // the compressed member, header to trailer
	data   []byte // its contents
}

// splitMembers splits a gzip file into its members.
func splitMembers(t *testing.T, gz []byte) []member {
	t.Helper()
	var ms []member
	br := bytes.NewReader(gz)
	var zr gzip.Reader
	for br.Len() > 0 {
		start := len(gz) - br.Len()
		if err := zr.Reset(br); err != nil {
			t.Fatalf("member %d at offset %d: %v", len(ms), start, err)
		}
		zr.Multistream(false)
		data, err := io.ReadAll(&zr)
		if err != nil {
			t.Fatalf("member %d at offset %d: %v", len(ms), start, err)
		}
		ms = append(ms, member{header: zr.Header, raw: gz[start : len(gz)-br.Len()], data: data})
	}
	return ms
}

// gunzip decompresses all members of gz.
func gunzip(t *testing.T, gz []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// storedOnly reports whether a byte-aligned deflate stream is made of
// stored blocks only.
func storedOnly(d []byte) bool {
	for len(d) >= 5 {
		if d[0]&^1 != 0 { // BTYPE 00 and zero padding
			return false
		}
		n := binary.LittleEndian.Uint16(d[1:])
		if binary.LittleEndian.Uint16(d[3:]) != ^n || len(d) < 5+int(n) {
			return false
		}
		final := d[0] == 1
		d = d[5+int(n):]
		if final {
			return len(d) == 0
		}
	}
	return false
}

func TestStyleString(t *testing.T) {
	tests := []struct {
		s    Style
		want string
	}{
		{GoLevel0, "GoLevel0"},
		{GoLevel9, "GoLevel9"},
		{MultiMember, "MultiMember"},
		{BGZF, "BGZF"},
		{StoredHuffman, "StoredHuffman"},
		{Style(-1), "Style(-1)"},
		{Style(99), "Style(99)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("Style(%d).String() = %q, want %q", int(tt.s), got, tt.want)
		}
	}
	if n := len(Styles()); n != int(StoredHuffman)+1 {
		t.Errorf("len(Styles()) = %d, want %d", n, int(StoredHuffman)+1)
	}
}

func TestGzipRoundTrip(t *testing.T) {
	inputs := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"byte", []byte{'x'}},
		{"text", Text(1, 300_000)},
		{"random", Incompressible(1, 200_000)},
		{"mixed", mixedTar()},
	}
	for _, s := range Styles() {
		for _, in := range inputs {
			t.Run(s.String()+"/"+in.name, func(t *testing.T) {
				gz := Gzip(t, in.data, s)
				if got := gunzip(t, gz); !bytes.Equal(got, in.data) {
					t.Fatalf("round trip: got %d bytes, want %d", len(got), len(in.data))
				}
			})
		}
	}
}

func TestGoLevels(t *testing.T) {
	data := mixedTar()
	tests := []struct {
		s          Style
		storedOnly bool
	}{
		{GoLevel0, true},
		{GoLevel1, false},
		{GoLevel6, false},
		{GoLevel9, false},
	}
	for _, tt := range tests {
		t.Run(tt.s.String(), func(t *testing.T) {
			ms := splitMembers(t, Gzip(t, data, tt.s))
			if len(ms) != 1 {
				t.Fatalf("%d members, want 1", len(ms))
			}
			body := ms[0].raw[10 : len(ms[0].raw)-8]
			if got := storedOnly(body); got != tt.storedOnly {
				t.Errorf("stored blocks only = %v, want %v", got, tt.storedOnly)
			}
		})
	}
}

func TestMultiMember(t *testing.T) {
	data := mixedTar()
	ms := splitMembers(t, Gzip(t, data, MultiMember))
	if want := (len(data) + MultiMemberSize - 1) / MultiMemberSize; len(ms) != want {
		t.Fatalf("%d members, want %d", len(ms), want)
	}
	for i, m := range ms {
		if want := fmt.Sprintf("part-%04d", i); m.header.Name != want {
			t.Errorf("member %d: name %q, want %q", i, m.header.Name, want)
		}
		if i < len(ms)-1 && len(m.data) != MultiMemberSize {
			t.Errorf("member %d: %d bytes of input, want %d", i, len(m.data), MultiMemberSize)
		}
	}
}

// checkBGZF checks that gz is BGZF made of blocks of at most maxInput bytes.
func checkBGZF(t *testing.T, gz []byte, maxInput int) {
	t.Helper()
	ms := splitMembers(t, gz)
	if len(ms) < 2 {
		t.Fatalf("%d members, want at least 2", len(ms))
	}
	if last := ms[len(ms)-1].raw; !bytes.Equal(last, bgzfEOF) {
		t.Errorf("last member is % x, want the BGZF EOF block", last)
	}
	for i, m := range ms {
		if len(m.raw) > 1<<16 {
			t.Errorf("member %d: %d bytes, want at most 64 KiB", i, len(m.raw))
		}
		if len(m.data) > maxInput {
			t.Errorf("member %d: %d bytes of input, want at most %d", i, len(m.data), maxInput)
		}
		x := m.header.Extra
		if len(x) != 6 || x[0] != 'B' || x[1] != 'C' || binary.LittleEndian.Uint16(x[2:]) != 2 {
			t.Fatalf("member %d: extra field % x, want the BC subfield", i, x)
		}
		if bsize := int(binary.LittleEndian.Uint16(x[4:])); bsize+1 != len(m.raw) {
			t.Errorf("member %d: BSIZE %d, want %d", i, bsize, len(m.raw)-1)
		}
	}
}

func TestBGZF(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		members int
	}{
		{"empty", nil, 0},
		{"random", Incompressible(2, 3*BGZFBlockSize+1), 4},
		{"mixed", mixedTar(), (len(mixedTar()) + BGZFBlockSize - 1) / BGZFBlockSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gz := Gzip(t, tt.data, BGZF)
			if len(tt.data) == 0 {
				if !bytes.Equal(gz, bgzfEOF) {
					t.Fatalf("got % x, want the EOF block alone", gz)
				}
				return
			}
			checkBGZF(t, gz, BGZFBlockSize)
			if n := len(splitMembers(t, gz)) - 1; n != tt.members {
				t.Errorf("%d data members, want %d", n, tt.members)
			}
		})
	}
}

func TestSyncFlush(t *testing.T) {
	data := mixedTar()
	gz := Gzip(t, data, SyncFlush)
	if n := len(splitMembers(t, gz)); n != 1 {
		t.Fatalf("%d members, want 1", n)
	}
	flushes := (len(data) - 1) / SyncFlushSize
	if n := bytes.Count(gz, []byte{0, 0, 0xff, 0xff}); n < flushes {
		t.Errorf("%d empty stored blocks (00 00 ff ff), want at least %d", n, flushes)
	}
}

func TestHeaders(t *testing.T) {
	data := Text(3, 10_000)
	gz := Gzip(t, data, Headers)
	ms := splitMembers(t, gz)
	if len(ms) != 1 {
		t.Fatalf("%d members, want 1", len(ms))
	}
	h := ms[0].header
	if gz[3] != 0x1f {
		t.Errorf("FLG = %#x, want 0x1f", gz[3])
	}
	if h.Name != "données.tar" || h.Comment != "made by tarx testarchive" || !h.ModTime.Equal(time.Unix(1e9, 0)) || h.OS != 3 {
		t.Errorf("header = %+v", h)
	}
	if want := "TX\x04\x00tarxZZ\x00\x00"; string(h.Extra) != want {
		t.Errorf("extra = %q, want %q", h.Extra, want)
	}
	// compress/gzip checks FHCRC: a wrong CRC16 must be rejected.
	end := bytes.Index(gz, []byte("made by tarx testarchive\x00")) + len("made by tarx testarchive\x00")
	bad := bytes.Clone(gz)
	bad[end] ^= 1
	if _, err := gzip.NewReader(bytes.NewReader(bad)); err == nil {
		t.Errorf("a corrupted header CRC16 was accepted")
	}
}

func TestStoredHuffman(t *testing.T) {
	data := Text(4, 5*StoredHuffmanSize+123)
	gz := Gzip(t, data, StoredHuffman)
	if n := len(splitMembers(t, gz)); n != 1 {
		t.Fatalf("%d members, want 1", n)
	}
	// Stored segments appear verbatim; Huffman-coded text does not.
	for i, c := range chunks(data, StoredHuffmanSize) {
		stored := i%2 == 0
		if got := bytes.Contains(gz, c); got != stored {
			t.Errorf("segment %d: appears verbatim = %v, want %v", i, got, stored)
		}
	}
	if n := bytes.Count(gz, []byte{0, 0, 0xff, 0xff}); n < 5 {
		t.Errorf("%d empty stored blocks, want at least 5", n)
	}
}
