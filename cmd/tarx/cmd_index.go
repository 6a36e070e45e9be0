package main

import (
	"context"
	"fmt"
	"time"

	"github.com/tarx-dev/tarx/index"
	"github.com/urfave/cli/v2"
)

func indexCommand() *cli.Command {
	return &cli.Command{
		Name:      "index",
		Usage:     "build the index of an archive (other commands do it on first use)",
		ArgsUsage: "ARCHIVE",
		Description: "Reads ARCHIVE once and writes its index: gzip checkpoints every --span bytes of\n" +
			"output and every tar member. A valid index is kept unless --force.\n\n" +
			"Example:\n   tarx index big.tar.gz --span 4M",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "span", Value: "4M", Usage: "decompressed `SIZE` between checkpoints"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "rebuild even if the index is valid"},
			&cli.BoolFlag{Name: "sparse", Usage: "zero window bytes nothing refers to: a smaller index, a slower build"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "`N` goroutines inflating the archive (default: number of CPUs; 1: sequential)"},
		},
		Action: action(indexOptionsFrom, runIndex),
	}
}

// indexOptions are the options of tarx index.
type indexOptions struct {
	commonOptions
	span   int64 // --span
	force  bool  // --force: rebuild a valid index
	jobs   int   // --jobs (0: one per CPU)
	sparse bool  // --sparse: sparse windows
}

func indexOptionsFrom(c *cli.Context) (indexOptions, error) {
	common, err := commonOptionsFrom(c, 1, "ARCHIVE")
	if err != nil {
		return indexOptions{}, err
	}
	if c.NArg() > 1 {
		return indexOptions{}, usagef("index: too many arguments")
	}
	span, err := parseSize(c.String("span"))
	if err != nil {
		return indexOptions{}, err
	}
	if c.Int("jobs") < 0 {
		return indexOptions{}, usagef("index: --jobs must not be negative")
	}
	return indexOptions{commonOptions: common, span: span, force: c.Bool("force"), jobs: c.Int("jobs"), sparse: c.Bool("sparse")}, nil
}

// runIndex builds the index, or keeps a valid one, and describes it.
func runIndex(ctx context.Context, o indexOptions) error {
	opts := o.openOptions()
	opts.Span = o.span
	opts.Jobs = o.jobs
	opts.SparseWindows = o.sparse
	open := index.Open
	if o.force {
		open = index.Build
	}
	start := time.Now()
	a, err := o.openWith(ctx, opts, open)
	if err != nil {
		return err
	}
	defer a.Close()
	info := a.Info()
	fmt.Fprintf(o.stdout, "%s: %d members, %d checkpoints, index %s (%s) in %s\n",
		o.archive, info.Members, info.Checkpoints, info.IndexPath, humanBytes(info.IndexSize),
		time.Since(start).Round(time.Millisecond))
	return nil
}
