package gzseek

import (
	"hash/crc32"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestCRCCombine joins the CRCs of the two halves of inputs split
// everywhere that matters and compares with the CRC of the whole.
func TestCRCCombine(t *testing.T) {
	data := testarchive.Incompressible(7, 70000)
	for _, c := range []struct{ n, split int }{
		{0, 0}, {1, 0}, {1, 1}, {2, 1}, {100, 37}, {4096, 4095}, {70000, 1}, {70000, 32768}, {70000, 69999}, {70000, 70000},
	} {
		a, b := data[:c.split], data[c.split:c.n]
		got := crcCombine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b)))
		if want := crc32.ChecksumIEEE(data[:c.n]); got != want {
			t.Errorf("%d bytes split at %d: %08x, want %08x", c.n, c.split, got, want)
		}
	}
	// Long inputs: zeros, whose CRC after any prefix is easy to check.
	zeros := make([]byte, 3<<20)
	for _, n := range []int{1 << 20, 3<<20 - 5} {
		got := crcCombine(crc32.ChecksumIEEE(data[:999]), crc32.ChecksumIEEE(zeros[:n]), int64(n))
		want := crc32.Update(crc32.ChecksumIEEE(data[:999]), crc32.IEEETable, zeros[:n])
		if got != want {
			t.Errorf("999 bytes and %d zeros: %08x, want %08x", n, got, want)
		}
	}
}
