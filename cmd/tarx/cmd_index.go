package main

import (
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
			"Examples:\n   tarx index big.tar.gz --span 4M\n" +
			"   tarx index s3://bucket/big.tar.gz --upload",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "span", Value: "4M", Usage: "decompressed `SIZE` between checkpoints"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "rebuild even if the index is valid"},
			&cli.BoolFlag{Name: "upload", Usage: "for s3://BUCKET/KEY, put the index beside the archive at KEY.tarx, where readers find it"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, "ARCHIVE"); err != nil {
				return err
			}
			if c.NArg() > 1 {
				return usagef("index: too many arguments")
			}
			if c.Bool("upload") && !strings.HasPrefix(c.Args().First(), "s3://") {
				return usagef("index: --upload needs an s3://BUCKET/KEY archive")
			}
			span, err := parseSize(c.String("span"))
			if err != nil {
				return err
			}
			opts := indexOptions(c)
			opts.Span = span
			path := shown(c.Args().First())
			open := index.Open
			if c.Bool("force") {
				open = index.Build
			}
			start := time.Now()
			a, err := openWith(c, opts, open)
			if err != nil {
				return err
			}
			defer a.Close()
			info := a.Info()
			fmt.Fprintf(c.App.Writer, "%s: %d members, %d checkpoints, index %s (%s) in %s\n",
				path, info.Members, info.Checkpoints, info.IndexPath, humanBytes(info.IndexSize),
				time.Since(start).Round(time.Millisecond))
			if c.Bool("upload") {
				dst, err := a.Publish(c.Context, opts.Remote)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				fmt.Fprintf(c.App.Writer, "%s: index uploaded to %s\n", path, dst)
			}
			return nil
		},
	}
}

// humanBytes formats n with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
