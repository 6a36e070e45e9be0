package index

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/gzseek"
)

// normMember returns a copy of m that compares with reflect.DeepEqual
// the way the index means equality: times by instant (location and
// monotonic reading dropped), an empty PAX map like a nil one, and Seq
// (not part of a record) and the deprecated Xattrs (derived from the
// SCHILY.xattr.* PAX records) left out.
func normMember(m *Member) Member {
	c := *m
	c.Seq = 0
	h := &c.Header
	h.ModTime, h.AccessTime, h.ChangeTime = normTime(h.ModTime), normTime(h.AccessTime), normTime(h.ChangeTime)
	if len(h.PAXRecords) == 0 {
		h.PAXRecords = nil
	} else {
		h.PAXRecords = maps.Clone(h.PAXRecords)
	}
	h.Xattrs = nil //nolint:staticcheck // deprecated field, not stored
	return c
}

func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.Unix(t.Unix(), int64(t.Nanosecond())).UTC()
}

// diffMember describes how got differs from want, or returns "".
func diffMember(got, want *Member) string {
	g, w := normMember(got), normMember(want)
	if reflect.DeepEqual(g, w) {
		return ""
	}
	var b strings.Builder
	gv, wv := reflect.ValueOf(g), reflect.ValueOf(w)
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		if name == "Header" {
			continue
		}
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			fmt.Fprintf(&b, "%s: got %v, want %v; ", name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
	gh, wh := reflect.ValueOf(g.Header), reflect.ValueOf(w.Header)
	for i := range gh.NumField() {
		if !reflect.DeepEqual(gh.Field(i).Interface(), wh.Field(i).Interface()) {
			fmt.Fprintf(&b, "Header.%s: got %#v, want %#v; ", gh.Type().Field(i).Name, gh.Field(i).Interface(), wh.Field(i).Interface())
		}
	}
	return b.String()
}

// recordMembers returns members that cover every field of a record with
// ordinary, extreme and unusual values. Offsets follow one another as in
// an archive, starting at 0.
func recordMembers() []Member {
	nano := time.Date(2023, 6, 1, 12, 34, 56, 123456789, time.UTC)
	headers := []tar.Header{
		{Typeflag: tar.TypeReg, Name: "plain.txt", Size: 5, Mode: 0o644, Uid: 1000, Gid: 1000,
			Uname: "alice", Gname: "alice", ModTime: time.Unix(1e9, 0), Format: tar.FormatUSTAR},
		{Typeflag: tar.TypeRegA, Name: "old-regular", Size: 0, Mode: 0o600, ModTime: time.Unix(0, 0)},
		{Typeflag: tar.TypeDir, Name: "dir/", Mode: 0o2775, ModTime: nano, Format: tar.FormatGNU},
		{Typeflag: tar.TypeSymlink, Name: "link", Linkname: "../target/with/a/path", Mode: 0o777, ModTime: nano},
		{Typeflag: tar.TypeLink, Name: "hard", Linkname: "plain.txt", Mode: 0o644, ModTime: nano},
		{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3},
		{Typeflag: tar.TypeBlock, Name: "dev/big", Mode: 0o660, Devmajor: math.MaxInt64, Devminor: math.MinInt64},
		{Typeflag: tar.TypeFifo, Name: "fifo", Mode: 0o1644},
		{Typeflag: tar.TypeCont, Name: "contiguous", Size: 1 << 20},
		{Typeflag: tar.TypeGNUSparse, Name: "sparse", Size: 1 << 40, Format: tar.FormatGNU},
		{Typeflag: tar.TypeReg, Name: "nanos", ModTime: nano, AccessTime: nano.Add(time.Nanosecond),
			ChangeTime: nano.Add(-999999999), Format: tar.FormatPAX,
			PAXRecords: map[string]string{"mtime": "1685622896.123456789", "atime": "1685622896.12345679"}},
		{Typeflag: tar.TypeReg, Name: "only-atime", AccessTime: time.Unix(1, 1)},
		{Typeflag: tar.TypeReg, Name: "only-ctime", ChangeTime: time.Unix(-1, 999999999)},
		{Typeflag: tar.TypeReg, Name: "before-1970", ModTime: time.Date(1901, 12, 13, 20, 45, 52, 0, time.UTC)},
		{Typeflag: tar.TypeReg, Name: "far-future", ModTime: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{Typeflag: tar.TypeReg, Name: "year-1", ModTime: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)},
		{Typeflag: tar.TypeReg, Name: "xattrs", Size: 3, Format: tar.FormatPAX, PAXRecords: map[string]string{
			"SCHILY.xattr.user.mime_type":      "text/plain",
			"SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00",
			"SCHILY.xattr.user.empty":          "",
			"SCHILY.xattr.user.日本":             "値",
			"comment":                          "a comment\nwith a newline",
		}},
		{Typeflag: tar.TypeReg, Name: "big", Size: math.MaxInt64, Mode: math.MaxInt64,
			Uid: math.MaxInt32, Gid: 1 << 40, Uname: strings.Repeat("u", 300), Gname: strings.Repeat("g", 300)},
		{Typeflag: tar.TypeReg, Name: "negative-ids", Mode: -1, Uid: -1, Gid: math.MinInt32},
		{Typeflag: tar.TypeReg, Name: "données/日本語/emoji-😀.txt", Linkname: "каталог/файл",
			Uname: "josé", Gname: "équipe"},
		{Typeflag: tar.TypeReg, Name: "bytes-\x00\xff\xfe\n\t\\"},
		{Typeflag: tar.TypeReg, Name: strings.Repeat("long/", 2000) + "name", Linkname: strings.Repeat("l", 70000)},
		{Typeflag: tar.TypeReg, Name: ""},
		{Typeflag: tar.TypeXGlobalHeader, Name: "global", PAXRecords: map[string]string{"path": "x"}},
		{Typeflag: tar.TypeXHeader, Name: "pax"},
		{Typeflag: tar.TypeGNULongName, Name: "././@LongLink"},
		{Typeflag: tar.TypeGNULongLink, Name: "././@LongLink"},
		{Typeflag: 'D', Name: "dumpdir", Size: 17},
		{Typeflag: 'Z', Name: "vendor", Format: tar.Format(255)},
		{Typeflag: 0xff, Name: "high-typeflag"},
		{Typeflag: tar.TypeReg, Name: "many-pax", PAXRecords: manyPAX(500)},
	}
	// Every possible typeflag, on an otherwise ordinary header.
	for t := range 256 {
		headers = append(headers, tar.Header{Typeflag: byte(t), Name: fmt.Sprintf("type-%02x", t),
			Size: int64(t), Mode: 0o644, ModTime: time.Unix(int64(t)*1e7, int64(t))})
	}
	// Every format the reader reports, alone and combined.
	for _, f := range []tar.Format{tar.FormatUnknown, tar.FormatUSTAR, tar.FormatPAX, tar.FormatGNU,
		tar.FormatUSTAR | tar.FormatPAX, tar.FormatUSTAR | tar.FormatPAX | tar.FormatGNU} {
		headers = append(headers, tar.Header{Typeflag: tar.TypeReg, Name: "format-" + f.String(), Format: f})
	}

	members := make([]Member, len(headers))
	var end int64
	for i, h := range headers {
		m := &members[i]
		m.Header = h
		// Header runs of 512 bytes to several KiB (long-name headers),
		// data of the header size or shorter (sparse), odd gaps.
		m.HeaderOffset = (end + 511) &^ 511
		m.DataOffset = m.HeaderOffset + 512*int64(1+i%4)
		stored := min(h.Size, 1<<30)
		if h.Size < 0 {
			stored = 0
		}
		m.Sparse = h.Typeflag == tar.TypeGNUSparse || i%7 == 3
		if m.Sparse {
			stored /= 3
		}
		m.DataEnd = m.DataOffset + stored
		m.CRC = uint32(i) * 0x9e3779b1
		end = m.DataEnd
	}
	// Very large offsets and deltas.
	last := &members[len(members)-1]
	last.HeaderOffset += 1 << 50
	last.DataOffset = last.HeaderOffset + 1<<40
	last.DataEnd = last.DataOffset + 1<<45
	return members
}

func manyPAX(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("SCHILY.xattr.user.k%04d", i)] = strings.Repeat("v", i)
	}
	return m
}

