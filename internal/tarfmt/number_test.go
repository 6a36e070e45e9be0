package tarfmt

import (
	"errors"
	"testing"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		field string
		want  int64
		err   bool
	}{
		{"00000000016\x00", 0o16, false},
		{"\x0000000000016", 0o16, false},               // one leading NUL skipped
		{"\x00\x00\x0000000016\x00", 0, false},         // a second NUL ends the digits: 0
		{"     16 \x00", 0o16, false},                  // leading blanks
		{"\x00   16\x00", 0o16, false},                 // NUL, then blanks
		{"\x00\x00\x00\x00\x00\x00\x00\x00", 0, false}, // all NULs
		{"        ", 0, true},                          // blanks only
		{"0000001x\x00", 0, true},                      // a stray byte after the digits
		{"12 34", 0o12, false},                         // digits end at a blank
		{"\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00", 256, false},
		{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", -1, false},
		{"\x81\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 0, true}, // not 0x80: not a number
		{"\x80\x7f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 0, true}, // too large
		{"77777777777777777777777", 0, true},                          // octal overflow
	}
	for _, tt := range tests {
		got, err := parseNumber([]byte(tt.field), false, "size")
		if (err != nil) != tt.err || (err == nil && got != tt.want) {
			t.Errorf("parseNumber(%q) = %d, %v; want %d, error %v", tt.field, got, err, tt.want, tt.err)
		}
		if err != nil && !errors.Is(err, ErrHeader) {
			t.Errorf("parseNumber(%q): error %v is not ErrHeader", tt.field, err)
		}
	}
	if _, err := parseNumber([]byte("\x80\x00\x00\x00\x00\x00\x00\x01"), true, "checksum"); err == nil {
		t.Error("octal-only field accepted base-256")
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"00000000016\x00", "\x00\x00\x0016", "\x80\x00\x01", "\xff\xff", "  7 ", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseNumber(b, false, "field")
		if err != nil {
			return
		}
		// A field of octal digits only is that number.
		if len(b) > 0 && len(b) <= 21 && b[0] >= '0' && b[0] <= '7' {
			var want int64
			i := 0
			for ; i < len(b) && b[i] >= '0' && b[i] <= '7'; i++ {
				want = want*8 + int64(b[i]-'0')
			}
			if v != want {
				t.Fatalf("parseNumber(%q) = %d, want %d", b, v, want)
			}
		}
	})
}
