package inflate

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// canon returns the canonical Huffman codes for lens.
func canon(lens []uint8) []uint32 {
	var count [16]uint32
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [16]uint32
	code := uint32(0)
	for l := 1; l < 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	codes := make([]uint32, len(lens))
	for i, l := range lens {
		if l > 0 {
			codes[i] = next[l]
			next[l]++
		}
	}
	return codes
}

// lens returns n code lengths, zero except as given.
func lens(n int, set map[int]uint8) []uint8 {
	l := make([]uint8, n)
	for i, v := range set {
		l[i] = v
	}
	return l
}

// dynamic writes a final dynamic block header for lit and dist code
// lengths, sending the lengths with a flat 4-bit code length code, and
// returns the two codes.
func (w *bitWriter) dynamic(lit, dist []uint8) (lc, dc []uint32) {
	w.bits(1|2<<1, 3)
	w.bits(uint64(len(lit)-257), 5)
	w.bits(uint64(len(dist)-1), 5)
	w.bits(15, 4)
	for _, sym := range clOrder {
		if sym < 16 {
			w.bits(4, 3)
		} else {
			w.bits(0, 3)
		}
	}
	for _, l := range append(append([]uint8{}, lit...), dist...) {
		w.code(uint32(l), 4)
	}
	return canon(lit), canon(dist)
}

// clHeader writes a final dynamic block header with HLIT 257, HDIST 1 and
// code length code lengths cl (in symbol order), and returns that code.
func (w *bitWriter) clHeader(cl map[int]uint8) []uint32 {
	w.bits(1|2<<1, 3)
	w.bits(0, 5)
	w.bits(0, 5)
	w.bits(15, 4)
	l := lens(19, cl)
	for _, sym := range clOrder {
		w.bits(uint64(l[sym]), 3)
	}
	return canon(l)
}

// stream builds a test stream with f.
func stream(f func(w *bitWriter)) []byte {
	var w bitWriter
	f(&w)
	return w.bytes()
}

