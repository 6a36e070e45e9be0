package main

import (
	"context"
	"fmt"
	"strings"
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
			"A remote ARCHIVE (https://, s3://BUCKET/KEY) is streamed once; its index goes to\n" +
			"--index or the user cache, and with --upload beside the archive as well.\n\n" +
			"Examples:\n   tarx index big.tar.gz --span 4M --sparse=false\n" +
			"   tarx index s3://bucket/big.tar.gz --upload",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "span", Usage: "decompressed `SIZE` between checkpoints (default 1M; 4M for a plain tar, or a streamed archive, whose windows stay whole)"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "rebuild even if the index is valid"},
			&cli.BoolFlag{Name: "upload", Usage: "for s3://BUCKET/KEY, put the index beside the archive at KEY.tarx, where readers find it"},
			&cli.BoolFlag{Name: "sparse", Value: true, Usage: "zero window bytes nothing refers to, for a smaller index (--sparse=false stores them whole)"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "`N` goroutines inflating the archive (default: number of CPUs if there are 3 or more, else 1: sequential)"},
		},
		Action: action(indexOptionsFrom, runIndex),
	}
}

// indexOptions are the options of tarx index.
type indexOptions struct {
	commonOptions
	span   int64 // --span
	force  bool  // --force: rebuild a valid index
	upload bool  // --upload: put the index beside an S3 archive
	jobs   int   // --jobs (0: index.DefaultJobs)
	sparse bool  // --sparse (default true): sparse windows
}

func indexOptionsFrom(c *cli.Context) (indexOptions, error) {
	common, err := commonOptionsFrom(c, 1, "ARCHIVE")
	if err != nil {
		return indexOptions{}, err
	}
	if c.NArg() > 1 {
		return indexOptions{}, usagef("index: too many arguments")
	}
	var span int64 // 0: the index package's default
	if s := c.String("span"); s != "" {
		if span, err = parseSize(s); err != nil {
			return indexOptions{}, err
		}
	}
	if c.Bool("upload") && !strings.HasPrefix(common.archive, "s3://") {
		return indexOptions{}, usagef("index: --upload needs an s3://BUCKET/KEY archive")
	}
	if c.Int("jobs") < 0 {
		return indexOptions{}, usagef("index: --jobs must not be negative")
	}
	return indexOptions{commonOptions: common, span: span, force: c.Bool("force"), upload: c.Bool("upload"),
		jobs: c.Int("jobs"), sparse: c.Bool("sparse")}, nil
}

// runIndex builds the index, or keeps a valid one, and describes it.
func runIndex(ctx context.Context, o indexOptions) error {
	opts := o.openOptions()
	opts.Span = o.span
	opts.Jobs = o.jobs
	opts.FullWindows = !o.sparse
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
		o.name, info.Members, info.Checkpoints, info.IndexPath, humanBytes(info.IndexSize),
		time.Since(start).Round(time.Millisecond))
	if o.upload {
		dst, err := a.Publish(ctx, o.remote)
		if err != nil {
			return o.errorf(err)
		}
		fmt.Fprintf(o.stdout, "%s: index uploaded to %s\n", o.name, dst)
	}
	return nil
}
