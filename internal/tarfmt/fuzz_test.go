package tarfmt

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// FuzzReader checks the reader's promises on any stream: no panic, entries
// in order with consistent offsets, contents of exactly Header.Size bytes
// (or an error), and a sticky error.
func FuzzReader(f *testing.F) {
	for _, c := range testarchive.GNUCases() {
		if len(c.Tar) < 64<<10 {
			f.Add(c.Tar)
		}
	}
	f.Add(fuzzProgram(nil, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(bytes.NewReader(b), Options{Warn: func(string) {}})
		var prevEnd int64
		for range 10000 {
			e, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if _, err2 := r.Next(); err2 == nil {
					t.Fatalf("Next after %v succeeded", err)
				}
				return
			}
			if e.HeaderOffset < prevEnd || e.DataOffset <= e.HeaderOffset || e.DataEnd < e.DataOffset ||
				e.HeaderOffset%blockSize != 0 || e.DataOffset%blockSize != 0 {
				t.Fatalf("offsets %d %d %d after %d", e.HeaderOffset, e.DataOffset, e.DataEnd, prevEnd)
			}
			prevEnd = e.DataEnd
			n, err := io.Copy(io.Discard, r)
			if err != nil {
				return
			}
			if want := e.Header.Size; Regular(e.Header.Typeflag) && n != want {
				t.Fatalf("%q: read %d bytes, size %d", e.Header.Name, n, want)
			}
			if !e.Sparse && Regular(e.Header.Typeflag) && e.DataEnd-e.DataOffset != n {
				t.Fatalf("%q: %d bytes stored, %d read", e.Header.Name, e.DataEnd-e.DataOffset, n)
			}
		}
	})
}

// FuzzGNUTar is the differential test of issue 13: random tar streams
// built from real header fragments (all type flags, PAX and GNU
// extensions, sparse maps, odd numbers, zero blocks, garbage,
// truncations), read by tarx and by GNU tar -t and -xO. Whenever tarx
// reads a stream without error, GNU tar must too, with the same names,
// the same bytes and the same warnings. It skips if GNU tar is missing.
func FuzzGNUTar(f *testing.F) {
	if !haveGNUTar() {
		f.Skip("GNU tar is not installed as tar")
	}
	for _, p := range [][]byte{
		{0, 10, 0, 20},
		{1, 0, 1, 9, 1, 17, 0, 3},
		{2, 1, 0, 5, 2, 7, 3},
		{4, 0, 4, 1, 4, 2, 0, 1},
		{0, 1, 5, 6, 0, 2},
		{8, 0, 8, 1, 8, 2, 8, 3},
		{9, 0, 10, 0, 10, 1, 0, 4},
		{13, 0, 13, 1, 0, 0},
		{0, 5, 7, 40, 65, 0, 1},
		{0, 9, 11, 100},
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		if len(prog) > 64 {
			return
		}
		compareGNU(t, fuzzProgram(t, prog))
	})
}

// fuzzTypes are the type flags the fragments use: archive/tar's, GNU's,
// Solaris', and some nobody defines.
var fuzzTypes = []byte{'0', 0, '1', '2', '3', '4', '5', '6', '7', 'A', 'D', 'E', 'I', 'K', 'L', 'M', 'N', 'S', 'V', 'X', 'g', 'x', 0x01, 0xff, ' '}

// fuzzSizeFields are size fields of 3 bytes of data in the forms tars
// have written, and some they should not have.
var fuzzSizeFields = []string{
	"00000000003\x00", "\x0000000000003", "\x00\x00000000003", "          3 ", " 3\x00        ",
	"3\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03",
	"0000000003x\x00", "            ", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
}

