package main

import (
	"context"

	"github.com/tarx-dev/tarx/index"
	"github.com/urfave/cli/v2"
)

func getCommand() *cli.Command {
	return &cli.Command{
		Name:      "get",
		Usage:     "extract selected members, reading only from the nearest checkpoint",
		ArgsUsage: "ARCHIVE NAME|PATTERN...",
		Description: "Extracts the members named (or matched by glob PATTERNs; a directory selects\n" +
			"everything under it) by decompressing only from the checkpoint before each one.\n" +
			"Every member read is checked against the checksum in the index.\n\n" +
			"Examples:\n   tarx get big.tar.gz src/net/http/server.go -C out\n" +
			"   tarx get big.tar.gz 'src/**/*_test.go' --strip-components 1\n" +
			"   tarx get big.tar.gz README.md -O | less\n" +
			"   tarx get big.tar.gz -T names.txt -C out",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "directory", Aliases: []string{"C"}, Value: ".", Usage: "extract into `DIR` (created if missing)"},
			&cli.BoolFlag{Name: "to-stdout", Aliases: []string{"O"}, Usage: "write contents to standard output, in archive order"},
			&cli.IntFlag{Name: "strip-components", Usage: "drop `N` leading path elements"},
			filesFromFlag, nullFlag,
		}, append(shardFlags(), tarFlags()...)...),
		UseShortOptionHandling: true,
		Action:                 action(getOptionsFrom, runGet),
	}
}

// getOptions are the options of tarx get.
type getOptions struct {
	commonOptions
	diskOptions
	toStdout bool // --to-stdout
}

func getOptionsFrom(c *cli.Context) (getOptions, error) {
	min := 2 // ARCHIVE and NAME, or ARCHIVE and -T FILE
	if c.String("files-from") != "" {
		min = 1
	}
	common, err := commonOptionsFrom(c, min, "ARCHIVE and NAME")
	if err != nil {
		return getOptions{}, err
	}
	disk, err := diskOptionsFrom(c)
	if err != nil {
		return getOptions{}, err
	}
	o := getOptions{commonOptions: common, diskOptions: disk, toStdout: c.Bool("to-stdout")}
	if t := o.tar; o.toStdout && (t.verbose > 0 || len(t.exclude) > 0 || t.wildcards || t.noWildcards || t.totals) {
		return getOptions{}, usagef("get: -v, --exclude, --wildcards, --no-wildcards and --totals are for extraction into a directory, not --to-stdout")
	}
	if o.toStdout && o.sharded() {
		return getOptions{}, usagef("get: --shard and --finish are for extraction into a directory, not --to-stdout")
	}
	if o.toStdout {
		// Into a directory, extract checks them (as tarx extract does).
		if err := checkPatterns(o.patterns); err != nil {
			return getOptions{}, err
		}
	}
	return o, nil
}

// runGet extracts the selected members into the directory, or writes
// their contents to standard output, reading only from the checkpoint
// before each.
func runGet(ctx context.Context, o getOptions) error {
	// Without an index, get builds one.
	extractGC(index.DefaultJobs())
	if o.toStdout {
		return writeMembers(ctx, o.commonOptions, o.patterns, false)
	}
	a, err := o.openArchive(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	return extractIndexed(ctx, a, extractOptions{commonOptions: o.commonOptions, diskOptions: o.diskOptions})
}
