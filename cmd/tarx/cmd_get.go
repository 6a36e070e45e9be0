package main

import (
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
			"   tarx get big.tar.gz README.md -O | less",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "directory", Aliases: []string{"C"}, Value: ".", Usage: "extract into `DIR` (created if missing)"},
			&cli.BoolFlag{Name: "to-stdout", Aliases: []string{"O"}, Usage: "write contents to standard output, in archive order"},
			&cli.IntFlag{Name: "strip-components", Usage: "drop `N` leading path elements"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 2, "ARCHIVE and NAME"); err != nil {
				return err
			}
			if c.Bool("to-stdout") {
				return toStdout(c, c.Args().Tail())
			}
			a, err := openArchive(c, indexOptions(c))
			if err != nil {
				return err
			}
			defer a.Close()
			return extractIndexed(c, a, c.Args().Tail())
		},
	}
}
