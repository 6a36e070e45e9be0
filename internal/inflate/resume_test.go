package inflate

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// checkResume decodes comp recording every block end, then resumes at each
// non-final one and checks the rest of the output and the final position.
func checkResume(t *testing.T, name string, comp, want []byte) {
	t.Helper()
	r := decode(comp, Options{}, decodeOpts{windows: true})
	if r.err != nil || !bytes.Equal(r.out, want) {
		t.Fatalf("%s: first pass failed: %v", name, r.err)
	}
	for _, e := range r.ends {
		if e.final {
			continue
		}
		if w := want[max(0, e.out-histSize):e.out]; !bytes.Equal(e.window, w) {
			t.Fatalf("%s: window at out %d differs", name, e.out)
		}
		rr := decode(comp[e.bit/8:], Options{StartBit: uint8(e.bit % 8), Window: e.window}, decodeOpts{})
		label := fmt.Sprintf("%s: resume at bit %d out %d", name, e.bit, e.out)
		if rr.err != nil {
			t.Fatalf("%s: %v", label, rr.err)
		}
		if !bytes.Equal(rr.out, want[e.out:]) {
			t.Fatalf("%s: output differs at %d", label, firstDiff(rr.out, want[e.out:]))
		}
		ra := decode(comp[e.bit/8:], Options{StartBit: uint8(e.bit % 8), Window: e.window}, decodeOpts{appendMode: true})
		if ra.err != nil || !bytes.Equal(ra.out, want[e.out:]) || ra.bits != rr.bits {
			t.Fatalf("%s: with Append: %v, output differs at %d", label, ra.err, firstDiff(ra.out, want[e.out:]))
		}
		if !bytes.Equal(rr.after, trailer) || rr.bits != r.bits-e.bit/8*8 {
			t.Fatalf("%s: ended at bit %d, reader at %q", label, rr.bits, rr.after)
		}
		// The resumed decoder reports the same later block ends.
		for i, e2 := range rr.ends {
			var orig blockEnd
			for _, o := range r.ends {
				if o.bit == e2.bit+e.bit/8*8 {
					orig = o
				}
			}
			if orig.out != e2.out+e.out || orig.final != e2.final {
				t.Fatalf("%s: block end %d (%+v) not in the original", label, i, e2)
			}
		}
	}
}

func TestResume(t *testing.T) {
	text := testarchive.Text(21, 150000)
	mixed := corpus()["mixed"]
	cases := []struct {
		name string
		comp []byte
		want []byte
	}{
		{"kp-6", compress(t, mixed, true, 6, 0), mixed},
		{"kp-0", compress(t, mixed, true, 0, 0), mixed},
		{"std-0-flush", compress(t, text[:40000], false, 0, 999), text[:40000]},
		{"std-1-flush", compress(t, mixed, false, 1, 4567), mixed},
		{"kp-huffman-flush", compress(t, text, true, -2, 20000), text},
		{"std-9-flush", compress(t, text, false, 9, 31000), text},
	}
	for seed := range uint64(4) {
		data := mixed[:50000]
		if seed%2 == 1 {
			data = text[:50000]
		}
		cases = append(cases, struct {
			name string
			comp []byte
			want []byte
		}{fmt.Sprintf("fixed-stored-%d", seed), encodeFixedStored(data, seed), data})
	}
	for _, c := range cases {
		if got := reference(t, c.comp); !bytes.Equal(got, c.want) {
			t.Fatalf("%s: reference output differs", c.name)
		}
		check(t, c.name, c.comp, c.want, decodeOpts{})
		checkResume(t, c.name, c.comp, c.want)
	}
}

// TestWindowAtStart checks Window at the first block end, with and without
// a preset window.
func TestWindowAtStart(t *testing.T) {
	data := []byte("hello, hello, hello")
	comp := compress(t, data, true, 9, 5)
	r := decode(comp, Options{}, decodeOpts{windows: true})
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, e := range r.ends {
		if !bytes.Equal(e.window, data[:e.out]) {
			t.Fatalf("window at %d is %q", e.out, e.window)
		}
	}
	preset := bytes.Repeat([]byte("0123456789"), 4000)
	r = decode(comp, Options{Window: preset}, decodeOpts{windows: true})
	if r.err != nil || !bytes.Equal(r.out, data) {
		t.Fatalf("with window: %q, %v", r.out, r.err)
	}
	all := append(bytes.Clone(preset), data...)
	for _, e := range r.ends {
		if w := all[len(preset)+int(e.out)-histSize : len(preset)+int(e.out)]; !bytes.Equal(e.window, w) {
			t.Fatalf("window with preset at %d differs", e.out)
		}
	}
}

