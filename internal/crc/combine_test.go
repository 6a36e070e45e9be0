package crc

import (
	"hash/crc32"
	"math/rand"
	"testing"
)

func TestCombine(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	data := make([]byte, 1<<20)
	rng.Read(data)
	for _, cut := range []int{0, 1, 7, 8, 1000, 65536, 1<<20 - 1, 1 << 20} {
		a, b := data[:cut], data[cut:]
		got := Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b)))
		if want := crc32.ChecksumIEEE(data); got != want {
			t.Errorf("cut %d: Combine = %08x, want %08x", cut, got, want)
		}
	}
}

func FuzzCombine(f *testing.F) {
	f.Add([]byte("hello"), []byte(", world"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		got := Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b)))
		if want := crc32.ChecksumIEEE(append(a[:len(a):len(a)], b...)); got != want {
			t.Errorf("Combine = %08x, want %08x", got, want)
		}
	})
}
