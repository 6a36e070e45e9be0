package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tarx-dev/tarx/index"
	"github.com/urfave/cli/v2"
)

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:      "info",
		Usage:     "describe an archive and its index",
		ArgsUsage: "ARCHIVE",
		Description: "Prints where the index is, its size, the archive's sizes, its compression\n" +
			"(gzip, or none for a plain tar), gzip members, checkpoints, tar members, span,\n" +
			"and when and how fast the index was built.\n\n" +
			"Example:\n   tarx info big.tar.gz",
		Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print one JSON object"}},
		Action: action(infoOptionsFrom, runInfo),
	}
}

// infoOptions are the options of tarx info.
type infoOptions struct {
	commonOptions
	json bool // --json
}

func infoOptionsFrom(c *cli.Context) (infoOptions, error) {
	common, err := commonOptionsFrom(c, 1, "ARCHIVE")
	return infoOptions{commonOptions: common, json: c.Bool("json")}, err
}

// runInfo describes the archive and its index.
func runInfo(ctx context.Context, o infoOptions) error {
	a, err := o.openArchive(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	info := a.Info()
	w := o.stdout
	if o.json {
		b, _ := json.Marshal(info)
		fmt.Fprintf(w, "%s\n", b)
		return nil
	}
	rate := 0.0
	if s := info.BuildDuration.Seconds(); s > 0 {
		rate = float64(info.ArchiveSize) / s / (1 << 20)
	}
	ratio := func(n int64) float64 {
		if info.ArchiveSize == 0 {
			return 0
		}
		return 100 * float64(n) / float64(info.ArchiveSize)
	}
	fmt.Fprintf(w, "archive:           %s\n", info.Archive)
	fmt.Fprintf(w, "archive size:      %d (%s)\n", info.ArchiveSize, humanBytes(info.ArchiveSize))
	fmt.Fprintf(w, "uncompressed size: %d (%s)\n", info.UncompressedSize, humanBytes(info.UncompressedSize))
	if info.Compression == index.None {
		fmt.Fprintf(w, "compression:       none (plain tar, read at member offsets)\n")
		fmt.Fprintf(w, "tar members:       %d\n", info.Members)
		fmt.Fprintf(w, "spans:             %s each, for extraction's workers\n", humanBytes(info.Span))
	} else {
		fmt.Fprintf(w, "compression:       %s\n", info.Compression)
		fmt.Fprintf(w, "gzip members:      %d\n", info.GzipMembers)
		fmt.Fprintf(w, "tar members:       %d\n", info.Members)
		sparse := ""
		if info.SparseWindows {
			sparse = " sparse"
		}
		fmt.Fprintf(w, "checkpoints:       %d (span %s, windows %s%s)\n", info.Checkpoints, humanBytes(info.Span), humanBytes(info.WindowBytes), sparse)
	}
	fmt.Fprintf(w, "index:             %s\n", info.IndexPath)
	fmt.Fprintf(w, "index size:        %d (%s, %.2f%% of the archive)\n", info.IndexSize, humanBytes(info.IndexSize), ratio(info.IndexSize))
	fmt.Fprintf(w, "built:             %s by tarx %s in %s (%.0f MiB/s)\n",
		info.Built.Local().Format(time.RFC3339), info.ToolVersion, info.BuildDuration.Round(time.Millisecond), rate)
	if arch, idx := a.Stats(); arch.Requests > 0 {
		fmt.Fprintf(w, "fetched:           archive %d bytes in %d requests, index %d bytes in %d requests\n",
			arch.BytesFetched, arch.Requests, idx.BytesFetched, idx.Requests)
	}
	return nil
}