func TestMemberRecord_RoundTrip(t *testing.T) {
	members := recordMembers()
	// One record at a time, from the start of a chunk.
	for i := range members {
		want := members[i]
		b := appendMember(nil, &want, 0)
		r := recordReader{b: b}
		var got Member
		if err := r.member(&got, 0); err != nil {
			t.Fatalf("member %d (%q): %v", i, want.Header.Name, err)
		}
		if d := diffMember(&got, &want); d != "" {
			t.Errorf("member %d (%q): %s", i, trunc(want.Header.Name), d)
		}
		if len(r.b) != 0 {
			t.Errorf("member %d: %d bytes left after the record", i, len(r.b))
		}
	}

	// All records in one buffer, offsets relative to the previous end.
	var b []byte
	var prevEnd int64
	for i := range members {
		b = appendMember(b, &members[i], prevEnd)
		prevEnd = members[i].DataEnd
	}
	r := recordReader{b: b}
	prevEnd = 0
	for i := range members {
		var got Member
		if err := r.member(&got, prevEnd); err != nil {
			t.Fatalf("sequence, member %d: %v", i, err)
		}
		if d := diffMember(&got, &members[i]); d != "" {
			t.Errorf("sequence, member %d (%q): %s", i, trunc(members[i].Header.Name), d)
		}
		prevEnd = got.DataEnd
	}
	if len(r.b) != 0 {
		t.Errorf("%d bytes left after the last record", len(r.b))
	}
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// TestMemberRecord_Chunk round-trips members through the chunk encoding
// that the members bucket stores, sequence numbers included.
func TestMemberRecord_Chunk(t *testing.T) {
	members := recordMembers()
	var w chunkWriter
	for start := 0; start < len(members); start += 100 {
		part := members[start:min(start+100, len(members))]
		for i := range part {
			part[i].Seq = int64(start + i)
			w.add(&part[i])
		}
		v := bytes.Clone(w.finish())
		if w.n != 0 {
			t.Fatalf("chunk writer holds %d records after finish", w.n)
		}
		var got []Member
		err := decodeChunk(v, func(m *Member) error {
			got = append(got, *m)
			return nil
		})
		if err != nil {
			t.Fatalf("chunk at %d: %v", start, err)
		}
		if len(got) != len(part) {
			t.Fatalf("chunk at %d: %d members, want %d", start, len(got), len(part))
		}
		for i := range got {
			if got[i].Seq != int64(i) {
				t.Errorf("chunk at %d, member %d: Seq %d, want %d (relative to the chunk)", start, i, got[i].Seq, i)
			}
			if d := diffMember(&got[i], &part[i]); d != "" {
				t.Errorf("chunk at %d, member %d: %s", start, i, d)
			}
		}
	}
}

// TestMemberRecord_Truncated checks that every proper prefix of a record
// fails to decode with ErrFormat, and so does a record of another version.
func TestMemberRecord_Truncated(t *testing.T) {
	var m Member
	for _, c := range recordMembers() {
		if c.Header.Name == "xattrs" {
			m = c
		}
	}
	m.HeaderOffset, m.DataOffset, m.DataEnd = 0, 512, 515
	b := appendMember(nil, &m, 0)
	for n := range len(b) {
		r := recordReader{b: b[:n]}
		var got Member
		if err := r.member(&got, 0); !errors.Is(err, ErrFormat) {
			t.Errorf("prefix of %d of %d bytes: err = %v, want ErrFormat", n, len(b), err)
		}
	}
	bad := bytes.Clone(b)
	bad[0] = recordVersion + 1
	r := recordReader{b: bad}
	var got Member
	if err := r.member(&got, 0); !errors.Is(err, ErrFormat) {
		t.Errorf("record version %d: err = %v, want ErrFormat", bad[0], err)
	}
}

// FuzzMemberRecord decodes arbitrary bytes, which must not panic; what
// decodes must encode and decode to the same member. It also encodes a
// member built from the fuzzed values and requires it back unchanged.
func FuzzMemberRecord(f *testing.F) {
	var prevEnd int64
	for i, m := range recordMembers() {
		if i%40 == 0 || i < 25 && len(m.Header.Name) < 1000 {
			f.Add(appendMember(nil, &m, prevEnd), prevEnd, m.Header.Name, m.Header.Linkname, "SCHILY.xattr.user.k", "v",
				m.Header.Typeflag, m.Header.Size, m.Header.ModTime.Unix(), uint32(i), uint64(512), uint64(i))
		}
		prevEnd = m.DataEnd
	}
	f.Add([]byte{}, int64(0), "", "", "", "", byte(0), int64(0), int64(0), uint32(0), uint64(0), uint64(0))
	f.Add([]byte{recordVersion, '0', 0, 0x80}, int64(1<<62), "a", "b", "c", "d", byte('5'), int64(-1), int64(-62135596800), uint32(1e9), uint64(1<<63), uint64(1<<62))
	f.Fuzz(func(t *testing.T, b []byte, prevEnd int64, name, link, paxKey, paxVal string,
		typ byte, size, sec int64, nsec uint32, dataOff, dataLen uint64) {
		// Arbitrary bytes.
		r := recordReader{b: b}
		var m Member
		if err := r.member(&m, prevEnd); err == nil {
			again := appendMember(nil, &m, prevEnd)
			r2 := recordReader{b: again}
			var m2 Member
			if err := r2.member(&m2, prevEnd); err != nil {
				t.Fatalf("re-decoding %x (from %x): %v", again, b, err)
			}
			if d := diffMember(&m2, &m); d != "" {
				t.Fatalf("re-decoding %x: %s", b, d)
			}
			if len(r2.b) != 0 {
				t.Fatalf("re-encoding leaves %d bytes", len(r2.b))
			}
		} else if !errors.Is(err, ErrFormat) {
			t.Fatalf("decoding %x: error %v is not ErrFormat", b, err)
		}

		// A member built from the values. Offsets and sizes are kept in
		// the ranges an archive can have (below 2^60).
		const lim = 1 << 60
		prevEnd = max(prevEnd, 0) % lim
		want := Member{
			Header: tar.Header{
				Typeflag: typ, Name: name, Linkname: link, Size: max(size, 0),
				Mode: size ^ sec, Uid: int(sec), Gid: int(int32(nsec)), Uname: paxVal, Gname: paxKey,
				ModTime:    time.Unix(sec, int64(nsec%1e9)),
				AccessTime: time.Unix(int64(nsec), int64(dataOff%1e9)),
				Devmajor:   int64(dataOff), Devminor: -int64(dataLen),
				Format: tar.Format(typ),
			},
			HeaderOffset: prevEnd + int64(dataOff%lim),
			CRC:          nsec,
			Sparse:       typ%2 == 1,
		}
		if paxKey != "" || paxVal != "" {
			want.Header.PAXRecords = map[string]string{paxKey: paxVal, "path": name}
		}
		want.DataOffset = want.HeaderOffset + int64(dataLen%lim)
		want.DataEnd = want.DataOffset + want.Header.Size%lim
		enc := appendMember(nil, &want, prevEnd)
		r = recordReader{b: enc}
		var got Member
		if err := r.member(&got, prevEnd); err != nil {
			t.Fatalf("decoding the encoding of %+v: %v", want, err)
		}
		if d := diffMember(&got, &want); d != "" {
			t.Fatalf("round trip: %s", d)
		}
	})
}

// checkpointsForTest returns checkpoints with every field at ordinary
// and extreme values.
func checkpointsForTest() []gzseek.Checkpoint {
	window := bytes.Repeat([]byte("window bytes "), gzseek.WindowSize/13)
	return []gzseek.Checkpoint{
		{Out: 0, In: 0, MemberStart: true},
		{Out: 4 << 20, In: 1234567, Bit: 3, Member: 0, Window: window},
		{Out: 1 << 40, In: 1 << 39, Bit: 7, Member: 1 << 30, Window: []byte{0}},
		{Out: 100000, In: 20000, Member: 3, MemberStart: true},
		{Out: math.MaxInt64, In: 1 << 62, Bit: 1, Member: 1 << 62, Window: make([]byte, gzseek.WindowSize)},
		{Out: 77, In: 5, Bit: 0, Member: 0, Window: []byte("short window")},
	}
}

func TestCheckpointRecord_RoundTrip(t *testing.T) {
	var codec gzseek.WindowCodec
	for i, want := range checkpointsForTest() {
		val := appendCheckpoint(nil, &want, &codec)
		got, err := readCheckpoint(u64(want.Out), val, &codec)
		if err != nil {
			t.Fatalf("checkpoint %d: %v", i, err)
		}
		if !equalCheckpoint(got, want) {
			t.Errorf("checkpoint %d: got %+v, want %+v", i, short(got), short(want))
		}
		// Without a codec the window is left out.
		got, err = readCheckpoint(u64(want.Out), val, nil)
		want.Window = nil
		if err != nil || !equalCheckpoint(got, want) || got.Window != nil {
			t.Errorf("checkpoint %d without window: got %+v, %v; want %+v", i, short(got), err, short(want))
		}
	}
}

func TestCheckpointRecord_Bad(t *testing.T) {
	var codec gzseek.WindowCodec
	good := appendCheckpoint(nil, &checkpointsForTest()[1], &codec)
	tests := []struct {
		name     string
		key, val []byte
	}{
		{"short key", []byte{0, 0, 0, 1}, good},
		{"long key", make([]byte, 9), good},
		{"negative offset", u64(-1), good},
		{"empty value", u64(0), nil},
		{"bad bit", u64(0), []byte{1, 8, 0, 0, 0}},
		{"bad flags", u64(0), []byte{1, 0, 0, 2, 0}},
		{"no flags", u64(0), []byte{1, 0, 0}},
		{"huge input offset", u64(0), append([]byte{0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 0, 0, 0, 0)},
		{"no window", u64(0), []byte{1, 0, 0, 0}},
		{"unknown window encoding", u64(0), []byte{1, 0, 0, 0, 9}},
		{"truncated window", u64(0), good[:len(good)-3]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readCheckpoint(tt.key, tt.val, &codec)
			if !errors.Is(err, ErrFormat) {
				t.Errorf("err = %v, want ErrFormat", err)
			}
		})
	}
}

func equalCheckpoint(a, b gzseek.Checkpoint) bool {
	return a.Out == b.Out && a.In == b.In && a.Bit == b.Bit && a.Member == b.Member &&
		a.MemberStart == b.MemberStart && bytes.Equal(a.Window, b.Window)
}

// short drops the window of c for printing.
func short(c gzseek.Checkpoint) gzseek.Checkpoint {
	c.Window = c.Window[:min(len(c.Window), 8)]
	return c
}

// FuzzCheckpointRecord decodes arbitrary keys and values, which must not
// panic; what decodes must encode and decode to the same checkpoint.
func FuzzCheckpointRecord(f *testing.F) {
	var codec gzseek.WindowCodec
	for _, c := range checkpointsForTest() {
		f.Add(u64(c.Out), appendCheckpoint(nil, &c, &codec))
	}
	f.Add([]byte{}, []byte{})
	f.Add(u64(1), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, key, val []byte) {
		var codec gzseek.WindowCodec
		noWindow, errNoWindow := readCheckpoint(key, val, nil)
		c, err := readCheckpoint(key, val, &codec)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v is not ErrFormat", err)
			}
			return
		}
		if errNoWindow != nil {
			t.Fatalf("decodes with a codec but not without: %v", errNoWindow)
		}
		if c.Out < 0 || c.In < 0 || c.Member < 0 || c.Bit > 7 || len(c.Window) > gzseek.WindowSize {
			t.Fatalf("decoded an invalid checkpoint %+v", short(c))
		}
		withoutWindow := c
		withoutWindow.Window = nil
		if !equalCheckpoint(noWindow, withoutWindow) {
			t.Fatalf("without codec %+v, with %+v", noWindow, short(c))
		}
		again, err := readCheckpoint(u64(c.Out), appendCheckpoint(nil, &c, &codec), &codec)
		if err != nil {
			t.Fatalf("re-decoding %+v: %v", short(c), err)
		}
		if !equalCheckpoint(again, c) {
			t.Fatalf("re-decoded %+v, want %+v", short(again), short(c))
		}
	})
}