// bitWriter writes a deflate bit stream.
type bitWriter struct {
	buf []byte
	acc uint64
	n   uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= (v & (1<<n - 1)) << w.n
	w.n += n
	for w.n >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

// code writes a Huffman code, most significant bit first.
func (w *bitWriter) code(c uint32, n uint) {
	w.bits(uint64(bits.Reverse32(c)>>(32-n)), n)
}

func (w *bitWriter) align() {
	if w.n > 0 {
		w.bits(0, 8-w.n)
	}
}

func (w *bitWriter) bytes() []byte {
	w.align()
	return w.buf
}

// fixedLit writes literal/length symbol sym with the fixed code.
func (w *bitWriter) fixedLit(sym int) {
	switch {
	case sym < 144:
		w.code(uint32(0x30+sym), 8)
	case sym < 256:
		w.code(uint32(0x190+sym-144), 9)
	case sym < 280:
		w.code(uint32(sym-256), 7)
	default:
		w.code(uint32(0xc0+sym-280), 8)
	}
}

// fixedMatch writes a length/distance pair with the fixed codes.
func (w *bitWriter) fixedMatch(length, dist int) {
	i := len(lengthBase) - 1
	for int(lengthBase[i]) > length {
		i--
	}
	w.fixedLit(257 + i)
	w.bits(uint64(length-int(lengthBase[i])), uint(lengthExtra[i]))
	j := len(distBase) - 1
	for int(distBase[j]) > dist {
		j--
	}
	w.code(uint32(j), 5)
	w.bits(uint64(dist-int(distBase[j])), uint(distExtra[j]))
}

// stored writes a stored block.
func (w *bitWriter) stored(data []byte, final bool) {
	w.bits(b2u(final), 3)
	w.align()
	w.bits(uint64(len(data)), 16)
	w.bits(uint64(^uint16(len(data))), 16)
	w.buf = append(w.buf, data...)
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// encodeFixedStored compresses data into a random mix of fixed Huffman
// blocks (with greedy matches) and stored blocks, of random sizes.
func encodeFixedStored(data []byte, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	var w bitWriter
	head := map[[3]byte]int{}
	insert := func(i int) {
		if i+3 <= len(data) {
			head[[3]byte(data[i:])] = i
		}
	}
	for p := 0; ; {
		n := r.IntN(6000)
		if r.IntN(4) == 0 {
			n = r.IntN(8) // tiny blocks
		}
		end := min(p+n, len(data))
		final := end == len(data)
		if r.IntN(3) == 0 {
			w.stored(data[p:end], final)
			for ; p < end; p++ {
				insert(p)
			}
		} else {
			w.bits(b2u(final)|1<<1, 3)
			for p < end {
				best, dist := 0, 0
				if p+3 <= end {
					if c, ok := head[[3]byte(data[p:])]; ok && p-c <= histSize {
						for best < maxMatch && p+best < end && data[c+best] == data[p+best] {
							best++
						}
						dist = p - c
					}
				}
				if best >= 3 {
					w.fixedMatch(best, dist)
				} else {
					best = 1
					w.fixedLit(int(data[p]))
				}
				for range best {
					insert(p)
					p++
				}
			}
			w.fixedLit(256)
		}
		if final {
			return w.bytes()
		}
	}
}

// TestResumeEveryBit resumes a tiny stream at each StartBit value.
func TestStartBit(t *testing.T) {
	for sb := range uint8(8) {
		var w bitWriter
		w.bits(0x5a, uint(sb)) // junk from a previous block
		w.bits(1|1<<1, 3)
		for _, c := range []byte("abcabcabc") {
			w.fixedLit(int(c))
		}
		w.fixedMatch(5, 3)
		w.fixedLit(256)
		comp := w.bytes()
		var ends []int64
		br := bufio.NewReader(io.MultiReader(bytes.NewReader(comp), bytes.NewReader(trailer)))
		d := NewDecoder(br, Options{StartBit: sb, OnBlockEnd: func(bit, out int64, final bool) { ends = append(ends, bit) }})
		out, err := io.ReadAll(d)
		if err != nil || string(out) != "abcabcabcabcab" {
			t.Fatalf("StartBit %d: %q, %v", sb, out, err)
		}
		if rest, _ := io.ReadAll(br); !bytes.Equal(rest, trailer) {
			t.Fatalf("StartBit %d: reader left at %q", sb, rest)
		}
		if want := int64(sb) + 3 + 9*8 + 7 + 5 + 7; len(ends) != 1 || ends[0] != want || d.InputBits() != want {
			t.Fatalf("StartBit %d: ends %v, InputBits %d, want %d", sb, ends, d.InputBits(), want)
		}
	}
	d := NewDecoder(bufio.NewReader(bytes.NewReader([]byte{3, 0})), Options{StartBit: 8})
	if _, err := d.Read(make([]byte, 10)); err != ErrStartBit {
		t.Fatalf("StartBit 8: %v", err)
	}
}
