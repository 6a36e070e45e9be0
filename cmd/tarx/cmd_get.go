package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

var errNotImplemented = errors.New("not implemented yet")

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
			return errNotImplemented
		},
	}
}

func extractCommand() *cli.Command {
	return &cli.Command{
		Name:      "extract",
		Aliases:   []string{"x"},
		Usage:     "extract the archive with all cores",
		ArgsUsage: "ARCHIVE [PATTERN...]",
		Description: "With an index, each worker resumes at its own checkpoint, so inflating and writing\n" +
			"run in parallel. Without one, the archive is read once and the index is left behind.\n" +
			"ARCHIVE may be - for standard input.\n\n" +
			"Examples:\n   tarx extract big.tar.gz -C out\n   tarx extract big.tar.gz -C out -j 4 'docs/**'",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "directory", Aliases: []string{"C"}, Value: ".", Usage: "extract into `DIR` (created if missing)"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "`N` workers (default: number of CPUs)"},
			&cli.IntFlag{Name: "strip-components", Usage: "drop `N` leading path elements"},
			&cli.StringFlag{Name: "save-index", Usage: "with ARCHIVE -, write the index to `PATH`"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, "ARCHIVE"); err != nil {
				return err
			}
			return errNotImplemented
		},
	}
}

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check every gzip CRC, every member checksum and the index",
		ArgsUsage: "ARCHIVE",
		Description: "Reads the whole archive and checks it against its index. Exits 1 on any\n" +
			"mismatch, naming the member.\n\nExample:\n   tarx verify big.tar.gz",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, "ARCHIVE"); err != nil {
				return err
			}
			return errNotImplemented
		},
	}
}
