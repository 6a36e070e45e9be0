package main

import (
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
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, "ARCHIVE"); err != nil {
				return err
			}
			a, err := openArchive(c, indexOptions(c))
			if err != nil {
				return err
			}
			defer a.Close()
			path := shown(c.Args().First())
			pb := newProgress(c.App.ErrWriter, "verifying")
			problems, err := a.Verify(c.Context, pb.update)
			pb.done()
			for _, p := range problems {
				fmt.Fprintf(c.App.ErrWriter, "tarx: %s: %s\n", path, oneLine(p.Error()))
			}
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if len(problems) > 0 {
				return &exitError{code: 1}
			}
			info := a.Info()
			fmt.Fprintf(c.App.Writer, "%s: OK: %d members, %d gzip members, %d checkpoints verified\n",
				path, info.Members, info.GzipMembers, info.Checkpoints)
			return nil
		},
	}
}