// fuzzProgram builds a tar stream from prog: each op byte appends a
// fragment, reading its parameters from the bytes after it.
func fuzzProgram(_ testing.TB, prog []byte) []byte {
	var tw testarchive.RawTar
	i := 0
	arg := func() int {
		if i < len(prog) {
			i++
			return int(prog[i-1])
		}
		return 0
	}
	data := func(n int) []byte {
		b := make([]byte, 0, n)
		for len(b) < n {
			b = fmt.Appendf(b, "<%d:%d>", len(b), n)
		}
		return b[:n]
	}
	lastHeader := -1 // offset of the last header block, for corruption
	header := func(h testarchive.RawHeader) {
		lastHeader = len(tw.Bytes())
		tw.Header(h)
	}
	for k := 0; i < len(prog); k++ {
		op := arg() % 15
		name := fmt.Sprintf("m%d", k)
		switch op {
		case 0: // a regular file
			n := arg() * 7
			header(testarchive.RawFile(name, '0', int64(n)))
			tw.Data(data(n))
		case 1: // a member of any type, with some data
			typ := fuzzTypes[arg()%len(fuzzTypes)]
			n := arg() % 40
			h := testarchive.RawFile(name, typ, int64(n))
			h.Linkname = "m0"
			if arg()%2 == 0 {
				h.Magic = testarchive.MagicGNU
			}
			header(h)
			tw.Data(data(n))
		case 2: // an extended header ('x', 'X' or 'g') with a choice of records
			typ := []byte{'x', 'X', 'g'}[arg()%3]
			var kv []string
			for sel := arg(); sel != 0; sel >>= 3 {
				switch sel & 7 {
				case 1:
					kv = append(kv, "path", "pax/"+name)
				case 2:
					kv = append(kv, "mtime", "1234567890.5")
				case 3:
					kv = append(kv, "size", fmt.Sprint(arg()%20))
				case 4:
					kv = append(kv, "zz.unknown."+name, string(data(arg()*3)))
				case 5:
					kv = append(kv, "uname", "pax-user", "linkpath", "m0")
				case 6:
					kv = append(kv, "comment", "hello", "SCHILY.xattr.user.k", "v")
				case 7:
					kv = append(kv, "GNU.sparse.map", "0,2,4,1", "GNU.sparse.size", "6")
				}
			}
			recs := testarchive.PAXRecords(kv...)
			if arg()%5 == 0 && len(recs) > 0 {
				recs = recs[:len(recs)-1-arg()%len(recs)] // a broken record
			}
			h := testarchive.RawFile("PaxHeaders/"+name, typ, int64(len(recs)))
			header(h)
			tw.Data(recs)
		case 3: // a GNU long name or link
			typ := []byte{'L', 'K'}[arg()%2]
			long := fmt.Sprintf("long/%s/%s", name, bytes.Repeat([]byte("n"), 100+arg()))
			h := testarchive.RawFile("././@LongLink", typ, int64(len(long)+1))
			h.Magic = testarchive.MagicGNU
			header(h)
			tw.Data(append([]byte(long), 0))
		case 4: // an old GNU sparse member: valid, data past the map, or a bad map
			maps := [][][2]int64{{{2, 3}, {10, 0}}, {{0, 4}, {8, 2}}, {{5, 1}}, {{4, 2}, {0, 2}}, {{0, 3}, {20, 0}}}
			m := maps[arg()%len(maps)]
			var total int64
			for _, e := range m {
				total += e[1]
			}
			stored := total + int64(arg()%3)*300
			real := int64(10)
			if arg()%4 == 0 {
				real = 20
			}
			h := testarchive.GNUSparseHeader(name, m, real, stored)
			if arg()%5 == 0 {
				h.Magic = testarchive.MagicUSTAR // 'S' in a POSIX header is a plain file to GNU tar
			}
			header(h)
			tw.Data(data(int(stored)))
		case 5: // a zero block
			tw.Raw(make([]byte, 512))
		case 6: // a block of garbage
			tw.Raw(bytes.Repeat([]byte("garbage!"), 64))
		case 7: // corrupt a byte of the last header, checksum fixed or not
			off, v, fix := arg()*2%512, byte(arg()), arg()%2 == 0
			if lastHeader >= 0 {
				b := tw.Bytes()
				blk := b[lastHeader : lastHeader+512]
				blk[off] = v
				if fix {
					copy(blk[148:156], "        ")
					sum := 0
					for _, c := range blk {
						sum += int(c)
					}
					copy(blk[148:156], fmt.Sprintf("%06o\x00 ", sum))
				}
				tw = testarchive.RawTar{}
				tw.Raw(b)
			}
		case 8: // odd size fields, 3 bytes of data
			h := testarchive.RawFile(name, '0', 3)
			h.SizeField = []byte(fuzzSizeFields[arg()%len(fuzzSizeFields)])
			header(h)
			tw.Data([]byte("abc"))
		case 9: // a PAX sparse 1.0 member: the map in the data
			mapText := "2\n0\n3\n8\n2\n"
			if arg()%3 == 0 {
				mapText = "1\n0\n3\n" // ends before the size
			}
			body := append([]byte(mapText), make([]byte, -len(mapText)&511)...)
			body = append(body, data(5)...)
			recs := testarchive.PAXRecords("GNU.sparse.major", "1", "GNU.sparse.minor", "0",
				"GNU.sparse.name", "sparse/"+name, "GNU.sparse.realsize", "10")
			header(testarchive.RawFile("PaxHeaders/"+name, 'x', int64(len(recs))))
			tw.Data(recs)
			header(testarchive.RawFile("GNUSparseFile/"+name, '0', int64(len(body))))
			tw.Data(body)
		case 10: // a PAX sparse 0.0 member: offset and numbytes records
			recs := testarchive.PAXRecords("GNU.sparse.size", "9", "GNU.sparse.numblocks", "2",
				"GNU.sparse.offset", "1", "GNU.sparse.numbytes", "2", "GNU.sparse.offset", "6", "GNU.sparse.numbytes", "3")
			if arg()%2 == 0 {
				recs = append(recs, testarchive.PAXRecords("GNU.sparse.name", "s00/"+name)...)
			}
			header(testarchive.RawFile("PaxHeaders/"+name, 'x', int64(len(recs))))
			tw.Data(recs)
			header(testarchive.RawFile(name, '0', 5))
			tw.Data(data(5))
		case 11: // cut the stream here
			b := tw.Bytes()
			cut := len(b) - arg()*5
			if cut < 0 {
				cut = 0
			}
			return b[:cut]
		case 12: // the end-of-archive marker
			tw.End()
		case 13: // a hard link or directory with a size and data
			typ := []byte{'1', '5'}[arg()%2]
			h := testarchive.RawFile(name, typ, int64(arg()%30))
			h.Linkname = "m0"
			header(h)
			if arg()%2 == 0 {
				tw.Data(data(int(h.Size)))
			}
		case 14: // a V7 header
			h := testarchive.RawFile(name, []byte{0, '0', '5'}[arg()%3], 4)
			h.V7 = true
			header(h)
			tw.Data(data(4))
		}
	}
	return tw.End().Bytes()
}

// FuzzParsePAX checks the extended header parser: no panic, and every
// record it returns has a keyword without '=' or NUL (maybe empty, which
// GNU tar ignores as unknown), and the records fit in the header.
func FuzzParsePAX(f *testing.F) {
	f.Add(testarchive.PAXRecords("path", "a/b", "mtime", "1.5", "zz.unknown", "v"))
	f.Add([]byte("17 comment=hello\n\x00\x00"))
	f.Add([]byte("9999 path=x\n"))
	f.Add([]byte("  12 \tpath=x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, unknown, err := parsePAX(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		total := 0
		for _, r := range recs {
			if bytes.ContainsAny([]byte(r.key), "=\x00") { // "" is an unknown keyword to GNU tar
				t.Fatalf("keyword %q", r.key)
			}
			total += len(r.key) + len(r.value) + 3
		}
		if total > len(b) {
			t.Fatalf("%d bytes of records from a header of %d", total, len(b))
		}
		for _, k := range unknown {
			if knownKeyword(k) {
				t.Fatalf("known keyword %q reported unknown", k)
			}
		}
	})
}
