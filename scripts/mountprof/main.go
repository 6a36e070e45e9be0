//go:build linux

// Command mountprof profiles the mount: it mounts an indexed archive in
// this process (mount.Serve), runs a shell command against it, and prints
// the command's wall time and the server's CPU time and peak RSS, with a
// CPU profile of the server while the command ran and a heap profile
// after it if asked. The archive's index must exist (tarx index).
//
//	mountprof [-cpu FILE] [-mem FILE] ARCHIVE DIR 'find DIR | wc -l'
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/mount"
)

func main() {
	cpu := flag.String("cpu", "", "write a CPU profile of the command's run to `FILE`")
	mem := flag.String("mem", "", "write a heap profile after the command to `FILE`")
	flag.Parse()
	if flag.NArg() != 3 {
		fmt.Fprintln(os.Stderr, "usage: mountprof [-cpu FILE] [-mem FILE] ARCHIVE DIR COMMAND")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), flag.Arg(1), flag.Arg(2), *cpu, *mem); err != nil {
		fmt.Fprintf(os.Stderr, "mountprof: %v\n", err)
		os.Exit(1)
	}
}

func run(archive, dir, command, cpu, mem string) error {
	ctx := context.Background()
	a, err := index.Open(ctx, archive, index.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	srv, err := mount.Serve(ctx, a, dir, mount.Options{Log: func(s string) { fmt.Fprintln(os.Stderr, s) }})
	if err != nil {
		return err
	}
	defer srv.Unmount()
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	start := time.Now()
	cmd := exec.Command("sh", "-c", command)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmdErr := cmd.Run()
	wall := time.Since(start)
	if cpu != "" {
		pprof.StopCPUProfile()
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	sec := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	fmt.Fprintf(os.Stderr, "wall %.3fs server user %.3fs sys %.3fs maxrss %d KiB\n", wall.Seconds(),
		sec(after.Utime)-sec(before.Utime), sec(after.Stime)-sec(before.Stime), after.Maxrss)
	if mem != "" {
		runtime.GC()
		f, err := os.Create(mem)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return err
		}
	}
	if cmdErr != nil {
		return fmt.Errorf("%s: %w", command, cmdErr)
	}
	return nil
}
