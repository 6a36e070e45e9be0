package testarchive

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// words is the vocabulary of Text.
var words = strings.Fields(`
	the a of and to in is that for it with as on by archive tar gzip member
	block header offset index checkpoint window stream deflate huffman stored
	file directory link name size mode owner group time seek read write extract
	parallel worker buffer byte bytes error return func type struct package go
	data zero one two three four five six seven eight nine ten hundred
`)

// Text returns n bytes of deterministic, compressible, text-like data:
// lines of words and numbers chosen by a generator seeded with seed.
func Text(seed int64, n int) []byte {
	r := rand.New(rand.NewPCG(uint64(seed), 0x74657874))
	buf := make([]byte, 0, n+128)
	for len(buf) < n {
		k := 4 + r.IntN(11)
		for i := range k {
			if i > 0 {
				buf = append(buf, ' ')
			}
			if r.IntN(6) == 0 {
				buf = strconv.AppendInt(buf, r.Int64N(100000), 10)
			} else {
				buf = append(buf, words[r.IntN(len(words))]...)
			}
		}
		buf = append(buf, '\n')
	}
	return buf[:n]
}

// Incompressible returns n deterministic pseudo-random bytes from a
// generator seeded with seed. Deflate cannot shrink them.
func Incompressible(seed int64, n int) []byte {
	src := rand.NewPCG(uint64(seed), 0x72616e64)
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := src.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}
