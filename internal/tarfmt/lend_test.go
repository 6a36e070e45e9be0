package tarfmt

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// lender lends the bytes of b in pieces of at most step bytes, and spoils
// each piece once the next is lent, so that a Reader keeping one too
// long reads garbage.
type lender struct {
	b    []byte
	step int
	last []byte
}

func (l *lender) spoil() {
	for i := range l.last {
		l.last[i] = 0xA5
	}
	l.last = nil
}

func (l *lender) Lend(n int) ([]byte, error) {
	l.spoil()
	if len(l.b) == 0 {
		return nil, io.EOF
	}
	n = min(n, l.step, len(l.b))
	l.last = append(l.last[:0:0], l.b[:n]...)
	l.b = l.b[n:]
	return l.last, nil
}

func (l *lender) Read(p []byte) (int, error) {
	b, err := l.Lend(len(p))
	return copy(p, b), err
}

// readAll reads every entry of r: names, offsets, contents (by WriteTo
// when viaWriteTo) and the error that ended it.
func readAll(r *Reader, viaWriteTo bool) string {
	var out bytes.Buffer
	for range 10000 {
		e, err := r.Next()
		if err != nil {
			fmt.Fprintf(&out, "end: %v\n", err)
			break
		}
		fmt.Fprintf(&out, "%q %d %d %d %d %v\n", e.Header.Name, e.HeaderOffset, e.DataOffset, e.DataEnd, e.Header.Size, e.Sparse)
		var data bytes.Buffer
		if viaWriteTo {
			_, err = r.WriteTo(&data)
		} else {
			_, err = io.Copy(&data, struct{ io.Reader }{r})
		}
		fmt.Fprintf(&out, "%x %v\n", data.Bytes(), err)
	}
	return out.String()
}

// FuzzLender checks that a Reader over a Lender reads every stream as it
// reads it from a plain io.Reader: the same entries, offsets, contents
// (by Read and by WriteTo) and errors.
func FuzzLender(f *testing.F) {
	for _, c := range testarchive.GNUCases() {
		if len(c.Tar) < 64<<10 {
			f.Add(c.Tar, uint16(1))
			f.Add(c.Tar, uint16(700))
		}
	}
	f.Add(fuzzProgram(nil, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}), uint16(100))
	f.Fuzz(func(t *testing.T, b []byte, step uint16) {
		want := readAll(NewReader(bytes.NewReader(b), Options{Warn: func(string) {}}), false)
		for _, viaWriteTo := range []bool{false, true} {
			l := &lender{b: b, step: max(int(step), 1)}
			got := readAll(NewReader(l, Options{Warn: func(string) {}}), viaWriteTo)
			if got != want {
				t.Fatalf("WriteTo %v, lent in steps of %d:\n got %s\nwant %s", viaWriteTo, step, got, want)
			}
		}
	})
}
