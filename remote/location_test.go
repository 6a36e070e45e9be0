package remote

import (
	"errors"
	"strings"
	"testing"
)

func TestParseLocation(t *testing.T) {
	for _, tt := range []struct {
		in, scheme, display string
		err                 bool
	}{
		{in: "a.tar.gz", scheme: "file", display: "a.tar.gz"},
		{in: "/data/x://y.tgz", scheme: "file", display: "/data/x://y.tgz"},
		{in: "https://h.example/a/b.tgz", scheme: "https", display: "https://h.example/a/b.tgz"},
		{in: "HTTP://h:8080/b.tgz", scheme: "http", display: "http://h:8080/b.tgz"},
		{in: "https://user:pw@h/b.tgz?X-Amz-Signature=s3cr3t&a=1#frag", scheme: "https", display: "https://h/b.tgz"},
		{in: "s3://bucket/dir/key.tar.gz", scheme: "s3", display: "s3://bucket/dir/key.tar.gz"},
		{in: "s3://bucket/", err: true},
		{in: "s3://bucket", err: true},
		{in: "s3://key:secret@bucket/k", err: true},
		{in: "https:///nohost", err: true},
		{in: "https://us:er:pw@h%zz/a?sig=s3cr3t", err: true},
		{in: "", err: true},
	} {
		l, err := ParseLocation(tt.in)
		if tt.err {
			if err == nil || !errors.Is(err, ErrLocation) {
				t.Errorf("%q: err %v, want ErrLocation", tt.in, err)
			} else if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "pw@") || strings.Contains(err.Error(), "secret") {
				t.Errorf("%q: error %q leaks a secret", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if l.Scheme != tt.scheme || l.String() != tt.display {
			t.Errorf("%q: scheme %q display %q, want %q %q", tt.in, l.Scheme, l.String(), tt.scheme, tt.display)
		}
	}
}

func TestWithSuffix(t *testing.T) {
	for in, want := range map[string]string{
		"a.tgz":                   "a.tgz.tarx",
		"s3://b/k.tgz":            "s3://b/k.tgz.tarx",
		"https://h/d/a.tgz?tok=1": "https://h/d/a.tgz.tarx?tok=1",
		"https://h/d/a%20b.tgz":   "https://h/d/a%20b.tgz.tarx",
	} {
		l, err := ParseLocation(in)
		if err != nil {
			t.Fatal(err)
		}
		s := l.WithSuffix(".tarx")
		got := s.String()
		if s.URL != nil {
			got = s.URL.String()
		}
		if got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestParseContentRange(t *testing.T) {
	for _, tt := range []struct {
		in                string
		start, end, total int64
		err               bool
	}{
		{in: "bytes 0-99/1000", start: 0, end: 99, total: 1000},
		{in: "bytes 10-10/*", start: 10, end: 10, total: -1},
		{in: "bytes */0", start: -1, end: -1, total: 0},
		{in: "bytes 5-4/10", err: true},
		{in: "bytes 0-10/10", err: true},
		{in: "bytes -1-5/10", err: true},
		{in: "bytes */*", err: true},
		{in: "items 0-1/2", err: true},
		{in: "", err: true},
	} {
		s, e, n, err := parseContentRange(tt.in)
		if (err != nil) != tt.err || (!tt.err && (s != tt.start || e != tt.end || n != tt.total)) {
			t.Errorf("%q: %d %d %d %v", tt.in, s, e, n, err)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/1000", "bytes */0", "bytes 1-2/*", "bytes 9223372036854775807-9223372036854775807/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, end, total, err := parseContentRange(s)
		if err != nil {
			return
		}
		if start == -1 {
			if end != -1 || total < 0 {
				t.Fatalf("%q: %d %d %d", s, start, end, total)
			}
			return
		}
		if start < 0 || end < start || (total >= 0 && end >= total) {
			t.Fatalf("%q: %d %d %d", s, start, end, total)
		}
	})
}

func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"a.tgz", "https://u:p@h/a?sig=x", "s3://b/k", "http://[::1]:80/x", "s3://b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLocation(s)
		if err != nil {
			return
		}
		d := l.String()
		if l.URL != nil {
			if p, ok := l.URL.User.Password(); ok && p != "" && strings.Contains(d, ":"+p+"@") {
				t.Fatalf("%q: display %q shows the password", s, d)
			}
			if strings.Contains(d, "?") && l.URL.RawQuery != "" && strings.Contains(d, l.URL.RawQuery) {
				t.Fatalf("%q: display %q shows the query", s, d)
			}
		}
	})
}