func TestCorrupt(t *testing.T) {
	okLit := lens(258, map[int]uint8{'a': 2, 256: 2, 257: 1}) // complete
	cases := []struct {
		name string
		in   []byte
		msg  string
	}{
		{"block type 3", []byte{0x07}, "invalid block type"},
		{"stored length", []byte{0x01, 5, 0, 0, 0}, "stored block length"},
		{"HLIT 287", stream(func(w *bitWriter) { w.bits(1|2<<1, 3); w.bits(30, 5); w.bits(0, 9) }), "too many"},
		{"HDIST 31", stream(func(w *bitWriter) { w.bits(1|2<<1, 3); w.bits(0, 5); w.bits(30, 5); w.bits(0, 4) }), "too many"},
		{"code length code over-subscribed", stream(func(w *bitWriter) {
			w.clHeader(map[int]uint8{0: 1, 1: 1, 2: 1})
		}), "bad code length code"},
		{"code length code incomplete", stream(func(w *bitWriter) {
			w.clHeader(map[int]uint8{0: 2, 1: 2})
		}), "bad code length code"},
		{"repeat first", stream(func(w *bitWriter) {
			c := w.clHeader(map[int]uint8{0: 1, 16: 1})
			w.code(c[16], 1)
			w.bits(0, 2)
		}), "no previous"},
		{"lengths overflow", stream(func(w *bitWriter) {
			c := w.clHeader(map[int]uint8{0: 1, 18: 1})
			w.code(c[18], 1)
			w.bits(127, 7)
			w.code(c[18], 1)
			w.bits(127, 7)
		}), "overflow"},
		{"no end of block", stream(func(w *bitWriter) { w.dynamic(lens(257, map[int]uint8{'a': 1, 'b': 1}), lens(1, nil)) }), "end-of-block"},
		{"lit over-subscribed", stream(func(w *bitWriter) { w.dynamic(lens(257, map[int]uint8{'a': 1, 'b': 1, 256: 1}), lens(1, nil)) }), "literal/length"},
		{"lit incomplete", stream(func(w *bitWriter) { w.dynamic(lens(257, map[int]uint8{'a': 2, 'b': 2, 256: 2}), lens(1, nil)) }), "literal/length"},
		{"lit single code of length 2", stream(func(w *bitWriter) { w.dynamic(lens(257, map[int]uint8{256: 2}), lens(1, nil)) }), "literal/length"},
		{"dist incomplete", stream(func(w *bitWriter) { w.dynamic(okLit, lens(2, map[int]uint8{0: 1, 1: 2})) }), "distance"},
		{"dist over-subscribed", stream(func(w *bitWriter) { w.dynamic(okLit, lens(3, map[int]uint8{0: 1, 1: 1, 2: 1})) }), "distance"},
		{"distance too far", stream(func(w *bitWriter) { w.bits(3, 3); w.fixedLit('a'); w.fixedMatch(3, 2); w.fixedLit(256) }), "at bit"},
		{"distance too far at start", stream(func(w *bitWriter) { w.bits(3, 3); w.fixedMatch(3, 1); w.fixedLit(256) }), "at bit"},
		{"literal/length 286", stream(func(w *bitWriter) { w.bits(3, 3); w.fixedLit(286); w.fixedLit(256) }), "at bit"},
		{"literal/length 287", stream(func(w *bitWriter) { w.bits(3, 3); w.fixedLit('a'); w.fixedLit(287) }), "at bit"},
		{"distance 30", stream(func(w *bitWriter) { w.bits(3, 3); w.fixedLit('a'); w.fixedLit(257); w.code(30, 5); w.fixedLit(256) }), "at bit"},
		{"unused code of single-code distance tree", stream(func(w *bitWriter) {
			lc, _ := w.dynamic(okLit, lens(1, map[int]uint8{0: 1}))
			w.code(lc['a'], 2)
			w.code(lc[257], 1)
			w.bits(1, 1)
		}), "at bit"},
		{"empty distance tree used", stream(func(w *bitWriter) {
			lc, _ := w.dynamic(okLit, lens(1, nil))
			w.code(lc['a'], 2)
			w.code(lc[257], 1)
			w.bits(0, 8)
		}), "at bit"},
	}
	for _, c := range cases {
		for _, o := range []decodeOpts{{}, {bufSize: 16, oneByte: true}, {appendMode: true}} {
			// Pad so that the error is not hidden by the end of the input.
			r := decode(append(c.in, make([]byte, 40)...), Options{}, o)
			if !errors.Is(r.err, ErrCorrupt) || !strings.Contains(r.err.Error(), c.msg) {
				t.Errorf("%s: got %v, want ErrCorrupt with %q", c.name, r.err, c.msg)
			}
		}
	}
}

// TestDegenerate checks the unusual codes that are valid.
func TestDegenerate(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"only end of block", stream(func(w *bitWriter) {
			lc, _ := w.dynamic(lens(257, map[int]uint8{256: 1}), lens(1, nil))
			w.code(lc[256], 1)
		}), ""},
		{"single-code distance tree", stream(func(w *bitWriter) {
			lc, dc := w.dynamic(lens(258, map[int]uint8{'a': 1, 256: 2, 257: 2}), lens(1, map[int]uint8{0: 1}))
			w.code(lc['a'], 1)
			w.code(lc[257], 2)
			w.code(dc[0], 1)
			w.code(lc[256], 2)
		}), "aaaa"},
		{"empty distance tree", stream(func(w *bitWriter) {
			lc, _ := w.dynamic(lens(257, map[int]uint8{'a': 1, 256: 1}), lens(1, nil))
			w.code(lc['a'], 1)
			w.code(lc['a'], 1)
			w.code(lc[256], 1)
		}), "aa"},
		{"stored final empty", []byte{1, 0, 0, 0xff, 0xff}, ""},
	}
	for _, c := range cases {
		r := decode(c.in, Options{}, decodeOpts{})
		if r.err != nil || string(r.out) != c.want || !bytes.Equal(r.after, trailer) {
			t.Errorf("%s: got %q, %v, reader at %q", c.name, r.out, r.err, r.after)
		}
	}
}

