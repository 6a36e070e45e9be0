package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/tarx-dev/tarx/mount"
	"github.com/urfave/cli/v2"
)

func mountCommand() *cli.Command {
	return &cli.Command{
		Name:      "mount",
		Usage:     "mount the archive read-only as a file system (FUSE)",
		ArgsUsage: "ARCHIVE MOUNTPOINT",
		Description: "Builds or refreshes the index, mounts the archive at MOUNTPOINT as tar -xzf would\n" +
			"leave it (numeric owners), and serves it in the background once the mount is ready.\n" +
			"Every byte read is checked against the index; corrupt data reads as an I/O error.\n" +
			"Unmount with tarx umount MOUNTPOINT (or fusermount3 -u, or umount as root).\n\n" +
			"Example:\n   tarx mount big.tar.gz /mnt/big\n   tarx mount big.tar.gz /mnt/big -f -o allow_other",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "foreground", Aliases: []string{"f"}, Usage: "stay in the foreground (Ctrl-C unmounts); log to stderr"},
			&cli.StringSliceFlag{Name: "o", Usage: "FUSE mount `OPTIONS`, comma-separated (allow_other, debug, others passed on)"},
			&cli.IntFlag{Name: "decoders", Usage: "`N` decompression streams kept for reads (default 16)"},
			&cli.IntFlag{Name: "cache", Usage: "`MIB` of decompressed data kept for reads, shared by all files (default 32)"},
			&cli.StringFlag{Name: "log", Usage: "in the background, append notices and read errors to `FILE`"},
			&cli.BoolFlag{Name: daemonFlag, Hidden: true},
		},
		Action: action(mountOptionsFrom, runMount),
	}
}

// daemonFlag marks the background child of tarx mount: file descriptor 3
// is a pipe on which it reports "ready" or why it failed.
const daemonFlag = "serve-daemon"

// mountOptions are the options of tarx mount.
type mountOptions struct {
	commonOptions
	dir        string
	foreground bool
	daemon     bool
	fuseOpts   []string // -o, split at commas
	decoders   int
	cacheMiB   int
	logFile    string
}

func mountOptionsFrom(c *cli.Context) (mountOptions, error) {
	common, err := commonOptionsFrom(c, 2, "ARCHIVE and MOUNTPOINT")
	if err != nil {
		return mountOptions{}, err
	}
	if c.NArg() > 2 {
		return mountOptions{}, usagef("mount: too many arguments")
	}
	o := mountOptions{
		commonOptions: common,
		dir:           c.Args().Get(1),
		foreground:    c.Bool("foreground"),
		daemon:        c.Bool(daemonFlag),
		decoders:      c.Int("decoders"),
		cacheMiB:      c.Int("cache"),
		logFile:       c.String("log"),
	}
	for _, v := range c.StringSlice("o") {
		for opt := range strings.SplitSeq(v, ",") {
			if opt = strings.TrimSpace(opt); opt != "" {
				o.fuseOpts = append(o.fuseOpts, opt)
			}
		}
	}
	if o.decoders < 0 {
		return mountOptions{}, usagef("mount: --decoders must be positive")
	}
	if o.cacheMiB < 0 {
		return mountOptions{}, usagef("mount: --cache must be positive")
	}
	return o, nil
}

// serveOptions returns the options of mount.Serve.
func (o mountOptions) serveOptions(log func(string)) mount.Options {
	so := mount.Options{Decoders: o.decoders, CacheSize: int64(o.cacheMiB) << 20, Log: log}
	for _, opt := range o.fuseOpts {
		switch opt {
		case "allow_other":
			so.AllowOther = true
		case "debug":
			so.Debug = true
		case "ro":
			// always read-only
		default:
			so.MountOptions = append(so.MountOptions, opt)
		}
	}
	return so
}

// runMount mounts the archive: in this process with -f (and in the
// background child), else through a child it starts and waits for.
func runMount(ctx context.Context, o mountOptions) error {
	if err := mount.Usable(); err != nil {
		return o.fail(err)
	}
	if st, err := os.Stat(o.dir); errors.Is(err, os.ErrNotExist) {
		return o.fail(fmt.Errorf("%s: mount point does not exist", o.dir))
	} else if err != nil {
		return o.fail(err)
	} else if !st.IsDir() {
		return o.fail(fmt.Errorf("%s: mount point is not a directory", o.dir))
	}
	a, err := o.openArchive(ctx)
	if err != nil {
		return o.fail(err)
	}
	defer a.Close()
	if !o.foreground && !o.daemon {
		a.Close() // the index is ready; the child opens it again
		return o.startDaemon(ctx)
	}
	log := o.warn
	if o.daemon {
		log = func(string) {}
		if o.logFile != "" {
			f, err := os.OpenFile(o.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				return o.fail(err)
			}
			defer f.Close()
			log = func(msg string) { fmt.Fprintf(f, "tarx: %s\n", msg) }
		}
	}
	srv, err := mount.Serve(ctx, a, o.dir, o.serveOptions(log))
	if err != nil {
		return o.fail(err)
	}
	if o.daemon {
		ready := os.NewFile(3, "ready")
		fmt.Fprintln(ready, "ready")
		ready.Close()
	}
	srv.Wait() // until unmounted, or ctx (Ctrl-C) unmounts it
	return nil
}

// fail returns err; in the background child it reports it to the parent
// first, since the child's stderr goes nowhere.
func (o mountOptions) fail(err error) error {
	if errors.Is(err, mount.ErrNoFUSE) || errors.Is(err, mount.ErrUnsupported) {
		err = fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "mount: "))
	}
	if o.daemon {
		ready := os.NewFile(3, "ready")
		fmt.Fprintf(ready, "error %s\n", oneLine(err.Error()))
		ready.Close()
		return &exitError{code: 1}
	}
	return err
}

// startDaemon starts this program again as the background server, in a
// session of its own, and waits until it says the mount is ready.
func (o mountOptions) startDaemon(ctx context.Context) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("mount: cannot find the tarx program: %w", err)
	}
	archive, err := filepath.Abs(o.archive)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	args := []string{"mount", archive, dir, "--" + daemonFlag}
	if o.indexPath != "" {
		ip, err := filepath.Abs(o.indexPath)
		if err != nil {
			return err
		}
		args = append(args, "--index", ip)
	}
	if o.decoders > 0 {
		args = append(args, "--decoders", fmt.Sprint(o.decoders))
	}
	if o.cacheMiB > 0 {
		args = append(args, "--cache", fmt.Sprint(o.cacheMiB))
	}
	if len(o.fuseOpts) > 0 {
		args = append(args, "-o", strings.Join(o.fuseOpts, ","))
	}
	if o.logFile != "" {
		lf, err := filepath.Abs(o.logFile)
		if err != nil {
			return err
		}
		args = append(args, "--log", lf)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command(exe, args...)
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("mount: start the server: %w", err)
	}
	w.Close()
	cmd.Process.Release()
	line, err := bufio.NewReader(r).ReadString('\n')
	line = strings.TrimSpace(line)
	switch {
	case line == "ready":
		return nil
	case strings.HasPrefix(line, "error "):
		fmt.Fprintf(o.stderr, "tarx: %s\n", strings.TrimPrefix(line, "error "))
		return &exitError{code: 1}
	case err == io.EOF:
		return fmt.Errorf("%s: the mount server exited before the mount was ready", o.archive)
	}
	return fmt.Errorf("%s: mount server: %q, %v", o.archive, line, err)
}
