package gzseek

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

var (
	benchOnce sync.Once
	benchGz   []byte
)

// benchFile returns the gzip file named by $TARX_BENCH_GZ, or a gzip -6
// tar of $GOROOT/src when GNU tar and gzip are installed (the case the
// issue measures), else a synthetic file.
func benchFile(b testing.TB) []byte {
	benchOnce.Do(func() {
		if name := os.Getenv("TARX_BENCH_GZ"); name != "" {
			z, err := os.ReadFile(name)
			if err != nil {
				b.Fatal(err)
			}
			benchGz = z
			return
		}
		src := filepath.Join(runtime.GOROOT(), "src")
		cmd := exec.Command("sh", "-c", "tar -C \"$0\" -cf - . | gzip -6", src)
		if out, err := cmd.Output(); err == nil && len(out) > 1<<20 {
			benchGz = out
			return
		}
		benchGz = testarchive.Gzip(b, sample(64<<20), testarchive.GoLevel6)
	})
	return benchGz
}

// BenchmarkScan measures a full scan with checkpoints every DefaultSpan,
// sequential (j1) and parallel (j2, jN with N = NumCPU).
func BenchmarkScan(b *testing.B) {
	z := benchFile(b)
	jobList := []int{1, 2}
	if n := runtime.NumCPU(); n > 2 {
		jobList = append(jobList, n)
	}
	for _, jobs := range jobList {
		b.Run(fmt.Sprintf("j%d", jobs), func(b *testing.B) {
			var out int64
			var s *Scanner
			cpu := startCPU()
			for b.Loop() {
				s = NewScanner(bytes.NewReader(z), ScanOptions{Jobs: jobs}, func(Checkpoint) error { return nil })
				n, err := io.Copy(io.Discard, s)
				if err != nil {
					b.Fatal(err)
				}
				out = n
			}
			cpu.report(b, out)
			b.SetBytes(out)
			if s.par != nil {
				b.ReportMetric(float64(s.par.speculated), "speculated")
				b.ReportMetric(float64(s.par.rejected), "rejected")
				b.ReportMetric(float64(s.par.sizes.maxMarked.Load()), "max-marked-sym")
				b.ReportMetric(float64(s.par.sizes.maxOut.Load()), "max-piece-B")
			}
		})
	}
}

// BenchmarkKlauspostGzip is plain klauspost/compress/gzip decompression of
// the same file, for comparison with BenchmarkScan.
func BenchmarkKlauspostGzip(b *testing.B) {
	z := benchFile(b)
	var out int64
	cpu := startCPU()
	for b.Loop() {
		r, err := kgzip.NewReader(bytes.NewReader(z))
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			b.Fatal(err)
		}
		out = n
	}
	cpu.report(b, out)
	b.SetBytes(out)
}

// cpuClock measures the CPU time of the whole process (every thread, the
// garbage collector's included), so that a parallel scan's cost per
// byte can be told apart from its wall time on a loaded machine.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{processCPU()} }

// report adds the metrics cpu-ms/op and MB/cpu-s (output bytes per op
// over CPU seconds per op: the speed per core).
func (c cpuClock) report(b *testing.B, out int64) {
	cpu := processCPU() - c.start
	if cpu <= 0 || b.N == 0 {
		return
	}
	perOp := cpu.Seconds() / float64(b.N)
	b.ReportMetric(perOp*1e3, "cpu-ms/op")
	b.ReportMetric(float64(out)/1e6/perOp, "MB/cpu-s")
}

// BenchmarkResumeOpen measures opening a resume at a windowed checkpoint
// (seek plus window load) and reading its first byte, from a file.
// Allocated bytes per op are the memory a resume needs.
func BenchmarkResumeOpen(b *testing.B) {
	z := benchFile(b)
	var cps []Checkpoint
	s := NewScanner(bytes.NewReader(z), ScanOptions{}, func(c Checkpoint) error {
		if !c.MemberStart {
			cps = append(cps, c)
		}
		return nil
	})
	if _, err := io.Copy(io.Discard, s); err != nil || len(cps) == 0 {
		b.Fatalf("scan: %v, %d checkpoints", err, len(cps))
	}
	path := filepath.Join(b.TempDir(), "a.gz")
	if err := os.WriteFile(path, z, 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var codec WindowCodec
	enc := make([][]byte, len(cps))
	for i, c := range cps {
		enc[i] = codec.Encode(nil, c.Window)
	}
	var one [1]byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := cps[i%len(cps)]
		w, err := codec.Decode(enc[i%len(cps)])
		if err != nil {
			b.Fatal(err)
		}
		c.Window = w
		r, err := Resume(f, int64(len(z)), c)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, one[:]); err != nil {
			b.Fatal(err)
		}
		r.Close()
		i++
	}
}
