package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check every gzip CRC, every member checksum and the index",
		ArgsUsage: "ARCHIVE",
		Description: "Reads the whole archive once and checks it against its index: gzip CRC-32s and\n" +
			"sizes, every member's contents and record, every checkpoint. Exits 1 on any\n" +
			"mismatch, naming the member.\n\nExample:\n   tarx verify big.tar.gz",
		Action: action(verifyOptionsFrom, runVerify),
	}
}

// verifyOptions are the options of tarx verify: only the common ones.
type verifyOptions struct {
	commonOptions
}

func verifyOptionsFrom(c *cli.Context) (verifyOptions, error) {
	common, err := commonOptionsFrom(c, 1, "ARCHIVE")
	return verifyOptions{common}, err
}

// runVerify checks the whole archive against its index, printing one line
// for each problem.
func runVerify(ctx context.Context, o verifyOptions) error {
	a, err := o.openArchive(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	pb := newProgress(o.stderr, "verifying")
	problems, err := a.Verify(ctx, pb.update)
	pb.done()
	for _, p := range problems {
		fmt.Fprintf(o.stderr, "tarx: %s: %s\n", o.name, oneLine(p.Error()))
	}
	if err != nil {
		return o.errorf(err)
	}
	if len(problems) > 0 {
		return &exitError{code: 1}
	}
	info := a.Info()
	fmt.Fprintf(o.stdout, "%s: OK: %d members, %d gzip members, %d checkpoints verified\n",
		o.name, info.Members, info.GzipMembers, info.Checkpoints)
	return nil
}
