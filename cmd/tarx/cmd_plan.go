package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/tarx-dev/tarx/extract"
	"github.com/urfave/cli/v2"
)

func planCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "show how --shard splits an extraction over machines",
		ArgsUsage: "ARCHIVE [PATTERN...]",
		Description: "Cuts the extraction into N shards of about equal cost (bytes to inflate plus bytes to\n" +
			"write, and a little per file), each a run of checkpoints, the same on every machine for\n" +
			"the same index and selection. Each machine then runs 'tarx extract ARCHIVE -C DIR\n" +
			"--shard K/N' (or --shard auto under a scheduler), and once all are done one runs\n" +
			"'tarx extract ARCHIVE -C DIR --finish'. See docs/DISTRIBUTED.md.\n\n" +
			"Examples:\n   tarx plan big.tar.gz --shards 8\n   tarx plan s3://bucket/big.tar.gz --shards 64 --json",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "shards", Usage: "`N` shards", Required: true},
			&cli.BoolFlag{Name: "json", Usage: "print the plan as one JSON object"},
			filesFromFlag, nullFlag,
		}, tarFlags()...),
		UseShortOptionHandling: true,
		Action:                 action(planOptionsFrom, runPlan),
	}
}

// planOptions are the options of tarx plan: the selection of get and
// extract, so that the plan is theirs.
type planOptions struct {
	commonOptions
	diskOptions
	shards int  // --shards
	json   bool // --json
}

func planOptionsFrom(c *cli.Context) (planOptions, error) {
	common, err := commonOptionsFrom(c, 1, "ARCHIVE")
	if err != nil {
		return planOptions{}, err
	}
	disk, err := diskOptionsFrom(c)
	if err != nil {
		return planOptions{}, err
	}
	o := planOptions{commonOptions: common, diskOptions: disk, shards: c.Int("shards"), json: c.Bool("json")}
	if o.shards < 1 {
		return planOptions{}, usagef("plan: --shards %d: need at least 1", o.shards)
	}
	return o, nil
}

func runPlan(ctx context.Context, o planOptions) error {
	a, err := o.openArchive(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	x := extractOptions{commonOptions: o.commonOptions, diskOptions: o.diskOptions}.extraction("planning", nil)
	x.bar.done()
	p, err := extract.NewPlan(ctx, a, &x.opts, o.shards)
	if err != nil {
		return o.errorf(err)
	}
	out := o.bufferedStdout()
	defer out.Flush()
	if o.json {
		b, _ := json.Marshal(struct {
			*extract.Plan
			Balance float64 `json:"balance"`
		}{p, p.Balance()})
		fmt.Fprintf(out, "%s\n", b)
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "shard\tstart\tend\tcheckpoints\tmembers\tsplit\tbytes\tinflate\tcost\tfetch\t\n")
	for _, s := range p.Shards {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", s.K, s.Start, s.End, s.Checkpoints, s.Members, s.Split, s.Bytes, s.Inflate, s.Cost, s.FetchEnd-s.FetchStart)
	}
	tw.Flush()
	fmt.Fprintf(out, "%d members in shards (%d bytes), %d directories and links for --finish; balance %.3f (largest shard over the mean); plan %s\n",
		p.Members, p.Bytes, p.Finish, p.Balance(), p.Digest)
	cps := 0
	for _, s := range p.Shards {
		cps += s.Checkpoints
	}
	if o.shards*8 > cps {
		// Shards are runs of whole spans: a few spans each balance coarsely.
		fmt.Fprintf(out, "%d shards over %d checkpoints: for a finer balance, index with a smaller span (tarx index --force --span 1M)\n", o.shards, cps)
	}
	return nil
}
