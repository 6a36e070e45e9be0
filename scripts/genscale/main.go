// Command genscale writes the tar stream of a dataset-like archive with
// many small members, for make bench's scale section: directories of
// -per-dir members each, of 0 to 2 KiB of text, directory by directory.
// With -concat N it writes as much member data, from the same generator,
// as N members instead, so that the build throughput of many members can
// be compared with that of few.
//
//	go run ./scripts/genscale -members 1000000 | pigz -6 > big.tar.gz
package main

import (
	"archive/tar"
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

func main() {
	members := flag.Int("members", 1_000_000, "number of members")
	perDir := flag.Int("per-dir", 1000, "members per directory")
	concat := flag.Int("concat", 0, "write the same bytes as this many members instead")
	flag.Parse()
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	tw := tar.NewWriter(out)
	mtime := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"tar", "gzip", "index", "member", "window", "deflate", "block", "span", "image", "label", "shard", "sample"}
	file := func(n int) []byte {
		b := make([]byte, 0, n+16)
		for len(b) < n {
			b = append(b, words[rng.IntN(len(words))]...)
			b = append(b, ' ')
		}
		return b[:n]
	}
	write := func(h *tar.Header, data []byte) {
		h.ModTime, h.Size, h.Format = mtime, int64(len(data)), tar.FormatUSTAR
		if err := tw.WriteHeader(h); err != nil {
			fail(err)
		}
		if _, err := tw.Write(data); err != nil {
			fail(err)
		}
	}
	if *concat > 0 {
		// The bytes of all members, concatenated into *concat members.
		var total int64
		sizes := make([]int, *members)
		for i := range sizes {
			sizes[i] = rng.IntN(2049)
			total += int64(sizes[i])
		}
		per := total / int64(*concat)
		for i := range *concat {
			data := make([]byte, 0, per)
			for int64(len(data)) < per {
				data = append(data, file(min(2048, int(per)-len(data)))...)
			}
			write(&tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("part%04d.bin", i), Mode: 0o644}, data)
		}
	} else {
		for i := range *members {
			if i%*perDir == 0 {
				write(&tar.Header{Typeflag: tar.TypeDir, Name: fmt.Sprintf("d%05d/", i / *perDir), Mode: 0o755}, nil)
			}
			write(&tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("d%05d/img%08d.jpg", i / *perDir, i), Mode: 0o644}, file(rng.IntN(2049)))
		}
	}
	if err := tw.Close(); err != nil {
		fail(err)
	}
	if err := out.Flush(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "genscale:", err)
	os.Exit(1)
}