// TestPresetWindow checks back-references into Options.Window.
func TestPresetWindow(t *testing.T) {
	win := []byte("0123456789")
	ok := stream(func(w *bitWriter) { w.bits(3, 3); w.fixedMatch(4, 10); w.fixedMatch(3, 7); w.fixedLit(256) })
	r := decode(ok, Options{Window: win}, decodeOpts{})
	if r.err != nil || string(r.out) != "0123789" {
		t.Fatalf("got %q, %v", r.out, r.err)
	}
	bad := stream(func(w *bitWriter) { w.bits(3, 3); w.fixedMatch(4, 11); w.fixedLit(256) })
	if r := decode(bad, Options{Window: win}, decodeOpts{}); !errors.Is(r.err, ErrCorrupt) {
		t.Fatalf("distance 11 into a 10-byte window: %v", r.err)
	}
	// Append copies out of its own buffer until dst holds the window.
	if r := decode(ok, Options{Window: win}, decodeOpts{appendMode: true}); r.err != nil || string(r.out) != "0123789" {
		t.Fatalf("Append: got %q, %v", r.out, r.err)
	}
	if r := decode(bad, Options{Window: win}, decodeOpts{appendMode: true}); !errors.Is(r.err, ErrCorrupt) {
		t.Fatalf("Append: distance 11 into a 10-byte window: %v", r.err)
	}
}

// TestTruncated cuts valid streams everywhere (or at many places).
func TestTruncated(t *testing.T) {
	data := corpus()["mixed"][:30000]
	var d Decoder
	for _, comp := range [][]byte{compress(t, data, true, 6, 0), encodeFixedStored(data, 9), compress(t, data, false, 1, 5000)} {
		step := max(1, len(comp)/150)
		for cut := 0; cut < len(comp); cut += step {
			sizes := []int{4096}
			if cut%(10*step) == 0 {
				sizes = append(sizes, 16) // slow: input a few bytes at a time
			}
			for _, size := range sizes {
				d.Reset(bufio.NewReaderSize(bytes.NewReader(comp[:cut]), size), Options{})
				_, err := io.Copy(io.Discard, &d)
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("cut at %d of %d: %v", cut, len(comp), err)
				}
			}
		}
	}
}

// TestReadError checks that an error from the underlying reader is returned.
func TestReadError(t *testing.T) {
	errX := errors.New("disk on fire")
	comp := compress(t, corpus()["text"], true, 6, 0)
	for _, cut := range []int{0, 1, 100, len(comp) / 2, len(comp) - 1} {
		br := bufio.NewReader(io.MultiReader(bytes.NewReader(comp[:cut]), iotest.ErrReader(errX)))
		_, err := io.Copy(io.Discard, NewDecoder(br, Options{}))
		if !errors.Is(err, errX) {
			t.Fatalf("cut at %d: %v", cut, err)
		}
	}
}

// TestReset decodes two concatenated streams with one Decoder.
func TestReset(t *testing.T) {
	a, b := corpus()["text"], corpus()["runs"]
	ca, cb := compress(t, a, true, 6, 0), compress(t, b, false, 0, 0)
	br := bufio.NewReader(bytes.NewReader(append(append(bytes.Clone(ca), cb...), trailer...)))
	d := NewDecoder(br, Options{})
	got, err := io.ReadAll(d)
	if err != nil || !bytes.Equal(got, a) {
		t.Fatalf("first stream: %v", err)
	}
	if d.InputBits() > int64(len(ca))*8 || d.InputBits() <= int64(len(ca)-1)*8 {
		t.Fatalf("first stream ended at bit %d of %d bytes", d.InputBits(), len(ca))
	}
	d.Reset(br, Options{})
	got, err = io.ReadAll(d)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("second stream: %v", err)
	}
	if rest, _ := io.ReadAll(br); !bytes.Equal(rest, trailer) {
		t.Fatalf("reader left at %q", rest)
	}
	// Reading again after EOF keeps returning EOF.
	if n, err := d.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("read after EOF: %d, %v", n, err)
	}
}
