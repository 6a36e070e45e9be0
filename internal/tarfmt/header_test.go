package tarfmt

import (
	"math/rand/v2"
	"testing"
)

// TestBlockSums compares the word-at-a-time sums of a header block with
// the byte-by-byte definition, on blocks of every kind of byte.
func TestBlockSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		var b block
		for j := range b {
			switch i % 4 {
			case 0:
				b[j] = byte(rng.IntN(256))
			case 1:
				b[j] = 0xff
			case 2:
				b[j] = byte(rng.IntN(128))
			case 3:
				b[j] = byte(0x80 + rng.IntN(128))
			}
		}
		var unsigned, signed int64
		for j, c := range b {
			if j >= offChksum && j < offChksum+8 {
				c = ' '
			}
			unsigned += int64(c)
			signed += int64(int8(c))
		}
		if u, s := b.sums(); u != unsigned || s != signed {
			t.Fatalf("block %d: sums %d, %d, want %d, %d", i, u, s, unsigned, signed)
		}
	}
}
