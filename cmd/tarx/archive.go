package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tarx-dev/tarx/index"
	"github.com/tarx-dev/tarx/remote"
	"github.com/urfave/cli/v2"
)

// indexOptions returns the index options set by the global flags.
func indexOptions(c *cli.Context) index.Options {
	errw := c.App.ErrWriter
	return index.Options{
		IndexPath:   c.String("index"),
		NoReindex:   c.Bool("no-reindex"),
		ToolVersion: toolVersion(),
		Warn:        func(msg string) { fmt.Fprintf(errw, "tarx: %s\n", msg) },
		Remote: remote.Options{
			NoSignRequest: c.Bool("no-sign-request"),
			EndpointURL:   c.String("endpoint-url"),
		},
	}
}

// shown returns an archive argument fit for messages: a remote location
// without credentials or query.
func shown(arg string) string {
	if !remote.IsRemote(arg) {
		return arg
	}
	if l, err := remote.ParseLocation(arg); err == nil {
		return l.String()
	}
	return "(bad location)"
}

// track remembers an opened archive for --stats.
func track(c *cli.Context, a *index.Archive) {
	c.App.Metadata["archives"] = append(tracked(c), a)
}

func tracked(c *cli.Context) []*index.Archive {
	as, _ := c.App.Metadata["archives"].([]*index.Archive)
	return as
}

// printStats reports what the archives opened by the command cost.
func printStats(c *cli.Context) {
	for _, a := range tracked(c) {
		arch, idx := a.Stats()
		fmt.Fprintf(c.App.ErrWriter, "tarx: stats: %s: archive %d bytes in %d requests, index %d bytes in %d requests\n",
			a.Info().Archive, arch.BytesFetched, arch.Requests, idx.BytesFetched, idx.Requests)
	}
}

// openArchive opens the archive named by the first argument with its
// index, building the index if needed.
func openArchive(c *cli.Context, opts index.Options) (*index.Archive, error) {
	return openWith(c, opts, index.Open)
}

// openWith opens the archive named by the first argument with open
// (index.Open or index.Build), showing progress while an index is built.
func openWith(c *cli.Context, opts index.Options, open func(context.Context, string, index.Options) (*index.Archive, error)) (*index.Archive, error) {
	path := c.Args().First()
	pb := newProgress(c.App.ErrWriter, "indexing")
	opts.Progress = pb.update
	a, err := open(c.Context, path, opts)
	pb.done()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shown(path), err)
	}
	track(c, a)
	return a, nil
}

// needArgs checks the number of positional arguments.
func needArgs(c *cli.Context, min int, what string) error {
	if c.NArg() < min {
		return usagef("%s: missing %s", c.Command.Name, what)
	}
	return nil
}

// parseSize parses a byte count such as 4M, 512KiB or 1048576.
func parseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v <= 0 || v > (1<<40)/mult {
		return 0, usagef("invalid size %q", s)
	}
	return v * mult, nil
}
