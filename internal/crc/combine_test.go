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

// TestCombine_Splits joins the CRCs of the two halves of inputs split
// everywhere that matters and compares with the CRC of the whole.
func TestCombine_Splits(t *testing.T) {
	data := make([]byte, 70000)
	rand.New(rand.NewSource(7)).Read(data)
	for _, c := range []struct{ n, split int }{
		{0, 0}, {1, 0}, {1, 1}, {2, 1}, {100, 37}, {4096, 4095}, {70000, 1}, {70000, 32768}, {70000, 69999}, {70000, 70000},
	} {
		a, b := data[:c.split], data[c.split:c.n]
		got := Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b)))
		if want := crc32.ChecksumIEEE(data[:c.n]); got != want {
			t.Errorf("%d bytes split at %d: %08x, want %08x", c.n, c.split, got, want)
		}
	}
	// Long inputs: zeros, whose CRC after any prefix is easy to check.
	zeros := make([]byte, 3<<20)
	for _, n := range []int{1 << 20, 3<<20 - 5} {
		got := Combine(crc32.ChecksumIEEE(data[:999]), crc32.ChecksumIEEE(zeros[:n]), int64(n))
		want := crc32.Update(crc32.ChecksumIEEE(data[:999]), crc32.IEEETable, zeros[:n])
		if got != want {
			t.Errorf("999 bytes and %d zeros: %08x, want %08x", n, got, want)
		}
	}
}
