package testarchive

import "bytes"

// RawCase is a tar stream that archive/tar refuses or misreads and GNU
// tar 1.34 reads, written byte by byte (see RawTar). Doc says how it is
// made and what GNU tar does with it.
type RawCase struct {
	Name string
	Doc  string
	Tar  []byte
	// Fails is set when GNU tar -x exits non-zero on it.
	Fails bool
}

// GNUCases returns the fidelity cases of issue 13.
func GNUCases() []RawCase {
	after := func(t *RawTar) []byte { return t.File("after.txt", '0', []byte("after\n")).End().Bytes() }
	var cases []RawCase
	add := func(name, doc string, tar []byte) { cases = append(cases, RawCase{Name: name, Doc: doc, Tar: tar}) }

	add("unknown-types", "members of type 'A' (Solaris ACL), '7' (contiguous), 'N' (old GNU names, "+
		"unknown to GNU tar 1.34), 'Q' and 0x01 (no type at all) with data: GNU tar extracts "+
		"them as regular files, with \"Unknown file type\" for all but '7'",
		after(new(RawTar).
			File("acl", 'A', []byte("solaris acl text\n")).
			File("contiguous", '7', []byte("contiguous file\n")).
			File("names", 'N', []byte("old names\n")).
			File("q-type", 'Q', []byte("qqq")).
			File("ctl-type", 0x01, []byte("one"))))

	pax := PAXRecords("mtime", "1234567890", "path", "sun-long-name.txt", "uname", "sun")
	add("solaris-X", "a type 'X' extended header (Solaris, old Sun tar) with mtime, path and uname "+
		"before a regular file: GNU tar applies it as a PAX header",
		after(new(RawTar).PAX('X', "./PaxHeaders.378/f", pax).File("f", '0', []byte("sun\n"))))

	lone := new(RawTar).File("first.txt", '0', []byte("first\n")).Raw(make([]byte, 512)).
		Data(bytes.Repeat([]byte("garbage "), 64)).File("hidden.txt", '0', []byte("never read\n")).End()
	add("lone-zero-block", "a member, one zero block, then a block of text and another member: GNU "+
		"tar stops at the zero block with \"A lone zero block at 3\" and succeeds", lone.Bytes())

	add("lone-zero-block-eof", "a member and one zero block, then the end of the stream: GNU tar "+
		"warns \"A lone zero block at 3\" and succeeds",
		new(RawTar).File("first.txt", '0', []byte("first\n")).Raw(make([]byte, 512)).Bytes())

	stored := append([]byte("HELLO"), bytes.Repeat([]byte("x"), 595)...)
	add("sparse-unreferenced", "an old GNU sparse member ('S', GNU magic) of 100 bytes whose map "+
		"is 5 bytes at 10 and the final empty run at 100, with 600 bytes stored: GNU tar reads the "+
		"5 bytes and skips the rest of the stored data",
		after(new(RawTar).Header(GNUSparseHeader("sparse", [][2]int64{{10, 5}, {100, 0}}, 100, 600)).Data(stored)))

	huge := PAXRecords("zz.unknown", string(bytes.Repeat([]byte("q"), 8<<20)), "mtime", "1234567890")
	add("pax-huge-unknown", "a PAX header with an unknown record of 8 MiB and an mtime: GNU tar warns "+
		"\"Ignoring unknown extended header keyword\" and reads the member",
		after(new(RawTar).PAX('x', "PaxHeaders/f", huge).File("f", '0', []byte("big pax\n"))))

	nul := RawFile("nul-size", '0', 0)
	nul.SizeField = []byte("\x00\x00\x0000000016\x00")
	add("nul-padded-size", "a size field of three NULs, then 00000016 (14) and a NUL, then a block of "+
		"14 NULs: GNU tar skips one leading NUL, meets another and reads size 0; the zero "+
		"block that follows ends the archive",
		new(RawTar).Header(nul).Data(make([]byte, 14)).End().Bytes())

	label := RawFile("Backup volume 1", 'V', 0)
	label.Magic = MagicGNU
	add("volume-label", "a GNU volume label ('V') before a regular file: GNU tar lists it as "+
		"V--------- ... --Volume Header-- and extracts nothing for it",
		after(new(RawTar).Header(label)))

	sym := RawFile("link", '2', 10)
	sym.Linkname = "after.txt"
	cases = append(cases, RawCase{Name: "symlink-with-data", Doc: "a symbolic link whose size field " +
		"says 10, with 10 bytes of data: GNU tar -t and -xO skip the data (archive/tar reads it as " +
		"the next header); GNU tar -x does not, and fails",
		Tar: after(new(RawTar).Header(sym).Data([]byte("0123456789"))), Fails: true})

	hard := RawFile("hard", '1', 0)
	hard.Linkname = "target.txt"
	cases = append(cases, RawCase{Name: "hardlink-pax-size", Doc: "a hard link whose PAX header " +
		"says size 8, with 8 bytes of data: GNU tar reads a hard link's size field as 0 but applies " +
		"the PAX size, so -t lists it with 8 bytes and skips them, as -xO does; -x does not skip " +
		"them, and fails",
		Tar: after(new(RawTar).File("target.txt", '0', []byte("target\n")).
			PAX('x', "PaxHeaders/hard", PAXRecords("size", "8")).Header(hard).Data([]byte("DATADATA"))),
		Fails: true})

	bad := RawFile("broken", '0', 0)
	bad.BadChecksum = true
	cases = append(cases, RawCase{Name: "damaged", Doc: "two members, a header with a wrong checksum, " +
		"another member: GNU tar lists the first two, says \"Skipping to next header\", and fails",
		Tar: after(new(RawTar).File("one.txt", '0', []byte("one\n")).File("two.txt", '0', []byte("two\n")).
			Header(bad)), Fails: true})
	return cases
}
