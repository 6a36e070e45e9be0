package gzseek

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

func TestParseHeader(t *testing.T) {
	full := testarchive.Gzip(t, []byte("x"), testarchive.Headers)
	tests := []struct {
		name    string
		in      []byte
		wantN   int
		wantErr error
		check   func(Header) bool
	}{
		{"minimal", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, 10, nil,
			func(h Header) bool { return h.OS == 3 && h.ModTime.IsZero() }},
		{"mtime", []byte{0x1f, 0x8b, 8, 0, 0x80, 0, 0, 0, 0, 3}, 10, nil,
			func(h Header) bool { return h.ModTime.Equal(time.Unix(128, 0)) }},
		{"name", append([]byte{0x1f, 0x8b, 8, flagName, 0, 0, 0, 0, 0, 3}, "a.tar\x00"...), 16, nil,
			func(h Header) bool { return h.Name == "a.tar" }},
		{"extra", []byte{0x1f, 0x8b, 8, flagExtra, 0, 0, 0, 0, 0, 3, 2, 0, 'A', 'B'}, 14, nil,
			func(h Header) bool { return string(h.Extra) == "AB" }},
		{"all flags", full, -1, nil,
			func(h Header) bool { return h.Text && h.Name != "" && h.Comment != "" && len(h.Extra) > 0 }},
		{"bad magic", []byte{0x1f, 0x8c, 8, 0, 0, 0, 0, 0, 0, 3}, 0, ErrHeader, nil},
		{"bad method", []byte{0x1f, 0x8b, 9, 0, 0, 0, 0, 0, 0, 3}, 0, ErrHeader, nil},
		{"reserved flag", []byte{0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3}, 0, ErrHeader, nil},
		{"short", []byte{0x1f, 0x8b, 8}, 0, ErrTruncated, nil},
		{"name unterminated", append([]byte{0x1f, 0x8b, 8, flagName, 0, 0, 0, 0, 0, 3}, "abc"...), 0, ErrTruncated, nil},
		{"extra short", []byte{0x1f, 0x8b, 8, flagExtra, 0, 0, 0, 0, 0, 3, 9, 0, 'A'}, 0, ErrTruncated, nil},
		{"bad header crc", []byte{0x1f, 0x8b, 8, flagHdrCRC, 0, 0, 0, 0, 0, 3, 0, 0}, 0, ErrHeader, nil},
		{"empty", nil, 0, io.EOF, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n, err := ParseHeader(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if tt.wantN >= 0 && n != tt.wantN {
				t.Errorf("n = %d, want %d", n, tt.wantN)
			}
			if !tt.check(h) {
				t.Errorf("header %+v", h)
			}
		})
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3})
	f.Add(append([]byte{0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3, 2, 0, 'A', 'B'}, "n\x00c\x00\x00\x00"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, n, err := ParseHeader(b)
		if err == nil && (n < 10 || n > len(b)) {
			t.Fatalf("n = %d for %d bytes", n, len(b))
		}
	})
}

// FuzzScanResume scans arbitrary bytes; when the scan succeeds, every
// checkpoint must resume to the same bytes. Nothing may panic or hang.
func FuzzScanResume(f *testing.F) {
	data := sample(200 << 10)
	for _, s := range []testarchive.Style{testarchive.GoLevel0, testarchive.GoLevel1, testarchive.MultiMember, testarchive.StoredHuffman} {
		f.Add(testarchive.Gzip(f, data[:12<<10], s))
	}
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte("not gzip"))
	f.Fuzz(func(t *testing.T, z []byte) {
		var cps []Checkpoint
		s := NewScanner(bytes.NewReader(z), ScanOptions{Span: 4 << 10}, func(c Checkpoint) error {
			cps = append(cps, c)
			return nil
		})
		// Bound the work: a few MB of output, a few dozen resumes.
		out, err := io.ReadAll(io.LimitReader(s, 4<<20))
		if err != nil || len(out) == 4<<20 {
			return
		}
		step := max(1, len(cps)/32)
		for i := 0; i < len(cps); i += step {
			c := cps[i]
			r, err := Resume(bytes.NewReader(z), int64(len(z)), c)
			if err != nil {
				t.Fatalf("Resume at %d: %v", c.Out, err)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("resume at %d: %v", c.Out, err)
			}
			if !bytes.Equal(got, out[c.Out:]) {
				t.Fatalf("resume at %d: bytes differ", c.Out)
			}
		}
	})
}

func TestWindowCodec(t *testing.T) {
	var c WindowCodec
	for _, w := range [][]byte{nil, []byte("abc"), sample(WindowSize), testarchive.Incompressible(1, WindowSize)} {
		enc := c.Encode(nil, w)
		got, err := c.Decode(enc)
		if err != nil || !bytes.Equal(got, w) {
			t.Errorf("round trip of %d bytes: %v", len(w), err)
		}
	}
	if _, err := c.Decode([]byte{9}); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("unknown encoding: %v", err)
	}
	big := c.Encode(nil, make([]byte, WindowSize+1))
	if _, err := c.Decode(big); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("oversized window: %v", err)
	}
	if _, err := c.Decode([]byte{windowFlate, 0xff, 0xff}); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("corrupt window: %v", err)
	}
}

func FuzzWindowDecode(f *testing.F) {
	var c WindowCodec
	f.Add(c.Encode(nil, []byte("hello hello hello")))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c WindowCodec
		w, err := c.Decode(b)
		if err == nil && len(w) > WindowSize {
			t.Fatalf("window of %d bytes", len(w))
		}
	})
}
