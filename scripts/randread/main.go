// Command randread measures random reads of the files under a directory:
// THREADS goroutines each pread SIZE bytes at random offsets of randomly
// chosen regular files for DURATION, then it prints the reads per second
// and latency percentiles as one line of JSON. make bench runs it against
// a tarx mount and an archivemount one.
//
// With -list, the files are the paths in FILE (one a line, relative to
// DIR, as tarx ls prints them) and DIR is not walked: on an archive of
// millions of members the readers then meet files as a program that
// knows its file names does, and the mount holds no inode of the rest.
//
//	randread [-threads 64] [-size 65536] [-duration 10s] [-min 1048576] [-list FILE] DIR
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	threads := flag.Int("threads", 64, "concurrent readers")
	size := flag.Int("size", 64<<10, "bytes per read")
	duration := flag.Duration("duration", 10*time.Second, "how long to read")
	minSize := flag.Int64("min", 1<<20, "only files of at least this many bytes")
	list := flag.String("list", "", "read the files named in `FILE` (relative to DIR) instead of walking DIR")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: randread [flags] DIR")
		os.Exit(2)
	}
	type file struct {
		path string
		size int64
	}
	var files []file
	skipped := 0
	var err error
	if *list != "" {
		var b []byte
		if b, err = os.ReadFile(*list); err == nil {
			for _, name := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if name != "" && !strings.HasSuffix(name, "/") {
					files = append(files, file{filepath.Join(flag.Arg(0), name), -1}) // size: when opened
				}
			}
		}
	} else {
		err = filepath.WalkDir(flag.Arg(0), func(p string, d fs.DirEntry, err error) error {
			if err != nil && p == flag.Arg(0) {
				return err
			}
			if err != nil || !d.Type().IsRegular() {
				if err != nil {
					skipped++ // a file system that lists what it cannot stat
				}
				return nil
			}
			info, err := d.Info()
			if err != nil {
				skipped++
			} else if info.Size() >= *minSize {
				files = append(files, file{p, info.Size()})
			}
			return nil
		})
	}
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no files of %d bytes or more under %s", *minSize, flag.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "randread:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var lat []time.Duration
	var failures int
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for i := range *threads {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			buf := make([]byte, *size)
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				f := files[rng.IntN(len(files))]
				start := time.Now()
				fd, err := os.Open(f.path)
				if err == nil {
					if f.size < 0 {
						var info os.FileInfo
						if info, err = fd.Stat(); err == nil {
							f.size = info.Size()
						}
					}
					if err == nil {
						_, err = fd.ReadAt(buf, rng.Int64N(max(1, f.size-int64(*size))))
					}
					fd.Close()
				}
				if err != nil && err.Error() != "EOF" {
					bad++
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			failures += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	out, _ := json.Marshal(map[string]any{
		"reads": len(lat), "failures": failures, "files": len(files), "unreadable_entries": skipped,
		"reads_per_s": float64(len(lat)) / duration.Seconds(),
		"p50_ms":      pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99),
	})
	fmt.Println(string(out))
}
