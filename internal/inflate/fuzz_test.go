package inflate

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	kpflate "github.com/klauspost/compress/flate"
)

const fuzzLimit = 1 << 20

// FuzzDecode decodes arbitrary input: it must not panic or hang, must
// return only its own errors, and must agree with klauspost when both
// succeed; Append must agree with Read. The first byte chooses StartBit
// and a preset window.
func FuzzDecode(f *testing.F) {
	text := corpus()["text"][:3000]
	for _, comp := range [][]byte{
		{0x07}, {1, 0, 0, 0xff, 0xff}, {0x4b, 0x04, 0x00},
		compress(f, text, true, 6, 0), compress(f, text, false, 1, 1000),
		compress(f, text, true, 0, 700), compress(f, text, true, -2, 0),
		encodeFixedStored(text, 1),
	} {
		f.Add(append([]byte{0}, comp...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		opts := Options{StartBit: data[0] & 7}
		if data[0]&8 != 0 {
			opts.Window = text[:100]
		}
		comp := data[1:]
		r := decode(comp, opts, decodeOpts{limit: fuzzLimit})
		// Append must see the same stream: same bytes, same end, same
		// kind of error.
		a := decode(comp, opts, decodeOpts{limit: fuzzLimit, appendMode: true})
		n := min(len(r.out), len(a.out), fuzzLimit)
		if !bytes.Equal(r.out[:n], a.out[:n]) || (r.err == nil) != (a.err == nil) ||
			errors.Is(r.err, ErrCorrupt) != errors.Is(a.err, ErrCorrupt) ||
			(len(r.out) <= fuzzLimit && (len(r.out) != len(a.out) || r.bits != a.bits)) {
			t.Fatalf("Append: %d bytes, bit %d, %v; Read: %d bytes, bit %d, %v", len(a.out), a.bits, a.err, len(r.out), r.bits, r.err)
		}
		if r.err != nil {
			if !errors.Is(r.err, ErrCorrupt) && !errors.Is(r.err, io.ErrUnexpectedEOF) {
				t.Fatalf("unexpected error %v", r.err)
			}
			return
		}
		if len(r.out) > fuzzLimit || opts.StartBit != 0 || opts.Window != nil {
			return
		}
		// The stream ended: the reader must be right after it.
		if int64(len(comp)-(len(r.after)-len(trailer))) != (r.bits+7)/8 {
			t.Fatalf("stream ended at bit %d but reader is %d bytes further on", r.bits, len(comp)+len(trailer)-len(r.after))
		}
		want, err := io.ReadAll(io.LimitReader(kpflate.NewReader(bytes.NewReader(comp)), fuzzLimit+1))
		if err == nil && !bytes.Equal(r.out, want) {
			t.Fatalf("output differs from klauspost at %d (%d vs %d bytes)", firstDiff(r.out, want), len(r.out), len(want))
		}
	})
}

// FuzzDifferential compresses the input with klauspost and decodes it.
func FuzzDifferential(f *testing.F) {
	f.Add([]byte("hello, hello, hello world"), uint8(6))
	f.Add(runs(1, 2000), uint8(0x80|9))
	f.Add(corpus()["mixed"][:5000], uint8(0x80))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		level := int(mode&0x7f)%12 - 2 // HuffmanOnly, default, 0-9
		flush := 0
		if mode&0x80 != 0 {
			flush = len(data)/3 + 1
		}
		comp := compress(t, data, true, level, flush)
		r := decode(comp, Options{}, decodeOpts{windows: true})
		if r.err != nil {
			t.Fatal(r.err)
		}
		if !bytes.Equal(r.out, data) {
			t.Fatalf("output differs at %d", firstDiff(r.out, data))
		}
		if !bytes.Equal(r.after, trailer) {
			t.Fatalf("reader left at %q", r.after)
		}
		if len(r.ends) > 1 {
			e := r.ends[(len(r.ends)-1)/2]
			rr := decode(comp[e.bit/8:], Options{StartBit: uint8(e.bit % 8), Window: e.window}, decodeOpts{})
			if rr.err != nil || !bytes.Equal(rr.out, data[e.out:]) {
				t.Fatalf("resume at bit %d: %v", e.bit, rr.err)
			}
		}
	})
}

// FuzzMarkerPrefix runs MarkerDecoder.Prefix on arbitrary input from an
// arbitrary bit: it must not panic or hang, must stop within maxMatch
// symbols of the length asked for unless a block ends there, and must give
// the symbols that whole blocks give. The first two bytes choose the
// start bit and the length.
func FuzzMarkerPrefix(f *testing.F) {
	text := corpus()["text"][:3000]
	for _, comp := range [][]byte{
		compress(f, text, true, 6, 0), compress(f, text, false, 1, 1000),
		compress(f, text, true, 0, 700), encodeFixedStored(text, 1), {0x07},
	} {
		f.Add(append([]byte{0, 40}, comp...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		start, n, comp := data[0]&7, int(data[1])*64, data[2:]
		var m, whole MarkerDecoder
		m.Reset(bufio.NewReader(bytes.NewReader(comp)), start)
		final, err := m.Prefix(n)
		got := m.Output()
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !final && len(got) < n {
			t.Fatalf("Prefix(%d) stopped after %d symbols without the final block", n, len(got))
		}
		whole.Reset(bufio.NewReader(bytes.NewReader(comp)), start)
		ends := map[int]bool{0: true}
		for len(whole.Output()) < len(got) {
			fin, err := whole.Block()
			if err != nil {
				// Input cut short after what Prefix needed: the failed
				// block's output is appended as far as it got.
				break
			}
			ends[len(whole.Output())] = true
			if fin {
				break
			}
		}
		if len(whole.Output()) < len(got) {
			t.Fatalf("Prefix(%d) gave %d symbols, whole blocks %d", n, len(got), len(whole.Output()))
		}
		if !slices.Equal(got, whole.Output()[:len(got)]) {
			t.Fatalf("Prefix(%d) symbols differ from whole blocks'", n)
		}
		if !final && len(got) > n+maxMatch && !ends[len(got)] {
			t.Fatalf("Prefix(%d) went on to %d symbols inside a block", n, len(got))
		}
	})
}
