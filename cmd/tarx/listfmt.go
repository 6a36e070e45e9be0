package main

import (
	"archive/tar"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tarx-dev/tarx/internal/tarfmt"
)

// lister prints member lines the way GNU tar -t and -tv do.
type lister struct {
	utf8     bool // the locale's character set is UTF-8
	ugsWidth int  // GNU tar's running width of "user/group size"
}

func newLister() *lister {
	return &lister{utf8: localeIsUTF8(), ugsWidth: 19}
}

// localeIsUTF8 reports whether the C library would pick a UTF-8 character
// set from the environment, which decides how tar prints non-ASCII names.
func localeIsUTF8() bool {
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := os.Getenv(k); v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
		}
	}
	return false
}

// quote escapes a name as GNU tar's default "escape" quoting style does:
// backslash escapes for control characters and backslashes, octal for
// bytes that are not printable characters in the locale.
func (l *lister) quote(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '\\' || (c >= 0x80 && !l.utf8) {
			clean = false
			break
		}
	}
	if clean && (!l.utf8 || utf8.ValidString(s)) && allPrint(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 && l.utf8 {
			r, n := utf8.DecodeRuneInString(s[i:])
			if !(r == utf8.RuneError && n == 1) && printable(r) {
				b.WriteString(s[i : i+n])
				i += n
				continue
			}
		}
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, `\%03o`, c)
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	return b.String()
}

func allPrint(s string) bool {
	for _, r := range s {
		if r >= 0x80 && !printable(r) {
			return false
		}
	}
	return true
}

// printable approximates glibc's iswprint, which tar uses: graphic
// characters and spaces, format and private-use characters too.
func printable(r rune) bool {
	return unicode.IsGraphic(r) || unicode.In(r, unicode.Cf, unicode.Co)
}

// displayName is a hard link target as tar -tv prints it: leading
// slashes removed.
func displayName(name string) string {
	return strings.TrimLeft(name, "/")
}

// short returns the line of tar -t for h: the name as stored (GNU tar
// lists leading slashes, and strips them only when extracting).
func (l *lister) short(h *tar.Header) string {
	return l.quote(h.Name)
}

// long returns the line of tar -tv for h.
func (l *lister) long(h *tar.Header) string {
	user := h.Uname
	if user == "" {
		user = strconv.Itoa(h.Uid)
	}
	group := h.Gname
	if group == "" {
		group = strconv.Itoa(h.Gid)
	}
	size := strconv.FormatInt(h.Size, 10)
	switch h.Typeflag {
	case tar.TypeChar, tar.TypeBlock:
		size = fmt.Sprintf("%d,%d", h.Devmajor, h.Devminor)
	}
	pad := len(user) + 1 + len(group) + 1 + len(size)
	if pad > l.ugsWidth {
		l.ugsWidth = pad
	}
	line := fmt.Sprintf("%s %s/%s %*s %s %s", modeString(h), user, group,
		l.ugsWidth-pad+len(size), size, h.ModTime.Local().Format("2006-01-02 15:04"), l.short(h))
	switch h.Typeflag {
	case tar.TypeSymlink:
		line += " -> " + l.quote(h.Linkname)
	case tar.TypeLink:
		line += " link to " + l.quote(displayName(h.Linkname))
	case tarfmt.TypeVolume:
		line += "--Volume Header--"
	default:
		if !tarfmt.Known(h.Typeflag) {
			line += " unknown file type " + l.quoteChar(h.Typeflag)
		}
	}
	return line
}

// quoteChar quotes a type flag as GNU tar's notes do (gnulib's quote):
// ‘A’ in a UTF-8 locale, 'A' otherwise, with escapes as in names.
func (l *lister) quoteChar(t byte) string {
	s := l.quote(string([]byte{t}))
	if l.utf8 {
		return "\u2018" + s + "\u2019"
	}
	return "'" + s + "'"
}

// modeString renders the type and permission bits like ls -l and tar -tv.
func modeString(h *tar.Header) string {
	var b [10]byte
	switch h.Typeflag {
	case tar.TypeDir:
		b[0] = 'd'
	case tar.TypeSymlink:
		b[0] = 'l'
	case tar.TypeLink:
		b[0] = 'h'
	case tar.TypeChar:
		b[0] = 'c'
	case tar.TypeBlock:
		b[0] = 'b'
	case tar.TypeFifo:
		b[0] = 'p'
	case tar.TypeCont:
		b[0] = 'C'
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		b[0] = '-'
		if strings.HasSuffix(h.Name, "/") {
			b[0] = 'd'
		}
	case tarfmt.TypeDumpDir:
		b[0] = 'd'
	case tarfmt.TypeVolume, tarfmt.TypeMultiVolume:
		b[0] = h.Typeflag
	default:
		b[0] = '?'
	}
	m := h.Mode
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) != 0 {
			b[i+1] = rwx[i]
		} else {
			b[i+1] = '-'
		}
	}
	special := func(pos int, bit int64, set, unset byte) {
		if m&bit == 0 {
			return
		}
		if b[pos] == '-' {
			b[pos] = unset
		} else {
			b[pos] = set
		}
	}
	special(3, 0o4000, 's', 'S')
	special(6, 0o2000, 's', 'S')
	special(9, 0o1000, 't', 'T')
	return string(b[:])
}

// typeName names a member type in JSON output.
func typeName(t byte) string {
	switch t {
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse, tar.TypeCont:
		return "file"
	case tar.TypeDir:
		return "dir"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeChar:
		return "char"
	case tar.TypeBlock:
		return "block"
	case tar.TypeFifo:
		return "fifo"
	}
	return string(t)
}
