package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/tarx-dev/tarx/gzseek"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// windowChecker is an appender of data in steps of step bytes that fails
// unless every dst ends with the last pipeHead bytes it appended before
// and has the room gzseek.AppendRoom.
type windowChecker struct {
	data []byte
	off  int
	step int
	err  error // returned after data
}

func (w *windowChecker) Append(dst []byte) ([]byte, error) {
	if cap(dst)-len(dst) < gzseek.AppendRoom {
		return dst, fmt.Errorf("dst has %d bytes of room", cap(dst)-len(dst))
	}
	h := min(w.off, pipeHead)
	if len(dst) < h || !bytes.Equal(dst[len(dst)-h:], w.data[w.off-h:w.off]) {
		return dst, fmt.Errorf("at %d: dst does not end with the window", w.off)
	}
	if w.off == len(w.data) {
		if w.err != nil {
			return dst, w.err
		}
		return dst, io.EOF
	}
	n := min(w.step, len(w.data)-w.off, cap(dst)-len(dst))
	dst = append(dst, w.data[w.off:w.off+n]...)
	w.off += n
	return dst, nil
}

// TestPipe passes streams through a pipe of few buffers, in steps that do
// and do not divide its buffers, and checks the bytes the reader gets, and
// that a source's error reaches it after all the bytes before it.
func TestPipe(t *testing.T) {
	data := testarchive.Text(1, 3*pipeBufSize+12345)
	failure := errors.New("source failed")
	cases := []struct {
		name string
		n    int
		step int
		err  error
	}{
		{"empty", 0, 1000, nil},
		{"short", 100, 1000, nil},
		{"one buffer", pipeBufSize, 256 << 10, nil},
		{"several, odd steps", len(data), 77777, nil},
		{"several, big steps", len(data), 1 << 20, nil},
		{"error after bytes", 2*pipeBufSize + 5, 300 << 10, failure},
		{"error at once", 0, 100, failure},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPipe(context.Background(), 2)
			src := &windowChecker{data: data[:c.n], step: c.step, err: c.err}
			done := make(chan error, 1)
			go func() { done <- p.fill(src, nil) }()
			got, err := io.ReadAll(&pipeReader{p: p})
			if ferr := <-done; ferr != nil {
				t.Fatalf("fill: %v", ferr)
			}
			var se *sourceError
			switch {
			case c.err == nil && err != nil:
				t.Fatalf("read: %v", err)
			case c.err != nil && (!errors.As(err, &se) || !errors.Is(err, c.err)):
				t.Fatalf("read: %v, want the source's error", err)
			}
			if !bytes.Equal(got, data[:c.n]) {
				t.Fatalf("read %d bytes, want the %d written", len(got), c.n)
			}
		})
	}
}
