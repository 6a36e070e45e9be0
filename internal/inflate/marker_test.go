package inflate

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"testing"
)

// markerInputs returns streams with many block boundaries of every kind.
func markerInputs(t *testing.T) map[string][]byte {
	mixed := corpus()["mixed"]
	big := bytes.Repeat(mixed, 4)
	return map[string][]byte{
		"kp-6-flush":   compress(t, big, true, 6, 7919),
		"kp-1":         compress(t, big, true, 1, 0),
		"std-9-flush":  compress(t, big, false, 9, 3001),
		"std-0":        compress(t, big, false, 0, 0),
		"std-huffman":  compress(t, big, false, -2, 5000),
		"fixed-stored": encodeFixedStored(big[:60000], 3),
	}
}

// resolve replaces markers with window bytes (window is the 32 KiB before
// the start, right-aligned).
func resolve(t *testing.T, sym []uint16, window []byte) []byte {
	t.Helper()
	out := make([]byte, len(sym))
	for i, v := range sym {
		if v < MarkerBase {
			out[i] = byte(v)
			continue
		}
		j := int(v-MarkerBase) - (histSize - len(window))
		if j < 0 {
			t.Fatalf("marker %d reaches before the window of %d bytes", v-MarkerBase, len(window))
		}
		out[i] = window[j]
	}
	return out
}

// TestMarkerDecoder starts a MarkerDecoder at every block boundary, decodes
// to the end, and checks that the output with the markers replaced by the
// true window is the stream's output, and that block ends match.
func TestMarkerDecoder(t *testing.T) {
	var m MarkerDecoder
	for name, comp := range markerInputs(t) {
		r := decode(comp, Options{}, decodeOpts{})
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		ends := map[int64]blockEnd{}
		for _, e := range r.ends {
			ends[e.bit] = e
		}
		for k, e := range r.ends {
			if e.final || (k%3 != 0 && k > 10) {
				continue
			}
			label := fmt.Sprintf("%s: start at bit %d", name, e.bit)
			m.Reset(bufio.NewReader(bytes.NewReader(comp[e.bit/8:])), uint8(e.bit%8))
			for {
				final, err := m.Block()
				if err != nil {
					t.Fatalf("%s: %v", label, err)
				}
				abs := m.InputBits() + e.bit/8*8
				orig, ok := ends[abs]
				if !ok || orig.final != final || orig.out-e.out != int64(len(m.Output())) {
					t.Fatalf("%s: block end at bit %d (out %d, final %v) not in the original", label, abs, len(m.Output()), final)
				}
				if final {
					break
				}
			}
			if _, err := m.Block(); err != io.EOF {
				t.Fatalf("%s: after the final block: %v, want EOF", label, err)
			}
			got := resolve(t, m.Output(), r.out[max(0, e.out-histSize):e.out])
			if !bytes.Equal(got, r.out[e.out:]) {
				t.Fatalf("%s: output differs at %d", label, firstDiff(got, r.out[e.out:]))
			}
		}
	}
}

// TestMarkerPrefix checks that Prefix stops within maxMatch symbols past
// the length asked for (or at the end of the stream) with the same
// symbols as whole blocks give, and that the decoder refuses to go on
// after stopping inside a block.
func TestMarkerPrefix(t *testing.T) {
	var m, whole MarkerDecoder
	for name, comp := range markerInputs(t) {
		r := decode(comp, Options{}, decodeOpts{})
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		for k, e := range r.ends {
			if e.final || k%7 != 0 {
				continue
			}
			rest := int(int64(len(r.out)) - e.out)
			for _, n := range []int{0, 1, 1000, histSize + maxMatch, 100_000, rest, rest + 1} {
				label := fmt.Sprintf("%s: start at bit %d, Prefix(%d)", name, e.bit, n)
				m.Reset(bufio.NewReader(bytes.NewReader(comp[e.bit/8:])), uint8(e.bit%8))
				final, err := m.Prefix(n)
				if err != nil {
					t.Fatalf("%s: %v", label, err)
				}
				got := m.Output()
				// Only a stored block, copied whole, may take it further.
				if len(got) < min(n, rest) || !final && len(got) > n+maxMatch && !isBlockEnd(r, e, len(got)) {
					t.Fatalf("%s: %d symbols", label, len(got))
				}
				if final && len(got) != rest {
					t.Fatalf("%s: final %v with %d of %d symbols", label, final, len(got), rest)
				}
				whole.Reset(bufio.NewReader(bytes.NewReader(comp[e.bit/8:])), uint8(e.bit%8))
				for len(whole.Output()) < len(got) {
					if _, err := whole.Block(); err != nil {
						t.Fatalf("%s: whole blocks: %v", label, err)
					}
				}
				if !slices.Equal(got, whole.Output()[:len(got)]) {
					t.Fatalf("%s: symbols differ from whole blocks'", label)
				}
				if _, err := m.Block(); !final && err == nil && !isBlockEnd(r, e, len(got)) {
					t.Fatalf("%s: Block after a stop inside a block did not fail", label)
				}
			}
		}
	}
}

// isBlockEnd reports whether the output n symbols after the block end e is
// also a block end, where Prefix may stop with the decoder still usable.
func isBlockEnd(r result, e blockEnd, n int) bool {
	for _, x := range r.ends {
		if x.out == e.out+int64(n) {
			return true
		}
	}
	return false
}

// TestMarkerCorrupt checks that corrupt data gives an error, not a panic.
func TestMarkerCorrupt(t *testing.T) {
	comp := markerInputs(t)["kp-6-flush"]
	var m MarkerDecoder
	for i := 0; i < len(comp); i += 97 {
		bad := bytes.Clone(comp)
		bad[i] ^= 0x5a
		m.Reset(bufio.NewReader(bytes.NewReader(bad[i/2:])), uint8(i%8))
		for n := 0; n < 1000; n++ {
			if _, err := m.Block(); err != nil {
				break
			}
		}
	}
}

// TestBlockFinder checks that Find finds every dynamic and stored block
// boundary when searching from it, and that a search from 200 bits before
// one never skips it (it may stop at a false candidate before it).
func TestBlockFinder(t *testing.T) {
	var f BlockFinder
	for name, comp := range markerInputs(t) {
		r := decode(comp, Options{}, decodeOpts{})
		found := 0
		for _, e := range r.ends {
			if e.final {
				continue
			}
			v := loadBits(comp, e.bit)
			if v&7 != 0 && v&7 != 4 {
				continue // fixed Huffman: not looked for
			}
			bit, stored, ok := f.Find(comp, e.bit, e.bit+1)
			if v&7 == 0 && !ok {
				continue // stored block with non-zero padding
			}
			if !ok || bit != e.bit || stored != (v&7 == 0) {
				t.Fatalf("%s: boundary at bit %d (type %d) not found: %d %v %v", name, e.bit, v>>1&3, bit, stored, ok)
			}
			found++
			if stored && (StoredEnd(bit) < bit || StoredEnd(bit) > bit+7) {
				t.Fatalf("%s: StoredEnd(%d) = %d", name, bit, StoredEnd(bit))
			}
			if e.bit > 200 {
				bit, stored, ok := f.Find(comp, e.bit-200, e.bit+1)
				if !ok || bit > e.bit {
					t.Fatalf("%s: search before bit %d found %d %v %v", name, e.bit, bit, stored, ok)
				}
			}
		}
		if found == 0 && name != "fixed-stored" {
			t.Errorf("%s: no boundary tested", name)
		}
	}
}
